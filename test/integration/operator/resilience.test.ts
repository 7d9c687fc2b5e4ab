/**
 * The operator under the failures a cluster deals it: killed with SIGKILL in the middle of
 * issuing, it converges after a restart with no version number reused or left dangling; run as
 * two replicas, only the leader writes, and the other takes over when the leader stops.
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { createTestNamespace } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getClusterRef,
  isReady,
  managedClusterSpec,
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';
import { CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { kubeConfig } from '../../support/kube.js';

jest.setTimeout(240_000);

const operators: OperatorProcess[] = [];
afterEach(async () => {
  await Promise.all(operators.splice(0).map((operator) => stopOperator(operator)));
});

async function listBundles(namespace: string): Promise<SecureConnectionBundle[]> {
  const list = (await kubeConfig().makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'scb-operator.io',
    version: 'v1alpha1',
    namespace,
    plural: 'secureconnectionbundles',
  })) as { items: SecureConnectionBundle[] };
  return list.items;
}

async function readyCluster(namespace: string) {
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, 'orders', managedClusterSpec());
  await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster ref Ready');
}

/**
 * Every bundle's history is consistent with the cluster: each version number once, each listed
 * Secret holds exactly the bundle status records, the published Secret holds the current one,
 * and no version Secret exists that status does not list.
 */
async function expectConsistent(namespace: string, bundles: SecureConnectionBundle[]) {
  const secrets = (await core().listNamespacedSecret({ namespace })).items;
  for (const bundle of bundles) {
    const name = bundle.metadata.name ?? '';
    const versions = bundle.status?.versions ?? [];
    expect(new Set(versions.map((v) => v.version)).size).toBe(versions.length);
    for (const entry of versions.filter((v) => v.secretName)) {
      const secret = secrets.find((s) => s.metadata?.name === entry.secretName);
      const zip = secretFile(secret, `secure-connect-${name}.zip`);
      expect(createHash('sha256').update(zip).digest('hex')).toBe(entry.bundleSHA256);
      expect(secret?.metadata?.annotations?.['scb-operator.io/bundle-sha256']).toBe(entry.bundleSHA256);
    }
    const current = versions.find((v) => v.version === bundle.status?.currentVersion);
    const published = secrets.find((s) => s.metadata?.name === `${name}-scb`);
    expect(
      createHash('sha256')
        .update(secretFile(published, `secure-connect-${name}.zip`))
        .digest('hex'),
    ).toBe(current?.bundleSHA256);
    const listed = new Set(versions.map((v) => v.secretName).filter(Boolean));
    const versionSecrets = secrets.filter(
      (s) =>
        s.metadata?.labels?.['scb-operator.io/role'] === 'bundle-version' &&
        s.metadata.ownerReferences?.[0]?.name === name,
    );
    expect(versionSecrets.map((s) => s.metadata?.name).filter((n) => !listed.has(n))).toEqual([]);
  }
}

/** Issued/Rotated Events per bundle and version ("app-3 v1"), from their notes. */
async function versionEvents(namespace: string): Promise<string[]> {
  const events = await kubeConfig().makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items
    .filter((event) => event.reason === 'Issued' || event.reason === 'Rotated')
    .map((event) => `${event.regarding?.name} v${/^version (\d+) /.exec(event.note ?? '')?.[1]}`)
    .sort();
}

describe('operator: crashes and replicas', () => {
  it('converges after a SIGKILL in the middle of issuing, without reusing or orphaning a version', async () => {
    const namespace = await createTestNamespace('op-crash');
    const first = await startTestOperator({ namespace, leaderElect: false, concurrency: 4 });
    operators.push(first);
    await readyCluster(namespace);
    const count = 40;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        createBundle(namespace, `app-${i}`, { clusterRef: { name: 'orders' }, platforms: ['nodejs'] }),
      ),
    );
    await first.waitForLog((line) => line.message === 'issued bundle version', 'the first issued version');
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const issuedBeforeKill = first.logs.filter((line) => line.message === 'issued bundle version').length;
    expect(issuedBeforeKill).toBeLessThan(count);

    const second = await startTestOperator({ namespace, leaderElect: false, concurrency: 4 });
    operators.push(second);
    const settled = await waitFor(
      () => listBundles(namespace),
      (bundles) => bundles.length === count && bundles.every(isReady),
      'every bundle Ready after the restart',
      120_000,
    );
    await expectConsistent(namespace, settled);
    // A pass that had claimed a number before the kill moves on to the next one; none is reused.
    for (const bundle of settled) expect(bundle.status?.versions?.[0]?.state).toBe('Active');
    // Exactly one Issued Event per published version, also for passes killed between their status
    // write and their Event (written in the background: poll until they are all there).
    const expected = settled
      .map((bundle) => `${bundle.metadata.name} v${bundle.status?.currentVersion}`)
      .sort();
    const events = await waitFor(
      () => versionEvents(namespace),
      (found) => found.length >= expected.length,
      'an Event for every version',
    );
    expect(events).toEqual(expected);
  });

  it('lets only the leader write, and hands over when the leader stops', async () => {
    const namespace = await createTestNamespace('op-leader');
    const a = await startTestOperator({ namespace, identity: 'replica-a' });
    operators.push(a);
    await a.waitForLog((line) => line.message === 'leading: reconciling', 'replica-a leading');
    const b = await startTestOperator({ namespace, identity: 'replica-b' });
    operators.push(b);
    await b.waitForLog((line) => line.message === 'operator started', 'replica-b started');

    await readyCluster(namespace);
    await createBundle(namespace, 'app-1', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    await waitFor(
      () => listBundles(namespace),
      (bundles) => bundles.every(isReady),
      'app-1 Ready',
    );
    await a.waitForLog((line) => line.message === 'issued bundle version', 'app-1 issued by replica-a');
    expect(a.logs.filter((line) => line.message === 'issued bundle version')).toHaveLength(1);
    expect(b.logs.some((line) => line.message === 'leading: reconciling')).toBe(false);
    expect(b.logs.some((line) => line.controller !== undefined)).toBe(false);

    // Graceful stop releases the Lease, so the standby takes over within the lease duration of the
    // stop (without the release it would wait for the Lease to expire). Measured between the two
    // processes' own log times, so a busy test runner's polling does not count.
    await stopOperator(a);
    const leading = await b.waitForLog(
      (line) => line.message === 'leading: reconciling',
      'replica-b leading',
      60_000,
    );
    const signalled = a.logs.find((line) => line.message === 'signal received');
    const handOverMs =
      Date.parse(String(leading['timestamp'])) - Date.parse(String(signalled?.['timestamp']));
    expect(handOverMs).toBeLessThan(15_000);
    await createBundle(namespace, 'app-2', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    const settled = await waitFor(
      () => listBundles(namespace),
      (bundles) => bundles.length === 2 && bundles.every(isReady),
      'app-2 Ready under replica-b',
      120_000,
    );
    await b.waitForLog((line) => line.message === 'issued bundle version', 'app-2 issued by replica-b');
    expect(
      b.logs.filter((line) => line.message === 'issued bundle version').map((line) => line.name),
    ).toEqual(['app-2']);
    await expectConsistent(namespace, settled);
  });
});
