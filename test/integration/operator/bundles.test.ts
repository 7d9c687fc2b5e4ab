/**
 * The operator's main job on a real control plane: a cluster ref with a managed CA and a bundle
 * become Ready, the published Secret's certificate chains to the published trust bundle, spec
 * changes make new versions with history pruning and an Event per version, short-lived
 * certificates renew on their own, and a client-CA rotation re-issues every bundle of the cluster.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { EventsV1Api } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { createTestNamespace, kubeConfig, kubectl } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
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
  opensslVerify,
  patchObject,
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(240_000);

let operator: OperatorProcess | undefined;
let workDir: string;

beforeEach(() => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-operator-it-'));
});

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  rmSync(workDir, { recursive: true, force: true });
});

async function readyCluster(namespace: string, name = 'orders') {
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, name, managedClusterSpec());
  return waitFor(() => getClusterRef(namespace, name), isReady, `cluster ref ${name} Ready`);
}

const versionOf = (bundle: SecureConnectionBundle) => bundle.status?.currentVersion ?? 0;

describe('operator: bundles on the real control plane', () => {
  it('issues a Ready bundle whose certificate chains to the published client CA, and kubectl wait sees it', async () => {
    const namespace = await createTestNamespace('op-ready');
    operator = await startTestOperator({ namespace });
    await readyCluster(namespace);
    await createBundle(namespace, 'orders-app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs', 'python'],
    });

    await kubectl(['wait', '--for=condition=Ready', 'scb/orders-app', '-n', namespace, '--timeout=60s']);
    const bundle = await getBundle(namespace, 'orders-app');
    expect(bundle.status).toMatchObject({
      currentVersion: 1,
      secretName: 'orders-app-scb',
      observedGeneration: 1,
    });
    expect(bundle.status?.versions).toEqual([
      expect.objectContaining({ version: 1, state: 'Active', secretName: 'orders-app-scb-v1' }),
    ]);

    const published = await getSecret(namespace, 'orders-app-scb');
    const zip = secretFile(published, 'secure-connect-orders-app.zip');
    expect(createHash('sha256').update(zip).digest('hex')).toBe(bundle.status?.versions?.[0]?.bundleSHA256);
    // The unpacked files in the Secret are the zip's own top-level files, byte for byte.
    const entries = readZip(zip, 'published zip');
    for (const name of [
      'config.json',
      'ca.crt',
      'cert',
      'key',
      'cert.pfx',
      'identity.jks',
      'trustStore.jks',
    ]) {
      expect(
        secretFile(published, name).equals(entries.find((e) => e.path === name)?.content ?? Buffer.alloc(0)),
      ).toBe(true);
    }
    const trust = await core().readNamespacedConfigMap({ namespace, name: 'orders-client-ca' });
    const verified = opensslVerify(
      trust.data?.['ca.crt'] ?? '',
      secretFile(published, 'cert').toString(),
      workDir,
    );
    expect(verified).toMatch(/leaf\.pem: OK/);

    const versionSecret = await getSecret(namespace, 'orders-app-scb-v1');
    expect(versionSecret?.immutable).toBe(true);
    expect(versionSecret?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'SecureConnectionBundle',
      name: 'orders-app',
      controller: true,
    });
    // Nothing secret in status.
    expect(JSON.stringify(bundle.status)).not.toMatch(/PRIVATE KEY|password/i);
  });

  it('issues version 2 on a spec change and prunes history down to revisionHistoryLimit', async () => {
    const namespace = await createTestNamespace('op-history');
    operator = await startTestOperator({ namespace });
    await readyCluster(namespace);
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => versionOf(b) === 1 && isReady(b),
      'version 1',
    );

    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      spec: { platforms: ['nodejs', 'python'] },
    });
    const second = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => versionOf(b) === 2 && isReady(b),
      'version 2',
    );
    expect(second.status?.versions?.map((v) => [v.version, v.state])).toEqual([
      [2, 'Active'],
      [1, 'Deprecated'],
    ]);
    const zip2 = readZip(secretFile(await getSecret(namespace, 'app-scb'), 'secure-connect-app.zip'), 'v2');
    expect(zip2.some((entry) => entry.path.startsWith('platforms/python/'))).toBe(true);

    // One Event per version, on the bundle, saying which version went where and why.
    const events = kubeConfig().makeApiClient(EventsV1Api);
    const issuedEvents = await waitFor(
      async () =>
        (await events.listNamespacedEvent({ namespace })).items
          .filter(
            (event) => event.regarding?.kind === 'SecureConnectionBundle' && event.regarding.name === 'app',
          )
          .map((event) => ({ type: event.type, reason: event.reason, note: event.note ?? '' }))
          .sort((a, b) => a.note.localeCompare(b.note)),
      (list) => list.length >= 2,
      'Events for versions 1 and 2',
    );
    expect(issuedEvents).toEqual([
      {
        type: 'Normal',
        reason: 'Issued',
        note: expect.stringMatching(
          /^version 1 published in Secret app-scb \(Initial: .*\); valid until \S+Z$/,
        ),
      },
      {
        type: 'Normal',
        reason: 'Rotated',
        note: expect.stringMatching(
          /^version 2 published in Secret app-scb \(InputsChanged: .*\); valid until /,
        ),
      },
    ]);

    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'now' } },
      spec: { revisionHistoryLimit: 1 },
    });
    const third = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => versionOf(b) === 3,
      'version 3',
    );
    expect(third.status?.versions?.map((v) => [v.version, v.state, v.secretName])).toEqual([
      [3, 'Active', 'app-scb-v3'],
      [2, 'Deprecated', 'app-scb-v2'],
      [1, 'Archived', undefined],
    ]);
    await waitFor(
      () => getSecret(namespace, 'app-scb-v1'),
      (secret) => secret === undefined,
      'v1 Secret deleted',
    );
    expect(await getSecret(namespace, 'app-scb-v2')).toBeDefined();
  });

  it('renews a 2-minute certificate on its own at two thirds of its life', async () => {
    const namespace = await createTestNamespace('op-renew');
    operator = await startTestOperator({ namespace });
    await readyCluster(namespace);
    await createBundle(namespace, 'short', {
      clusterRef: { name: 'orders' },
      duration: '2m',
      platforms: ['nodejs'],
    });
    const first = await waitFor(
      () => getBundle(namespace, 'short'),
      (b) => versionOf(b) === 1,
      'version 1',
    );
    const notBefore = Date.parse(first.status?.notBefore ?? '');
    expect(Date.parse(first.status?.notAfter ?? '') - notBefore).toBe(120_000);
    expect(Date.parse(first.status?.renewalTime ?? '') - notBefore).toBe(80_000);

    // No clock is touched: the operator's own requeue at renewalTime does this.
    const renewed = await waitFor(
      () => getBundle(namespace, 'short'),
      (b) => versionOf(b) === 2 && isReady(b),
      'version 2',
      150_000,
    );
    const issuedAt = Date.parse(renewed.status?.notBefore ?? '');
    expect(issuedAt).toBeGreaterThanOrEqual(Date.parse(first.status?.renewalTime ?? ''));
    // Soon after renewalTime (timers lag on a busy machine), long before any periodic resync.
    expect(issuedAt - Date.parse(first.status?.renewalTime ?? '')).toBeLessThan(30_000);
    // Status is written before the log line, so wait for the line rather than read it at once.
    const rotated = await operator.waitForLog(
      (line) => line.message === 'issued bundle version' && line.version === 2,
      'the v2 log line',
    );
    expect(rotated.trigger).toBe('RenewalDue');
  });

  it('re-issues every bundle of a cluster when its client CA is rotated', async () => {
    const namespace = await createTestNamespace('op-ca-rotate');
    operator = await startTestOperator({ namespace });
    const before = await readyCluster(namespace);
    for (const name of ['a', 'b'])
      await createBundle(namespace, name, { clusterRef: { name: 'orders' }, platforms: ['cqlsh'] });
    for (const name of ['a', 'b'])
      await waitFor(
        () => getBundle(namespace, name),
        (b) => versionOf(b) === 1,
        `${name} v1`,
      );

    await patchObject(namespace, 'cassandraclusterrefs', 'orders', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'ca-2' } },
    });
    const after = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (c) => c.status?.clientCA?.sha256Fingerprint !== before.status?.clientCA?.sha256Fingerprint,
      'a new client CA',
    );
    const trust = await core().readNamespacedConfigMap({ namespace, name: 'orders-client-ca' });
    // The old intermediate stays trusted beside the new one (and the root).
    expect(after.status?.trustBundle?.certificates).toBe(3);
    expect(after.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([
      before.status?.clientCA?.sha256Fingerprint,
    ]);

    for (const name of ['a', 'b']) {
      const bundle = await waitFor(
        () => getBundle(namespace, name),
        (b) => versionOf(b) === 2 && isReady(b),
        `${name} v2`,
      );
      expect(condition(bundle, 'Ready')?.reason).toBe('BundleReady');
      // The chain a client sends is leaf + issuing CA: now the new intermediate.
      const chain = secretFile(await getSecret(namespace, `${name}-scb`), 'cert').toString();
      const sentIssuer = new X509Certificate(
        chain.split('-----END CERTIFICATE-----\n')[1] + '-----END CERTIFICATE-----\n',
      );
      expect(sentIssuer.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(
        after.status?.clientCA?.sha256Fingerprint,
      );
      expect(opensslVerify(trust.data?.['ca.crt'] ?? '', chain, workDir)).toMatch(/leaf\.pem: OK/);
      const issued = await operator.waitForLog(
        (line) => line.message === 'issued bundle version' && line.version === 2 && line.name === name,
        `${name}'s v2 log line`,
      );
      expect(issued.trigger).toBe('ClientCARotated');
    }
    expect(
      operator.logs.filter((line) => line.message === 'issued bundle version' && line.version === 2),
    ).toHaveLength(2);
  });
});
