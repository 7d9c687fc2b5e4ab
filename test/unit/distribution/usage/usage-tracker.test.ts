import { PassThrough } from 'node:stream';
import type { BundleVersion, SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import type { ObservedPod } from '../../../../src/distribution/usage/pod-references.js';
import { UsageTracker } from '../../../../src/distribution/usage/usage-tracker.js';
import { createLogger } from '../../../../src/observability/logger.js';

const versions: BundleVersion[] = [
  {
    version: 2,
    state: 'Active',
    createdAt: '2026-03-01T00:00:00Z',
    expiresAt: '2026-05-30T00:00:00Z',
    secretName: 'orders-app-scb-v2',
  },
  {
    version: 1,
    state: 'Deprecated',
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-04-01T00:00:00Z',
    secretName: 'orders-app-scb-v1',
  },
];

function bundleWith(status: SecureConnectionBundle['status']): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders-app', namespace: 'shop', uid: 'uid-1' },
    spec: {
      clusterRef: { name: 'orders' },
      notifications: {
        webhooks: [{ url: 'https://hooks.example.com/scb', secretRef: { name: 'k', key: 'k' } }],
      },
    },
    status,
  };
}

/** A tracker over in-memory caches; every call it makes to the outside is recorded. */
function setup(events: 'created' | 'existed' = 'created') {
  let bundle = bundleWith({ currentVersion: 2, versions });
  let pods: ObservedPod[] = [
    {
      metadata: { name: 'legacy-0', namespace: 'shop' },
      workload: 'StatefulSet/legacy',
      active: true,
      secrets: [{ name: 'orders-app-scb-v1', follows: true }],
    },
  ];
  let now = new Date('2026-03-10T00:00:00Z');
  const calls = {
    patches: [] as unknown[],
    events: [] as string[],
    notices: [] as unknown[],
    scheduled: [] as [string, number][],
    reconciled: [] as string[],
  };
  const tracker = new UsageTracker({
    bundles: { get: () => bundle, byIndex: () => [] },
    pods: {
      get: () => undefined,
      byIndex: (_, value) => pods.filter((p) => p.secrets.some((ref) => `shop/${ref.name}` === value)),
    },
    kube: {
      patchBundleStatus: async (_ns, _name, status) => {
        calls.patches.push(status);
        // The cache catches up with the write.
        bundle = bundleWith({ ...bundle.status, usage: { ...(status.usage ?? {}) } as never });
      },
    },
    events: {
      recordOnce: async (_regarding, type, reason, note, name) => {
        calls.events.push(`${type} ${reason} ${name}: ${note}`);
        return events;
      },
    },
    notifier: {
      enqueueNotice: (_bundle, message) => {
        calls.notices.push(message);
        return 1;
      },
    },
    metrics: { setVersionUsage: () => undefined, clearVersionUsage: () => undefined },
    clock: { now: () => now },
    logger: createLogger({ destination: new PassThrough() }),
    schedule: (key, delayMs) => calls.scheduled.push([key, delayMs]),
    reconcileBundle: (key) => calls.reconciled.push(key),
  });
  return {
    tracker,
    calls,
    setPods: (next: ObservedPod[]) => (pods = next),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

describe('UsageTracker', () => {
  it('writes usage, raises one Warning Event and one webhook for a deprecated version in use, and nothing more on the next pass', async () => {
    const { tracker, calls } = setup();
    await tracker.reconcile('shop/orders-app');
    expect(calls.patches).toEqual([
      {
        usage: {
          observedTime: '2026-03-10T00:00:00Z',
          versions: [
            {
              version: 1,
              pods: 1,
              workloadCount: 1,
              workloads: [
                { kind: 'StatefulSet', name: 'legacy', pods: 1, secretNames: ['orders-app-scb-v1'] },
              ],
            },
          ],
          consumers: null,
        },
      },
    ]);
    expect(calls.events).toEqual([
      expect.stringMatching(
        /^Warning DeprecatedVersionInUse orders-app\.v1\.deprecated-in-use\.[0-9a-f]{10}: version 1 is Deprecated .* StatefulSet\/legacy \(1 pod\): roll them to version 2$/,
      ),
    ]);
    expect(calls.notices).toEqual([
      expect.objectContaining({
        type: 'BundleVersionInUse',
        condition: 'Deprecated',
        version: 1,
        currentVersion: 2,
        workloads: [{ kind: 'StatefulSet', name: 'legacy', pods: 1 }],
      }),
    ]);

    await tracker.reconcile('shop/orders-app');
    expect(calls.patches).toHaveLength(1);
    expect(calls.events).toHaveLength(1);
    expect(calls.notices).toHaveLength(1);
  });

  it('sends no webhook when the Event already existed (another replica or an earlier run raised it)', async () => {
    const { tracker, calls } = setup('existed');
    await tracker.reconcile('shop/orders-app');
    expect(calls.events).toHaveLength(1);
    expect(calls.notices).toEqual([]);
  });

  it('spaces passes: pod churn right after a write waits for the write interval', async () => {
    const { tracker, calls, advance } = setup();
    tracker.touch('shop/orders-app');
    await tracker.reconcile('shop/orders-app');
    advance(1000);
    tracker.touch('shop/orders-app');
    expect(calls.scheduled).toEqual([
      ['shop/orders-app', 1000],
      ['shop/orders-app', 4000],
    ]);
  });

  it('queues a bundle reconcile when the pods mounting a version Secret change (pruning may now go ahead)', async () => {
    const { tracker, calls, setPods } = setup();
    await tracker.reconcile('shop/orders-app');
    expect(calls.reconciled).toEqual([]);
    setPods([]);
    await tracker.reconcile('shop/orders-app');
    expect(calls.reconciled).toEqual(['shop/orders-app']);
    expect(calls.patches.at(-1)).toMatchObject({ usage: { versions: null } });
  });

  it('records consumers as the rollout saw them, keeping the known version of a deferred one', () => {
    const { tracker, calls } = setup();
    const bundle = bundleWith({
      currentVersion: 2,
      versions,
      usage: { consumers: [{ kind: 'Deployment', name: 'slow', templateVersion: 1 }] },
    });
    tracker.consumersObserved(bundle, [
      { kind: 'Deployment', name: 'orders', outcome: 'UpToDate', rolledVersion: 2 },
      { kind: 'Deployment', name: 'slow', outcome: 'Deferred', retryAfterMs: 1000 },
      { kind: 'StatefulSet', name: 'gone', outcome: 'Missing', message: 'missing' },
    ]);
    expect(calls.scheduled).toHaveLength(1);
    tracker.consumersObserved(bundle, [
      { kind: 'Deployment', name: 'orders', outcome: 'UpToDate', rolledVersion: 2 },
      { kind: 'Deployment', name: 'slow', outcome: 'Deferred', retryAfterMs: 1000 },
      { kind: 'StatefulSet', name: 'gone', outcome: 'Missing', message: 'missing' },
    ]);
    // Unchanged: no new pass.
    expect(calls.scheduled).toHaveLength(1);
  });
});
