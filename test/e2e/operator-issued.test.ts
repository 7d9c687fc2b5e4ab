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
 * Then a client-CA rotation: bundles issued before and after it both connect. A running client
 * that moves to rotated bundle files in its pod, as the kubelet writes them, is tested on a real
 * node (test/node/chart.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SecureConnectionBundle } from '../../src/api/v1alpha1/index.js';
import { unpackBundle } from '../../src/bundle/unpack-bundle.js';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { nodeDriverModules, pythonDriverInterpreter } from '../support/cassandra-install.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { runClient, type ClientRun } from '../support/drivers.js';
import {
  clusterApi,
  isReady,
  rotateClientCa,
  secretFile,
  stopOperator,
  waitFor,
  type ClusterApi,
} from '../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';

const setupTimeoutMs = 300_000;
const clientTimeoutMs = 60_000;
const rotationTimeoutMs = 180_000;
const namespace = 'e2e-operator';
const clusterName = 'orders';
const bundleName = 'orders-app';
const zipKey = `secure-connect-${bundleName}.zip`;

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

// ---- client-CA rotation -----------------------------------------------------------------------
// A running client moving to rotated files that the kubelet writes into its pod is tested on a
// real node (test/node/chart.test.ts), with both rotations below.

describe('a client-CA rotation', () => {
  it(
    'the node reloads the new trust bundle, and bundles from before and after it both connect',
    async () => {
      const v1 = await publishedVersion(1);
      const { before, after } = await rotateClientCa(
        api,
        namespace,
        clusterName,
        'e2e-ca-2',
        rotationTimeoutMs,
      );
      // The old intermediate stays trusted beside the new one and the root.
      expect(after.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([
        before.status?.clientCA?.sha256Fingerprint,
      ]);
      // What a node does when its mounted trust-bundle ConfigMap changes.
      await cassandra?.reloadClientTrust(await publishedTrustBundle());

      const v2 = await publishedVersion(2);
      expect(v2.serialNumber).not.toBe(v1.serialNumber);
      // New connections with a bundle from before the rotation, and with the one after it.
      for (const dir of [
        unpackPublished(v1.secret, 'before-ca-rotation'),
        unpackPublished(v2.secret, 'after'),
      ]) {
        for (const run of [nodeExample(dir), pythonExample(dir)]) expectReleaseVersion(run);
      }
    },
    rotationTimeoutMs * 2,
  );
});
