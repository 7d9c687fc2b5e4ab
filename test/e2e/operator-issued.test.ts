/**
 * Bundles the real operator issues, used by real clients against a real Cassandra 5.0: a control
 * plane, the operator as its own process, and a node whose client truststore is exactly the
 * trust-bundle ConfigMap the operator publishes for the cluster ref (`<cluster>-client-ca`, key
 * `ca.crt`), and whose serving certificate comes from the server CA the cluster ref names.
 *
 * The node starts (beside the control plane, to save time) trusting a CA that signs nothing, and
 * takes the published trust bundle with `nodetool reloadssl` once the operator has made it: no
 * client gets in on anything but that ConfigMap.
 *
 * Then a long-running client that reads only a folder laid out like the bundle Secret mounted in
 * a pod keeps querying every 500 ms through a bundle rotation and a client-CA rotation, while
 * the test updates that folder the way the kubelet does (atomic `..data` symlink swap).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SecureConnectionBundle } from '../../src/api/v1alpha1/index.js';
import { unpackBundle } from '../../src/bundle/unpack-bundle.js';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { nodeDriverModules, pythonDriverInterpreter } from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { runClient, type ClientRun } from '../support/drivers.js';
import {
  clusterApi,
  isReady,
  secretFile,
  stopOperator,
  waitFor,
  type ClusterApi,
} from '../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { writeMountedSecret } from './mounted-secret.js';

const setupTimeoutMs = 300_000;
const clientTimeoutMs = 60_000;
const rotationTimeoutMs = 180_000;
const namespace = 'e2e-operator';
const clusterName = 'orders';
const bundleName = 'orders-app';
const zipKey = `secure-connect-${bundleName}.zip`;
const rotatingClientScript = path.join(repositoryRoot, 'test/e2e/clients/rotating-client.mjs');

let controlPlane: ControlPlane | undefined;
let operator: OperatorProcess | undefined;
let cassandra: Cassandra | undefined;
let api: ClusterApi;
let workDir: string;
let nodeModules: string;
let python: string;

const log = (component: string) => (message: string) => console.log(`[${component}] ${message}`);

beforeAll(async () => {
  const startedAt = Date.now();
  nodeModules = nodeDriverModules();
  python = pythonDriverInterpreter();
  workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-e2e-operator-'));
  const serverCa = await createCertificateAuthority('scb-operator e2e Cassandra server CA');
  const serving = await serverCa.issueServingCertificate(['127.0.0.1'], ['localhost']);
  const nobody = await createCertificateAuthority('placeholder client CA that signs nothing');

  const startingCassandra = startCassandra({
    serverCertPem: serving.certificatePem,
    serverKeyPem: serving.privateKeyPem,
    clientCaTrustPem: nobody.certificatePem,
    log: log('cassandra'),
  });
  // Not left dangling if the control plane fails first.
  startingCassandra.catch(() => undefined);
  controlPlane = await startControlPlane({ log: log('control plane') });
  api = clusterApi(controlPlane.adminKubeConfig());
  await api.core().createNamespace({ body: { metadata: { name: namespace } } });
  operator = startOperatorProcess({
    kubeconfig: await controlPlane.kubeconfigFor('scb-operator-e2e', ['system:masters']),
    namespace,
  });
  await api.createServerCaConfigMap(namespace, 'e2e-server-ca', serverCa.certificatePem);
  await operator.waitForLog(
    (line) => line.message === 'leading: reconciling',
    'the operator to lead',
    120_000,
  );
  cassandra = await startingCassandra;

  await api.createClusterRef(namespace, clusterName, {
    connection: {
      contactPoints: [cassandra.host],
      port: cassandra.port,
      localDatacenter: cassandra.datacenter,
    },
    serverCA: { configMapRef: { name: 'e2e-server-ca' } },
    clientCA: { managed: {} },
  });
  await waitFor(
    () => api.getClusterRef(namespace, clusterName),
    isReady,
    `cluster ref ${clusterName} Ready`,
    120_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n--- operator log tail ---\n${operatorLogTail()}`, { cause: error });
  });
  await cassandra.reloadClientTrust(await publishedTrustBundle());
  console.log(`[setup] control plane, operator and Cassandra ready in ${secondsSince(startedAt)} s`);
}, setupTimeoutMs);

afterAll(async () => {
  rotatingClient?.process.kill('SIGKILL');
  await stopOperator(operator);
  await Promise.all([cassandra?.stop(), controlPlane?.stop()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 60_000);

function operatorLogTail(): string {
  const lines = (operator?.logs ?? []).slice(-20).map((line) => JSON.stringify(line));
  return `${lines.join('\n')}\n${operator?.stderr().slice(-2000) ?? ''}`;
}

function secondsSince(startedAt: number): string {
  return ((Date.now() - startedAt) / 1000).toFixed(1);
}

async function publishedTrustBundle(): Promise<string> {
  const configMap = await api.core().readNamespacedConfigMap({ namespace, name: `${clusterName}-client-ca` });
  const pem = configMap.data?.['ca.crt'];
  if (!pem) throw new Error(`ConfigMap ${clusterName}-client-ca has no ca.crt`);
  return pem;
}

const versionOf = (bundle: SecureConnectionBundle) => bundle.status?.currentVersion ?? 0;

/** Waits for `version` to be current and Ready, and for the published Secret to carry it. */
async function publishedVersion(version: number) {
  const bundle = await waitFor(
    () => api.getBundle(namespace, bundleName),
    (b) => versionOf(b) === version && isReady(b),
    `${bundleName} version ${version} Ready`,
    rotationTimeoutMs,
  );
  const secret = await waitFor(
    () => api.getSecret(namespace, `${bundleName}-scb`),
    (s) => s?.metadata?.annotations?.['scb-operator.io/version'] === String(version),
    `Secret ${bundleName}-scb at version ${version}`,
  );
  if (!secret) throw new Error(`Secret ${bundleName}-scb is gone`);
  const serialNumber = bundle.status?.versions?.[0]?.serialNumber;
  expect(bundle.status?.versions?.[0]?.version).toBe(version);
  return { bundle, secret, serialNumber: normalizeSerial(serialNumber ?? '') };
}

