/**
 * Objects and waits the operator's integration and end-to-end tests share: a server-CA ConfigMap,
 * cluster refs and bundles created through the real API, fresh reads, and polling until a
 * condition holds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import type { CassandraClusterRef, SecureConnectionBundle } from '../../src/api/v1alpha1/index.js';
import { createCertificateAuthority } from './control-plane-pki.js';
import { kubeConfig, kubeconfigForUser } from './kube.js';
import { leakScanDir, recordClusterSnapshot, snapshotWhileRunning } from './leak-scan-output.js';
import {
  startOperatorProcess,
  type OperatorProcess,
  type OperatorProcessOptions,
} from './operator-process.js';

const group = 'scb-operator.io';
const version = 'v1alpha1';

/**
 * The objects a test creates and reads through the real API, as the given user. The integration
 * tests use the run's global control plane (the functions exported below); an end-to-end test
 * passes the KubeConfig of the control plane it started.
 */
export function clusterApi(kubeConfig: KubeConfig) {
  const core = () => kubeConfig.makeApiClient(CoreV1Api);
  const custom = () => kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    core,

    /**
     * A server CA (the Cassandra nodes' issuer, as far as bundles are concerned) in a ConfigMap:
     * the given certificate, or a fresh CA's. Returns the PEM stored.
     */
    async createServerCaConfigMap(
      namespace: string,
      name = 'cassandra-server-ca',
      certificatePem?: string,
    ): Promise<string> {
      const pem =
        certificatePem ??
        (await createCertificateAuthority('integration Cassandra server CA')).certificatePem;
      await core().createNamespacedConfigMap({
        namespace,
        body: { metadata: { name }, data: { 'ca.crt': pem } },
      });
      return pem;
    },

    async createClusterRef(namespace: string, name: string, spec: Record<string, unknown>) {
      await custom().createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'cassandraclusterrefs',
        body: { apiVersion: `${group}/${version}`, kind: 'CassandraClusterRef', metadata: { name }, spec },
      });
    },

    async createBundle(
      namespace: string,
      name: string,
      spec: Record<string, unknown>,
      annotations: Record<string, string> = {},
    ) {
      await custom().createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'secureconnectionbundles',
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'SecureConnectionBundle',
          metadata: { name, annotations },
          spec,
        },
      });
    },

    async getBundle(namespace: string, name: string): Promise<SecureConnectionBundle> {
      return (await custom().getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'secureconnectionbundles',
        name,
      })) as SecureConnectionBundle;
    },

    async getClusterRef(namespace: string, name: string): Promise<CassandraClusterRef> {
      return (await custom().getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'cassandraclusterrefs',
        name,
      })) as CassandraClusterRef;
    },

    /** JSON merge patch of a resource's spec or metadata. */
    async patchObject(
      namespace: string,
      plural: 'secureconnectionbundles' | 'cassandraclusterrefs',
      name: string,
      body: Record<string, unknown>,
    ) {
      await custom().patchNamespacedCustomObject(
        { group, version, namespace, plural, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },

    async getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
      try {
        return await core().readNamespacedSecret({ namespace, name });
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      }
    },
  };
}

export type ClusterApi = ReturnType<typeof clusterApi>;

// The integration tests' control plane, looked up at each call (its connection file is set by
// the integration project's global setup).
const integrationApi = (): ClusterApi => clusterApi(kubeConfig());

export const core = () => integrationApi().core();
export const createServerCaConfigMap: ClusterApi['createServerCaConfigMap'] = (...args) =>
  integrationApi().createServerCaConfigMap(...args);
export const createClusterRef: ClusterApi['createClusterRef'] = (...args) =>
  integrationApi().createClusterRef(...args);
export const createBundle: ClusterApi['createBundle'] = (...args) => integrationApi().createBundle(...args);
export const getBundle: ClusterApi['getBundle'] = (...args) => integrationApi().getBundle(...args);
export const getClusterRef: ClusterApi['getClusterRef'] = (...args) =>
  integrationApi().getClusterRef(...args);
export const patchObject: ClusterApi['patchObject'] = (...args) => integrationApi().patchObject(...args);
export const getSecret: ClusterApi['getSecret'] = (...args) => integrationApi().getSecret(...args);

export function managedClusterSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connection: { contactPoints: ['10.0.0.1', '10.0.0.2'], localDatacenter: 'dc1' },
    serverCA: { configMapRef: { name: 'cassandra-server-ca' } },
    clientCA: { managed: {} },
    ...overrides,
  };
}

/** Polls `read` until `done` holds; the error shows the last value read. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last seen:\n${JSON.stringify(last, null, 1).slice(0, 3000)}`,
      );
    }
    await sleep(250);
  }
}

/**
 * Asks the operator to rotate a managed client CA (the rotate annotation, `token` a fresh value)
 * and waits for the cluster ref to be Ready with a new CA; returns the ref before and after.
 */
