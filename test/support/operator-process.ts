/**
 * The real operator as a child process (`src/operator/main.ts` through tsx), the way it runs in a
 * pod: its own process, its own watches, killable with any signal. Its JSON log lines are kept
 * for assertions; the metrics port is read from its "operator started" line. In an integration
 * run its output and /metrics series also go to the leak scan's folder (leak-scan-output.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repositoryRoot } from './control-plane-binaries.js';
import { leakScanDir, operatorOutputRecorder } from './leak-scan-output.js';

export interface OperatorProcessOptions {
  kubeconfig: string;
  /** Watch only this namespace; also where the Lease and signing key live unless set below. */
  namespace: string;
  /** Watch every namespace (no --watch-namespace), as a cluster-wide install does. */
  allNamespaces?: boolean;
  operatorNamespace?: string;
  /** Default true, as in a cluster. */
  leaderElect?: boolean;
  /** POD_NAME: the identity in the Lease. */
  identity?: string;
  concurrency?: number;
  /**
   * --outbound-allow. Test receivers and versitygw listen on loopback, which the operator refuses
   * by default (as it would the cluster's own addresses), so it defaults to loopback here; `''`
   * runs the operator with the default policy, to see that refusal.
   */
  outboundAllow?: string;
  extraArgs?: readonly string[];
  env?: Record<string, string>;
}

export interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

export interface OperatorProcess {
  pid: number;
  logs: LogLine[];
  /** Raw stderr (a crash before logging starts ends up here). */
  stderr(): string;
  metricsPort(): Promise<number>;
  /** Scrapes /metrics now, for the leak scan (also done every few seconds); a no-op before start-up. */
  recordMetrics(): Promise<void>;
  waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

export function startOperatorProcess(options: OperatorProcessOptions): OperatorProcess {
  const args = [
    '--import',
    'tsx',
    path.join(repositoryRoot, 'src/operator/main.ts'),
    '--kubeconfig',
    options.kubeconfig,
    ...(options.allNamespaces ? [] : ['--watch-namespace', options.namespace]),
    '--operator-namespace',
    options.operatorNamespace ?? options.namespace,
    '--metrics-address',
    '127.0.0.1:0',
    ...(options.leaderElect === false ? ['--no-leader-elect'] : []),
    ...(options.concurrency !== undefined ? ['--concurrency', String(options.concurrency)] : []),
    `--outbound-allow=${options.outboundAllow ?? '127.0.0.0/8,::1'}`,
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      SCB_LOG_LEVEL: 'debug',
      // An inherited SCB_WATCH_NAMESPACE would narrow a cluster-wide operator.
      ...(options.allNamespaces ? { SCB_WATCH_NAMESPACE: '' } : {}),
      ...(options.identity ? { POD_NAME: options.identity } : {}),
      ...options.env,
    },
    // Not detached: it shares the test runner's process group, so Ctrl-C stops it too.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  const logs: LogLine[] = [];
  const recorder = operatorOutputRecorder(`operator-${Date.now()}-${pid}`);
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    recorder.stdout(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        stderr += `${line}\n`;
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    recorder.stderr(chunk);
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let ended = false;
  const recordMetrics = async () => {
    const started = logs.find((line) => line.message === 'operator started');
    if (!started || ended) return;
    try {
      const response = await fetch(`http://127.0.0.1:${Number(started.metricsPort)}/metrics`);
      if (response.ok) recorder.metrics(await response.text());
    } catch {
      // Stopping or stopped: the previous scrape stands.
    }
  };
  // Series can disappear (a deleted bundle's), so scrape along the way, not only at the end.
  const scraping = leakScanDir() ? setInterval(() => void recordMetrics(), 5000) : undefined;
  scraping?.unref();
  void exited.then(() => {
    ended = true;
    clearInterval(scraping);
  });

  const waitForLog = async (predicate: (line: LogLine) => boolean, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs.find(predicate);
      if (found) return found;
      if (ended) throw new Error(`operator exited before ${what}; stderr:\n${stderr.slice(-2000)}`);
      if (Date.now() > deadline) {
        const tail = logs
          .slice(-15)
          .map((line) => JSON.stringify(line))
          .join('\n');
        throw new Error(
          `timed out waiting for ${what}; last log lines:\n${tail}\nstderr:\n${stderr.slice(-2000)}`,
        );
      }
      await sleep(50);
    }
  };
  return {
    pid,
    logs,
    stderr: () => stderr,
    metricsPort: async () =>
      Number((await waitForLog((line) => line.message === 'operator started', 'start-up')).metricsPort),
    recordMetrics,
    waitForLog,
    exited,
    kill: (signal) => {
      if (!ended) child.kill(signal);
    },
  };
}
