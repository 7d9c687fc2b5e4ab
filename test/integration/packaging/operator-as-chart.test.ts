/**
 * The operator does its whole job with exactly the chart's ServiceAccount and namespace-scoped
 * RBAC — issue, rotate, publish, rotate the managed CA — and is refused what that role must
 * refuse. The Argo CD health check then runs, with the real Lua interpreters, on the status
 * objects this operator just wrote. Watching another namespace than its own, with the chart's
 * container args and the download API on, it keeps its keys in its own namespace through a Role
 * that names them.
 * (A cluster-wide install gets its own control plane: operator-cluster-wide.test.ts.)
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { createTestNamespace } from '../../support/kube.js';
import {
  condition,
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  patchObject,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../../support/operator-process.js';
import { chartOperatorArgs, installChartIdentity } from '../../support/packaging.js';
import { luaInterpreters, runHealthCheck } from '../../support/packaging-lua.js';

jest.setTimeout(240_000);

const healthScript = path.join(repositoryRoot, 'charts/scb-operator/argocd/health.lua');
let operator: OperatorProcess | undefined;
let scratch: string | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

async function health(object: unknown) {
  const results = await Promise.all(luaInterpreters.map((lua) => runHealthCheck(lua, healthScript, object)));
  // Both interpreters must agree: Argo CD's gopher-lua speaks 5.1.
  expect(results[0]).toEqual(results[1]);
  return results[0]?.status;
}

describe("the operator with the chart's namespace-scoped RBAC", () => {
  it('issues, rotates and publishes, is refused other namespaces, and its status reads right in Argo CD', async () => {
    const namespace = await createTestNamespace('chart-op');
    const elsewhere = await createTestNamespace('chart-other');
    const identity = await installChartIdentity({
      namespace,
      scope: 'namespace',
      releaseName: `scb-${namespace}`,
    });
    operator = startOperatorProcess({ kubeconfig: identity.kubeconfigPath, namespace });
    await operator.metricsPort();

    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    const cluster = await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster ref Ready');
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    const v1 = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 1 && isReady(b),
      'version 1',
    );
    expect(await getSecret(namespace, 'app-scb')).toBeDefined();

    // Rotate the bundle, then the managed client CA: both need update rights on what it owns.
    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '1' } },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 2,
      'version 2',
    );
    await patchObject(namespace, 'cassandraclusterrefs', 'orders', {
      metadata: { annotations: { 'scb-operator.io/rotate': '1' } },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 3 && isReady(b),
      'version 3 after the CA rotation',
    );
    expect((await getClusterRef(namespace, 'orders')).status?.clientCA?.sha256Fingerprint).not.toBe(
      cluster.status?.clientCA?.sha256Fingerprint,
    );
    expect(operator.logs.filter((line) => line.level === 'error')).toEqual([]);

    // What the role refuses: Secrets outside its namespace, and a cluster ref there is invisible.
    const asOperator = new KubeConfig();
    asOperator.loadFromFile(identity.kubeconfigPath);
    await expect(
      asOperator.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: elsewhere }),
    ).rejects.toMatchObject({ code: 403 });
    await core().createNamespacedSecret({
      namespace: elsewhere,
      body: { metadata: { name: 'not-yours' }, stringData: { a: 'b' } },
    });
    await createBundle(namespace, 'far', {
      clusterRef: { name: 'orders', namespace: elsewhere },
      platforms: ['nodejs'],
    });
    const far = await waitFor(
      () => getBundle(namespace, 'far'),
      (b) => condition(b, 'Ready')?.reason === 'ClusterRefNotFound',
      'far: ClusterRefNotFound',
    );

    // The Argo CD health check on objects this operator wrote.
    await createBundle(namespace, 'held', { clusterRef: { name: 'orders' }, suspend: true });
    await createBundle(namespace, 'bad-passwords', {
      clusterRef: { name: 'orders' },
      keystores: { passwordSecretRef: { name: 'keystore-passwords' } },
    });
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'keystore-passwords' },
        stringData: { keyStorePassword: 'only-one-of-three' },
      },
    });
    const held = await waitFor(
      () => getBundle(namespace, 'held'),
      (b) => condition(b, 'Ready')?.reason === 'Suspended',
      'held: Suspended',
    );
    const stalled = await waitFor(
      () => getBundle(namespace, 'bad-passwords'),
      (b: SecureConnectionBundle) => condition(b, 'Stalled')?.status === 'True',
      'bad-passwords: Stalled',
      90_000,
    );
    expect(condition(stalled, 'Ready')?.message).toMatch(/has no non-empty key "trustStorePassword"/);
    expect(await health(await getBundle(namespace, 'app'))).toBe('Healthy');
    expect(await health(await getClusterRef(namespace, 'orders'))).toBe('Healthy');
    expect(await health(held)).toBe('Suspended');
    expect(await health(stalled)).toBe('Degraded');
    expect(await health(far)).toBe('Progressing');
    expect(v1.status?.versions?.[0]?.state).toBe('Active');
  });
});

describe("the operator with the chart's namespace-scoped RBAC, watching another namespace", () => {
  it('creates, then on restart reads, its keys in its own namespace through the by-name Role', async () => {
    const own = await createTestNamespace('chart-own');
    const watched = await createTestNamespace('chart-watched');
    const identity = await installChartIdentity({
      namespace: own,
      scope: 'namespace',
      watchNamespace: watched,
      releaseName: `scb-${own}`,
      values: { download: { enabled: true } },
    });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'scb-chart-mounts-'));
    const args = await chartOperatorArgs(identity.rendered, scratch, (name) => getSecret(own, name));
    const start = () =>
      startOperatorProcess({
        kubeconfig: identity.kubeconfigPath,
        namespace: watched,
        operatorNamespace: own,
        extraArgs: args,
      });
    operator = start();
    const started = await operator.waitForLog((line) => line.message === 'operator started', 'start-up');
    expect(Number(started.downloadPort)).toBeGreaterThan(0);

    await createServerCaConfigMap(watched);
    await createClusterRef(watched, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(watched, 'orders'), isReady, 'cluster ref Ready');
    await createBundle(watched, 'app', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    await waitFor(
      () => getBundle(watched, 'app'),
      (b) => b.status?.currentVersion === 1 && isReady(b),
      'version 1',
    );
    const signingKey = await getSecret(own, 'scb-operator-signing-key');
    const linkKey = await getSecret(own, 'scb-operator-download-link-key');
    expect(Object.keys(signingKey?.data ?? {})).toEqual(['signing-key.pem']);
    expect(Buffer.from(linkKey?.data?.['link-key'] ?? '', 'base64')).toHaveLength(32);
    const publicKey = await core().readNamespacedConfigMap({
      namespace: own,
      name: 'scb-operator-signing-key',
    });
    expect(publicKey.data?.['signing-key.pub.pem']).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(operator.logs.filter((line) => line.level === 'error')).toEqual([]);

    // A restart finds both keys (get by name) and applies the public key again (patch by name).
    await stopOperator(operator);
    operator = start();
    await operator.waitForLog((line) => line.message === 'operator started', 'the restart');
    expect((await getSecret(own, 'scb-operator-download-link-key'))?.data).toEqual(linkKey?.data);
    expect((await getSecret(own, 'scb-operator-signing-key'))?.data).toEqual(signingKey?.data);
    expect(operator.logs.filter((line) => line.level === 'error')).toEqual([]);
  });
});
