/**
 * The cloud-mode gateway as a child process (`src/gateway/main.ts` through tsx), the way the
 * image runs `dist/gateway/main.js`, with its JSON log lines kept for waiting on.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repositoryRoot } from './control-plane-binaries.js';

export interface GatewayLogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

export interface GatewayProcess {
  pid: number;
  logs: GatewayLogLine[];
  stderr(): string;
  waitForLog(
    predicate: (line: GatewayLogLine) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<GatewayLogLine>;
  /** SIGTERM (drain) and wait for the exit code. */
  stop(): Promise<number | string>;
}

export function startGatewayProcess(args: readonly string[]): GatewayProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repositoryRoot, 'src/gateway/main.ts'), ...args],
    {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: GatewayLogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as GatewayLogLine);
      } catch {
        logs.push({ level: 'raw', message: line });
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let done = false;
  void exited.then(() => (done = true));
  const kill = (): void => {
    if (!done) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return {
    pid: child.pid ?? 0,
    logs,
    stderr: () => stderr,
    async waitForLog(predicate, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(predicate);
        if (found) return found;
        if (done)
          throw new Error(
            `gateway exited while waiting for ${what}:\n${stderr}\n${JSON.stringify(logs.slice(-10))}`,
          );
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${what}; last lines:\n${JSON.stringify(logs.slice(-10), null, 1)}\n${stderr}`,
          );
        }
        await sleep(200);
      }
    },
    async stop() {
      if (!done) child.kill('SIGTERM');
      const code = await exited;
      process.removeListener('exit', kill);
      return code;
    },
  };
}