/** Hex serials compare as numbers: case and leading zeros differ between tools. */
function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+/, '');
}

/** Unpacks the zip of the published Secret into its own folder, as `scbctl unpack` does. */
function unpackPublished(secret: Parameters<typeof secretFile>[0], folder: string): string {
  const dir = path.join(workDir, folder);
  unpackBundle(secretFile(secret, zipKey), dir, zipKey);
  return dir;
}

function nodeExample(dir: string): ClientRun {
  return runClient('node', [path.join(dir, 'platforms/nodejs/example.js')], {
    env: { SCB_BUNDLE_DIR: dir, NODE_PATH: nodeModules },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function pythonExample(dir: string): ClientRun {
  return runClient(python, [path.join(dir, 'platforms/python/example.py')], {
    env: { SCB_BUNDLE_DIR: dir },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function expectReleaseVersion(run: ClientRun): void {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout.trim()).toBe(cassandra?.version);
}

describe('bundles the operator issues, with a real Cassandra', () => {
  it(
    "the Secret's zip, unpacked, lets the bundle's own Node.js and Python examples print release_version",
    async () => {
      await api.createBundle(namespace, bundleName, { clusterRef: { name: clusterName } });
      const { secret } = await publishedVersion(1);
      const dir = unpackPublished(secret, 'v1');
      for (const run of [nodeExample(dir), pythonExample(dir)]) expectReleaseVersion(run);
    },
    rotationTimeoutMs,
  );
});

// ---- live rotation --------------------------------------------------------------------------

type ClientEvent =
  | { event: 'connected'; version: number; fileSerial: string; presentedSerials: string[] }
  | { event: 'query'; ok: boolean; version: number; releaseVersion?: string; error?: string }
  | { event: 'connect-failed'; version: number; error: string };

interface RotatingClient {
  process: ChildProcess;
  events: ClientEvent[];
  stderr(): string;
}

let rotatingClient: RotatingClient | undefined;
let mountDir: string;

function startRotatingClient(dir: string): RotatingClient {
  const child = spawn('node', [rotatingClientScript], {
    env: { ...process.env, SCB_BUNDLE_DIR: dir, NODE_PATH: nodeModules },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ClientEvent[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) events.push(JSON.parse(line) as ClientEvent);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return { process: child, events, stderr: () => stderr };
}

/** Waits until the client has a session on `version` and has run `queries` queries on it. */
async function clientOn(client: RotatingClient, version: number, queries = 3) {
  await waitFor(
    async () => client.events,
    (events) =>
      events.filter((e) => e.event === 'query' && e.version === version).length >= queries ||
      client.process.exitCode !== null,
    `the client to run ${queries} queries with bundle version ${version}`,
    rotationTimeoutMs,
  );
  if (client.process.exitCode !== null) {
    throw new Error(`the client exited (${client.process.exitCode}):\n${client.stderr()}`);
  }
  const connected = client.events.find((e) => e.event === 'connected' && e.version === version);
  if (connected?.event !== 'connected') throw new Error(`no session on version ${version}`);
  return connected;
}

function failures(client: RotatingClient): ClientEvent[] {
  return client.events.filter((e) => (e.event === 'query' && !e.ok) || e.event === 'connect-failed');
}

describe('live rotation: a running client moves to new bundle files without a failed query', () => {
  let serialV1: string;
  let bundleV2Dir: string;

  it(
    'a rotation asked for by annotation: the client presents the new certificate on its next session',
    async () => {
      const v1 = await publishedVersion(1);
      serialV1 = v1.serialNumber;
      mountDir = path.join(workDir, 'mounted');
      writeMountedSecret(mountDir, v1.secret);
      const client = startRotatingClient(mountDir);
      rotatingClient = client;
      const first = await clientOn(client, 1);
      expect(normalizeSerial(first.fileSerial)).toBe(serialV1);
      expect(first.presentedSerials.map(normalizeSerial)).toContain(serialV1);

      const rotatedAt = Date.now();
      await api.patchObject(namespace, 'secureconnectionbundles', bundleName, {
        metadata: { annotations: { 'scb-operator.io/rotate': 'e2e-live-1' } },
      });
      const v2 = await publishedVersion(2);
      writeMountedSecret(mountDir, v2.secret);
      const second = await clientOn(client, 2);
      console.log(`[rotation] bundle v1 -> v2 in use by the client after ${secondsSince(rotatedAt)} s`);
      bundleV2Dir = unpackPublished(v2.secret, 'v2');

      expect(v2.serialNumber).not.toBe(serialV1);
      expect(normalizeSerial(second.fileSerial)).toBe(v2.serialNumber);
      // Every TLS connection of the new session sent the new certificate.
      expect(second.presentedSerials.length).toBeGreaterThan(0);
      expect(new Set(second.presentedSerials.map(normalizeSerial))).toEqual(new Set([v2.serialNumber]));
      expect(failures(client)).toEqual([]);
    },
    rotationTimeoutMs * 2,
  );

  it(
    'a client-CA rotation: the node reloads the new trust bundle, and bundles from before and after it both connect',
    async () => {
      const client = rotatingClient;
      if (!client) throw new Error('the previous test did not start the client');
      const before = await api.getClusterRef(namespace, clusterName);
      const rotatedAt = Date.now();
      await api.patchObject(namespace, 'cassandraclusterrefs', clusterName, {
        metadata: { annotations: { 'scb-operator.io/rotate': 'e2e-ca-2' } },
      });
      const after = await waitFor(
        () => api.getClusterRef(namespace, clusterName),
        (c) =>
          c.status?.clientCA?.sha256Fingerprint !== before.status?.clientCA?.sha256Fingerprint && isReady(c),
        'a new client CA',
        rotationTimeoutMs,
      );
      // The old intermediate stays trusted beside the new one and the root.
      expect(after.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([
        before.status?.clientCA?.sha256Fingerprint,
      ]);
      // What a node does when its mounted trust-bundle ConfigMap changes.
      await cassandra?.reloadClientTrust(await publishedTrustBundle());

      const v3 = await publishedVersion(3);
      writeMountedSecret(mountDir, v3.secret);
      const third = await clientOn(client, 3);
      console.log(`[rotation] client CA rotated, bundle v3 in use after ${secondsSince(rotatedAt)} s`);
      expect(normalizeSerial(third.fileSerial)).toBe(v3.serialNumber);
      expect(new Set(third.presentedSerials.map(normalizeSerial))).toEqual(new Set([v3.serialNumber]));

      // New connections with a bundle from before the rotation, and with the one after it.
      const bundleV3Dir = unpackPublished(v3.secret, 'v3');
      for (const dir of [bundleV2Dir, bundleV3Dir]) {
        for (const run of [nodeExample(dir), pythonExample(dir)]) expectReleaseVersion(run);
      }

      client.process.kill('SIGTERM');
      await waitFor(
        async () => client.process.exitCode,
        (code) => code !== null,
        'the client to stop',
      );
      rotatingClient = undefined;
      const queries = client.events.filter((e) => e.event === 'query');
      console.log(
        `[rotation] the client ran ${queries.length} queries over versions 1-3, ${failures(client).length} failed`,
      );
      expect(failures(client)).toEqual([]);
      expect(client.process.exitCode).toBe(0);
      expect(new Set(queries.map((e) => e.version))).toEqual(new Set([1, 2, 3]));
    },
    rotationTimeoutMs * 2,
  );
});
