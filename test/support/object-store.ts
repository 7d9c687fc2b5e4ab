/**
 * A real S3 server for tests: versitygw (built from its Go module by tools/object-store/build.sh)
 * serving a temp folder on a free loopback port, with random root credentials. `stop()` and
 * `start()` take it down and bring it back on the same port and data, for "store is down" tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { scbCacheRoot } from './cassandra-install.js';
import { toolFolder } from './control-plane-binaries.js';
import { killProcessGroup, reapStrayRuns, registerRun } from './control-plane-strays.js';
import { freeLoopbackPorts, logTail } from './local-processes.js';

export interface ObjectStoreServer {
  /** http://127.0.0.1:<port>; clients must use path-style addressing. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The folder behind the buckets: `<dataDir>/<bucket>/<key>`. */
  dataDir: string;
  /** A root-credential client of the test's own, to look at the bucket directly. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Kills the server (the data stays); requests fail with ECONNREFUSED until `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it for good and removes its folders. Safe to call twice. */
  dispose(): Promise<void>;
}

const host = '127.0.0.1';
const region = 'us-east-1';

/** The folder with the pinned versitygw; `SCB_OBJECT_STORE_BIN` skips asking build.sh. */
export function objectStoreBinDir(): string {
  return toolFolder('SCB_OBJECT_STORE_BIN', 'tools/object-store/build.sh');
}

export async function startObjectStore(
  options: { log?: (message: string) => void } = {},
): Promise<ObjectStoreServer> {
  const log = options.log ?? (() => {});
  const binary = path.join(objectStoreBinDir(), 'versitygw');
  const runsDir = path.join(scbCacheRoot(), 'object-store-runs');
  const reaped = reapStrayRuns(runsDir);
  if (reaped > 0) log(`killed ${reaped} versitygw process(es) left by an interrupted run`);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-object-store-'));
  const dataDir = path.join(workDir, 'data');
  const sidecarDir = path.join(workDir, 'meta');
  mkdirSync(dataDir);
  mkdirSync(sidecarDir);
  const logPath = path.join(workDir, 'versitygw.log');
  const registration = registerRun(runsDir, workDir);
  const [port] = (await freeLoopbackPorts(1, host)) as [number];
  const endpoint = `http://${host}:${port}`;
  const accessKeyId = `scbtest${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');

  let running: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let disposed = false;

  const launch = async (): Promise<void> => {
    const logFd = openSync(logPath, 'a');
    // detached: its own process group, so stop() kills it and nothing else.
    const child = spawn(
      binary,
      ['--port', `${host}:${port}`, '--keep-alive', '--quiet', 'posix', '--sidecar', sidecarDir, dataDir],
      {
        cwd: workDir,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
      },
    );
    closeSync(logFd);
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    // A caller that never reaches dispose() must not keep the test runner alive.
    child.unref();
    running = child;
    registration.addProcess(child.pid);
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
        throw new Error(`versitygw exited (${exitStatus}) before it answered:\n${logTail(logPath, 20)}`);
      }
      // Any HTTP answer (an anonymous request gets 403) means it serves the S3 API.
      const answered = await fetch(`${endpoint}/`).then(
        () => true,
        () => false,
      );
      if (answered) return;
      if (Date.now() > deadline)
        throw new Error(`versitygw did not answer on ${endpoint}:\n${logTail(logPath, 20)}`);
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
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    process.removeListener('exit', killOnExit);
    await stop();
    client.destroy();
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };
  // A test run that never reaches dispose() must not leave the server behind.
  const killOnExit = (): void => {
    if (running?.pid !== undefined) killProcessGroup(running.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  try {
    await launch();
  } catch (error) {
    await dispose();
    throw error;
  }
  log(`versitygw on ${endpoint} over ${dataDir}`);
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    dataDir,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop,
    start: launch,
    dispose,
  };
}
