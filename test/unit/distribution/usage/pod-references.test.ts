import type { V1Pod } from '@kubernetes/client-node';
import {
  observePod,
  podSecretIndex,
  secretReferences,
  workloadOf,
} from '../../../../src/distribution/usage/pod-references.js';

function pod(overrides: {
  metadata?: V1Pod['metadata'];
  spec?: Partial<V1Pod['spec']>;
  status?: V1Pod['status'];
}): V1Pod {
  return {
    metadata: { name: 'orders-7d9f-abcde', namespace: 'shop', resourceVersion: '7', ...overrides.metadata },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ...overrides.spec },
    ...(overrides.status ? { status: overrides.status } : {}),
  };
}

describe('secretReferences', () => {
  it('finds secret and projected volumes (following the Secret) and env, envFrom and subPath (read at start)', () => {
    const refs = secretReferences(
      pod({
        spec: {
          volumes: [
            { name: 'bundle', secret: { secretName: 'orders-scb' } },
            { name: 'pinned', secret: { secretName: 'orders-scb-v2' } },
            {
              name: 'mixed',
              projected: { sources: [{ secret: { name: 'other-scb' } }, { configMap: { name: 'cm' } }] },
            },
            { name: 'scratch', emptyDir: {} },
          ],
          containers: [
            {
              name: 'app',
              volumeMounts: [
                { name: 'bundle', mountPath: '/scb' },
                { name: 'pinned', mountPath: '/pinned/key', subPath: 'key' },
                { name: 'mixed', mountPath: '/other' },
              ],
              envFrom: [{ secretRef: { name: 'env-scb' } }, { configMapRef: { name: 'cm' } }],
              env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-password', key: 'password' } } }],
            },
          ],
          initContainers: [
            {
              name: 'init',
              env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'init-only', key: 'k' } } }],
            },
          ],
        },
      }),
    );
    expect(refs).toEqual([
      { name: 'db-password', follows: false },
      { name: 'env-scb', follows: false },
      { name: 'init-only', follows: false },
      { name: 'orders-scb', follows: true },
      { name: 'orders-scb-v2', follows: false },
      { name: 'other-scb', follows: true },
    ]);
  });

  it('a Secret read both as a volume and through env counts as read at start', () => {
    const refs = secretReferences(
      pod({
        spec: {
          volumes: [{ name: 'bundle', secret: { secretName: 'orders-scb' } }],
          containers: [
            {
              name: 'app',
              volumeMounts: [{ name: 'bundle', mountPath: '/scb' }],
              env: [{ name: 'CN', valueFrom: { secretKeyRef: { name: 'orders-scb', key: 'cn' } } }],
            },
          ],
        },
      }),
    );
    expect(refs).toEqual([{ name: 'orders-scb', follows: false }]);
  });

  it('a pod without a spec reads nothing', () => {
    expect(secretReferences({ metadata: { name: 'x' } })).toEqual([]);
  });
});

describe('workloadOf', () => {
  const owned = (kind: string, name: string, apiVersion: string, labels?: Record<string, string>) =>
    pod({
      metadata: {
        name: 'p',
        ...(labels ? { labels } : {}),
        ownerReferences: [{ apiVersion, kind, name, uid: 'u', controller: true }],
      },
    });

  it.each([
    [
      'a Deployment through its ReplicaSet',
      owned('ReplicaSet', 'orders-7d9f', 'apps/v1', { 'pod-template-hash': '7d9f' }),
      'Deployment/orders',
    ],
    [
      'a ReplicaSet not named after its pods hash',
      owned('ReplicaSet', 'orders', 'apps/v1', { 'pod-template-hash': '7d9f' }),
      'ReplicaSet/orders',
    ],
    [
      'a ReplicaSet without the hash label',
      owned('ReplicaSet', 'orders-7d9f', 'apps/v1'),
      'ReplicaSet/orders-7d9f',
    ],
    ['a StatefulSet', owned('StatefulSet', 'cassandra-client', 'apps/v1'), 'StatefulSet/cassandra-client'],
    [
      'a Job (its CronJob is not followed)',
      owned('Job', 'report-29012345', 'batch/v1'),
      'Job/report-29012345',
    ],
  ])('%s', (_, subject, expected) => {
    expect(workloadOf(subject)).toBe(expected);
  });

  it('a pod without a controller owner is its own workload', () => {
    expect(
      workloadOf(
        pod({
          metadata: {
            name: 'debug',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u' }],
          },
        }),
      ),
    ).toBe('Pod/debug');
  });
});

describe('observePod', () => {
  const running = pod({
    metadata: {
      name: 'orders-1',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'orders', uid: 'u', controller: true },
      ],
    },
    spec: { volumes: [{ name: 'b', secret: { secretName: 'orders-scb' } }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'a',
          image: 'i',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2026-01-02T10:00:00Z' as unknown as Date } },
        },
        {
          name: 'b',
          image: 'i',
          imageID: '',
          ready: true,
          restartCount: 1,
          state: { running: { startedAt: '2026-01-01T09:00:00Z' as unknown as Date } },
        },
        {
          name: 'c',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  });

  it('keeps only what usage needs: no spec, no status, no labels', () => {
    const observed = observePod(running);
    expect(observed).toEqual({
      metadata: { name: 'orders-1', namespace: 'shop', resourceVersion: '7' },
      workload: 'StatefulSet/orders',
      active: true,
      containersStartedAt: '2026-01-01T09:00:00Z',
      secrets: [{ name: 'orders-scb', follows: true }],
    });
    expect(podSecretIndex(observed)).toEqual(['shop/orders-scb']);
  });

  it('is idempotent (a listed page is observed, then the cache transforms again)', () => {
    const once = observePod(running);
    expect(observePod(once)).toBe(once);
  });

  it.each([
    ['Pending', true],
    ['Running', true],
    ['Unknown', true],
    ['Succeeded', false],
    ['Failed', false],
  ])('phase %s is active: %s', (phase, active) => {
    expect(observePod(pod({ status: { phase } })).active).toBe(active);
  });
});
