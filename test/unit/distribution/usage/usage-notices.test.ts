import type {
  BundleVersion,
  SecureConnectionBundle,
  VersionUsage,
} from '../../../../src/api/v1alpha1/index.js';
import {
  expiring,
  nextExpiringAt,
  usageGauges,
  usageNotices,
} from '../../../../src/distribution/usage/usage-notices.js';

// 90-day certificates: expiring in their last 9 days.
const versions: BundleVersion[] = [
  {
    version: 3,
    state: 'Active',
    createdAt: '2026-03-01T00:00:00Z',
    expiresAt: '2026-05-30T00:00:00Z',
    secretName: 'orders-app-scb-v3',
  },
  {
    version: 2,
    state: 'Deprecated',
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-04-01T00:00:00Z',
    secretName: 'orders-app-scb-v2',
  },
  {
    version: 1,
    state: 'Expired',
    createdAt: '2025-11-01T00:00:00Z',
    expiresAt: '2026-01-30T00:00:00Z',
    secretName: 'orders-app-scb-v1',
    retainedBy: ['StatefulSet/legacy'],
  },
];
const bundle: SecureConnectionBundle = {
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'SecureConnectionBundle',
  metadata: { name: 'orders-app', namespace: 'shop', uid: 'uid-1' },
  spec: { clusterRef: { name: 'orders' }, revisionHistoryLimit: 1 },
  status: { currentVersion: 3, versions },
};
const used = (version: number, workloads: [string, number][]): VersionUsage => ({
  version,
  pods: workloads.reduce((sum, [, pods]) => sum + pods, 0),
  workloadCount: workloads.length,
  workloads: workloads.map(([name, pods]) => ({ kind: 'Deployment', name, pods })),
});

describe('usageNotices', () => {
  const usage = [
    used(3, [['orders', 2]]),
    used(2, [
      ['billing', 1],
      ['reports', 3],
    ]),
    used(1, [['legacy', 1]]),
  ];

  it('a Deprecated version in use names the workloads to roll and the version to roll to', () => {
    const notices = usageNotices(bundle, usage, new Date('2026-03-10T00:00:00Z'));
    expect(notices.filter((n) => n.version === 2)).toEqual([
      expect.objectContaining({
        condition: 'Deprecated',
        reason: 'DeprecatedVersionInUse',
        message:
          'version 2 is Deprecated (superseded by version 3) and is still used by Deployment/billing (1 pod), Deployment/reports (3 pods): roll them to version 3',
      }),
    ]);
  });

  it('an Expired version in use is reported as deprecated, with its expiry', () => {
    const notices = usageNotices(bundle, usage, new Date('2026-03-10T00:00:00Z'));
    expect(notices.find((n) => n.version === 1 && n.condition === 'Deprecated')?.message).toBe(
      'version 1 expired at 2026-01-30T00:00:00Z and is still used by Deployment/legacy (1 pod): roll them to version 3',
    );
  });

  it('a retained version says why its Secret is kept', () => {
    const notices = usageNotices(bundle, [], new Date('2026-03-10T00:00:00Z'));
    expect(notices).toEqual([
      {
        version: 1,
        condition: 'Retained',
        reason: 'VersionRetained',
        message:
          'version 1 is past spec.revisionHistoryLimit (1) but Secret orders-app-scb-v1 is kept: running pods of StatefulSet/legacy mount it; it is pruned once no pod does',
        usage: undefined,
      },
    ]);
  });

  it('a version in its last tenth of life in use is Expiring too; the current one says renewal failed', () => {
    const late = usageNotices(bundle, usage, new Date('2026-03-25T00:00:00Z'));
    expect(late.filter((n) => n.condition === 'Expiring').map((n) => n.version)).toEqual([2]);
    const renewalFailed = usageNotices(bundle, usage, new Date('2026-05-25T00:00:00Z'));
    expect(renewalFailed.find((n) => n.version === 3 && n.condition === 'Expiring')?.message).toBe(
      'version 3 expires at 2026-05-30T00:00:00Z and is still used by Deployment/orders (2 pods): the bundle has not renewed; check its Ready condition',
    );
  });

  it('the current version in use mid-life raises nothing', () => {
    expect(
      usageNotices(
        { ...bundle, status: { ...bundle.status, versions: [versions[0]!] } },
        [usage[0]!],
        new Date('2026-03-10T00:00:00Z'),
      ),
    ).toEqual([]);
  });
});

describe('expiring and nextExpiringAt', () => {
  const v2 = versions[1]!;
  it.each([
    ['2026-03-22T00:00:00Z', false],
    ['2026-03-23T00:00:00Z', true],
    ['2026-03-31T23:59:59Z', true],
    ['2026-04-01T00:00:00Z', false],
  ])('at %s: %s', (at, expected) => {
    expect(expiring(v2, new Date(at))).toBe(expected);
  });

  it('the next pass is due when the next used version starts expiring', () => {
    expect(
      nextExpiringAt(bundle, [used(2, [['a', 1]]), used(3, [['b', 1]])], new Date('2026-03-10T00:00:00Z')),
    ).toEqual(new Date('2026-03-23T00:00:00Z'));
  });
});

describe('usageGauges', () => {
  it('counts workloads per state and on expiring versions', () => {
    const gauges = usageGauges(
      bundle,
      [
        used(3, [['orders', 2]]),
        used(2, [
          ['billing', 1],
          ['reports', 3],
        ]),
        used(1, [['legacy', 1]]),
      ],
      new Date('2026-03-25T00:00:00Z'),
    );
    expect(gauges).toEqual({ byState: { Active: 1, Deprecated: 2, Expired: 1 }, expiring: 2 });
  });
});
