/**
 * A real S3 server for tests: versitygw (built from its Go module by tools/object-store/build.sh)
 * serving a temp folder on a free loopback port, with random root credentials. `stop()` and
 * `start()` take it down and bring it back on the same port and data, for "store is down" tests.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { scbCacheRoot } from './cassandra-install.js';
import { toolFolder } from './control-plane-binaries.js';
import { reapStrayRuns, registerRun } from './control-plane-strays.js';
import { detachedServer, freeLoopbackPorts } from './local-processes.js';

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

  const server = detachedServer({
    name: 'versitygw',
    command: binary,
    args: ['--port', `${host}:${port}`, '--keep-alive', '--quiet', 'posix', '--sidecar', sidecarDir, dataDir],
    cwd: workDir,
    env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
    logPath,
    registration,
    address: endpoint,
    // Any HTTP answer (an anonymous request gets 403) means it serves the S3 API.
    answers: () =>
      fetch(`${endpoint}/`).then(
        () => true,
        () => false,
      ),
  });
  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await server.close();
    client.destroy();
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };

  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  try {
    await server.start();
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
    stop: server.stop,
    start: server.start,
    dispose,
  };
}