export async function rotateClientCa(
  api: ClusterApi,
  namespace: string,
  name: string,
  token: string,
  timeoutMs?: number,
): Promise<{ before: CassandraClusterRef; after: CassandraClusterRef }> {
  const before = await api.getClusterRef(namespace, name);
  await api.patchObject(namespace, 'cassandraclusterrefs', name, {
    metadata: { annotations: { 'scb-operator.io/rotate': token } },
  });
  const after = await waitFor(
    () => api.getClusterRef(namespace, name),
    (c) => c.status?.clientCA?.sha256Fingerprint !== before.status?.clientCA?.sha256Fingerprint && isReady(c),
    'a new client CA',
    timeoutMs,
  );
  return { before, after };
}

export function condition(
  object: {
    status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
  },
  type: string,
) {
  return object.status?.conditions?.find((candidate) => candidate.type === type);
}

export const isReady = (object: Parameters<typeof condition>[0]) =>
  condition(object, 'Ready')?.status === 'True';

/**
 * A serving certificate for the download API on 127.0.0.1 in a fresh folder (the caller removes
 * `dir`), its CA for the callers, and the operator flags that serve the API with it on a free port.
 */
export async function downloadApiServing(
  caName: string,
): Promise<{ dir: string; caPem: string; args: string[] }> {
  const ca = await createCertificateAuthority(caName);
  const serving = await ca.issueServingCertificate(['127.0.0.1'], ['localhost']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-download-tls-'));
  writeFileSync(path.join(dir, 'tls.crt'), serving.certificatePem);
  writeFileSync(path.join(dir, 'tls.key'), serving.privateKeyPem, { mode: 0o600 });
  return {
    dir,
    caPem: ca.certificatePem,
    args: [
      ...['--download-address', '127.0.0.1:0'],
      ...['--download-tls-cert', path.join(dir, 'tls.crt')],
      ...['--download-tls-key', path.join(dir, 'tls.key')],
    ],
  };
}

/** An operator with cluster-admin rights (the chart's RBAC is tested with the packaging). */
export async function startTestOperator(
  options: Omit<OperatorProcessOptions, 'kubeconfig'>,
): Promise<OperatorProcess> {
  const kubeconfig = await kubeconfigForUser('scb-operator-integration', ['system:masters']);
  const operator = startOperatorProcess({ kubeconfig, ...options });
  // Only an integration run records for the leak scan; an end-to-end test has its own control plane.
  if (leakScanDir()) snapshotWhileRunning(operator.exited, kubeConfig());
  return operator;
}

/**
 * Stops a test's operator; `cluster` is the control plane it ran against when that is not the
 * run's global one (a test that starts its own), so the leak scan snapshots the right cluster.
 */
/** Starts the leak scan's snapshots of a cluster a test started itself, while `operator` runs. */
export function recordWhileRunning(operator: OperatorProcess, cluster: KubeConfig): OperatorProcess {
  snapshotWhileRunning(operator.exited, cluster);
  return operator;
}

export async function stopOperator(
  operator: OperatorProcess | undefined,
  cluster?: KubeConfig,
): Promise<void> {
  if (!operator) return;
  // For the leak scan: what this operator exposed, before a later test deletes or changes it.
  // Only an integration run has the global control plane, so it is looked up only then.
  await operator.recordMetrics();
  if (leakScanDir()) await recordClusterSnapshot(cluster ?? kubeConfig());
  operator.kill('SIGTERM');
  // The timer is cancelled once the process exits, so no pending sleep keeps Jest alive.
  const deadline = new AbortController();
  const timeout = sleep(30_000, 'timeout', { signal: deadline.signal }).catch(() => 'cancelled');
  const outcome = await Promise.race([operator.exited, timeout]);
  deadline.abort();
  if (outcome === 'timeout') {
    operator.kill('SIGKILL');
    await operator.exited;
  }
}

export function secretFile(secret: V1Secret | undefined, key: string): Buffer {
  const value = secret?.data?.[key];
  if (value === undefined) throw new Error(`Secret ${secret?.metadata?.name} has no key ${key}`);
  return Buffer.from(value, 'base64');
}

/** `openssl verify` of a leaf (first certificate of `chainPem`) against `trustPem`. */
export function opensslVerify(trustPem: string, chainPem: string, workDir: string): string {
  writeFileSync(`${workDir}/trust.pem`, trustPem);
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  writeFileSync(`${workDir}/leaf.pem`, blocks[0] ?? '');
  writeFileSync(`${workDir}/untrusted.pem`, blocks.slice(1).join('') || (blocks[0] ?? ''));
  return execFileSync(
    'openssl',
    [
      'verify',
      '-purpose',
      'sslclient',
      '-CAfile',
      `${workDir}/trust.pem`,
      '-untrusted',
      `${workDir}/untrusted.pem`,
      `${workDir}/leaf.pem`,
    ],
    { encoding: 'utf8' },
  );
}
