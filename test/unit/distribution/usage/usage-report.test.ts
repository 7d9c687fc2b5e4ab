import type { BundleVersion, SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import type { ObservedPod } from '../../../../src/distribution/usage/pod-references.js';
import {
  bundleUsage,
  describeWorkloads,
  versionCurrentAt,
} from '../../../../src/distribution/usage/usage-report.js';

const versions: BundleVersion[] = [
  { version: 3, state: 'Active', createdAt: '2026-03-01T00:00:00Z', secretName: 'orders-app-scb-v3' },
  { version: 2, state: 'Deprecated', createdAt: '2026-02-01T00:00:00Z', secretName: 'orders-app-scb-v2' },
  { version: 1, state: 'Archived', createdAt: '2026-01-01T00:00:00Z' },
];

const bundle: SecureConnectionBundle = {
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'SecureConnectionBundle',
  metadata: { name: 'orders-app', namespace: 'shop', uid: 'uid-1' },
  spec: { clusterRef: { name: 'orders' } },
  status: { currentVersion: 3, versions },
};

function pod(
  name: string,
  workload: string,
  secrets: ObservedPod['secrets'],
  extra: Partial<ObservedPod> = {},
): ObservedPod {
  return { metadata: { name, namespace: 'shop' }, workload, active: true, secrets, ...extra };
}

/** The pod cache's Secret index, over a fixed list. */
const reading = (pods: ObservedPod[]) => (secretName: string) =>
  pods.filter((p) => p.secrets.some((ref) => ref.name === secretName));

describe('bundleUsage', () => {
  it('puts volume mounts of the published Secret on the current version and pinned -vN mounts on N', () => {
    const report = bundleUsage(
      bundle,
      reading([
        pod('orders-a', 'Deployment/orders', [{ name: 'orders-app-scb', follows: true }]),
        pod('orders-b', 'Deployment/orders', [{ name: 'orders-app-scb', follows: true }]),
        pod('legacy-0', 'StatefulSet/legacy', [{ name: 'orders-app-scb-v2', follows: true }]),
        pod('other', 'Deployment/other', [{ name: 'unrelated', follows: true }]),
      ]),
    );
    expect(report.versions).toEqual([
      {
        version: 3,
        pods: 2,
        workloadCount: 1,
        workloads: [{ kind: 'Deployment', name: 'orders', pods: 2, secretNames: ['orders-app-scb'] }],
      },
      {
        version: 2,
        pods: 1,
        workloadCount: 1,
        workloads: [{ kind: 'StatefulSet', name: 'legacy', pods: 1, secretNames: ['orders-app-scb-v2'] }],
      },
    ]);
    expect([...report.mountedBy]).toEqual([[2, ['StatefulSet/legacy']]]);
  });

  it('puts env and subPath readers on the version current when their oldest container started', () => {
    const report = bundleUsage(
      bundle,
      reading([
        pod('old', 'Deployment/env-app', [{ name: 'orders-app-scb', follows: false }], {
          containersStartedAt: '2026-02-15T08:00:00Z',
        }),
        pod('new', 'Deployment/env-app', [{ name: 'orders-app-scb', follows: false }], {
          containersStartedAt: '2026-03-01T00:00:00Z',
        }),
        // Not started yet: it reads the Secret when it starts, so the current version.
        pod('pending', 'Deployment/env-app', [{ name: 'orders-app-scb', follows: false }]),
        // Started before every recorded version: what it runs left the history; not reported.
        pod('ancient', 'Pod/ancient', [{ name: 'orders-app-scb', follows: false }], {
          containersStartedAt: '2025-06-01T00:00:00Z',
        }),
      ]),
    );
    expect(
      report.versions.map((v) => [
        v.version,
        v.pods,
        v.workloads?.map((w) => `${w.kind}/${w.name}:${w.pods}`),
      ]),
    ).toEqual([
      [3, 2, ['Deployment/env-app:2']],
      [2, 1, ['Deployment/env-app:1']],
    ]);
    // env readers never block pruning: they hold their values already.
    expect(report.mountedBy.size).toBe(0);
  });

  it('ignores finished pods, and the Secret of an Archived version', () => {
    const report = bundleUsage(
      bundle,
      reading([
        pod('done', 'Job/migrate', [{ name: 'orders-app-scb-v2', follows: true }], { active: false }),
        pod('stale', 'Pod/stale', [{ name: 'orders-app-scb-v1', follows: true }]),
      ]),
    );
    expect(report.versions).toEqual([]);
    expect(report.mountedBy.size).toBe(0);
  });

  it('lists at most 10 workloads a version, most pods first, and counts them all', () => {
    const pods = Array.from({ length: 13 }, (_, i) =>
      Array.from({ length: i === 12 ? 5 : 1 }, (__, j) =>
        pod(`w${i}-${j}`, `Deployment/w${String(i).padStart(2, '0')}`, [
          { name: 'orders-app-scb', follows: true },
        ]),
      ),
    ).flat();
    const [current] = bundleUsage(bundle, reading(pods)).versions;
    expect(current?.workloadCount).toBe(13);
    expect(current?.pods).toBe(17);
    expect(current?.workloads).toHaveLength(10);
    expect(current?.workloads?.[0]).toMatchObject({ name: 'w12', pods: 5 });
    expect(current?.workloads?.[1]?.name).toBe('w00');
    expect(describeWorkloads(current!)).toMatch(
      /^Deployment\/w12 \(5 pods\), Deployment\/w00 \(1 pod\), .* and 3 more$/,
    );
  });

  it('a bundle without a published version has no usage', () => {
    const fresh = { ...bundle, status: {} };
    const report = bundleUsage(
      fresh,
      reading([pod('a', 'Pod/a', [{ name: 'orders-app-scb', follows: true }])]),
    );
    expect(report.versions).toEqual([]);
  });
});

describe('versionCurrentAt', () => {
  it.each([
    ['2026-03-01T00:00:00Z', 3],
    ['2026-02-28T23:59:59Z', 2],
    ['2026-01-01T00:00:00Z', 1],
    ['2025-12-31T00:00:00Z', undefined],
    ['not a time', undefined],
  ])('at %s: %s', (at, expected) => {
    expect(versionCurrentAt(versions, at)).toBe(expected);
  });
});
