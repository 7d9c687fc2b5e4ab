// What every locally started server of the test harness needs (the control plane, Cassandra).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { killProcessGroup, type RunRegistration } from './control-plane-strays.js';

/** `count` distinct free TCP ports on `host`. */
export async function freeLoopbackPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  // All listeners stay open until every port is known, so the ports differ from each other.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, host, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The last `lines` lines of a log file, for start-up failure messages. */
export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface DetachedServerOptions {
  /** For messages, e.g. "versitygw". */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Appended to on every start. */
  logPath: string;
  registration: RunRegistration;
  /** Where it answers, for the message when it does not. */
  address: string;
  /** True once the server answers; polled every 100 ms for up to 30 s after each start. */
  answers: () => Promise<boolean>;
}

export interface DetachedServer {
  /** Starts it (again, after stop()) and waits until it answers. */
  start(): Promise<void>;
  /** SIGKILLs its process group and waits for the exit; nothing when it is not running. */
  stop(): Promise<void>;
  /** stop(), and no longer kills it when the test process exits. */
  close(): Promise<void>;
}

/**
 * A server (S3, OCI registry) run as its own process group, so stop() kills it and nothing else;
 * unreferenced, so a test that never closes it does not keep the runner alive, and killed when the
 * test process exits.
 */
export function detachedServer(options: DetachedServerOptions): DetachedServer {
  let running: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killOnExit = (): void => {
    if (running?.pid !== undefined) killProcessGroup(running.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const start = async (): Promise<void> => {
    const logFd = openSync(options.logPath, 'a');
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env ?? process.env,
    });
    closeSync(logFd);
    if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
    child.unref();
    running = child;
    options.registration.addProcess(child.pid);
    let exitStatus: string | undefined;
    exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exitStatus = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      }),
    );
    child.once('error', (error) => {
      exitStatus = error.message;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exitStatus !== undefined) {
        throw new Error(
          `${options.name} exited (${exitStatus}) before it answered:\n${logTail(options.logPath, 20)}`,
        );
      }
      if (await options.answers()) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${options.name} did not answer on ${options.address}:\n${logTail(options.logPath, 20)}`,
        );
      }
      await sleep(100);
    }
  };
  const stop = async (): Promise<void> => {
    if (running?.pid === undefined) return;
    // Referenced again so the event loop stays alive until its exit is seen.
    running.ref();
    killProcessGroup(running.pid, 'SIGKILL');
    await exited;
    running = undefined;
  };
  return {
    start,
    stop,
    async close() {
      process.removeListener('exit', killOnExit);
      await stop();
    },
  };
}
