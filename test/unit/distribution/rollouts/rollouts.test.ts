import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import {
  rolloutConsumers,
  type RolloutKube,
} from '../../../../src/distribution/rollouts/consumer-rollouts.js';
import {
  bundleVersionAnnotation,
  needsRollout,
} from '../../../../src/distribution/rollouts/rollout-decision.js';
import { RolloutRateLimiter } from '../../../../src/distribution/rollouts/rollout-rate-limiter.js';
import type { WorkloadKind, WorkloadTemplateView } from '../../../../src/kube/kube-objects.js';
import { ManualTime } from '../../kube/manual-time.js';

test.each([
  [undefined, 1, true],
  ['1', 1, false],
  ['1', 2, true],
  ['7', 3, false],
  ['not-a-number', 3, true],
  ['', 1, true],
])('rolled for %p, version %p: restart %p', (annotation, version, expected) => {
  expect(needsRollout(annotation, version)).toBe(expected);
});

test('each bundle has its own annotation key, within the 63-character name limit', () => {
  expect(bundleVersionAnnotation('orders')).toBe('scb-operator.io/bundle-version.orders');
  const long = bundleVersionAnnotation('a'.repeat(200));
  expect(long).toMatch(/^scb-operator\.io\/bundle-version\.[0-9a-f]{32}$/);
  expect(long.split('/')[1]?.length).toBeLessThanOrEqual(63);
  expect(bundleVersionAnnotation('b'.repeat(200))).not.toBe(long);
});

test('a workload is restarted at most once per 30 s', async () => {
  const time = new ManualTime();
  const limiter = new RolloutRateLimiter(time);
  expect(limiter.reserve('Deployment/shop/orders')).toEqual({ allowed: true });
  await time.advance(10_000);
  expect(limiter.reserve('Deployment/shop/orders')).toEqual({ allowed: false, retryAfterMs: 20_000 });
  expect(limiter.reserve('Deployment/shop/payments')).toEqual({ allowed: true });
  await time.advance(20_000);
  expect(limiter.reserve('Deployment/shop/orders')).toEqual({ allowed: true });
});

test('the global bucket allows a burst, then one restart per refill interval', async () => {
  const time = new ManualTime();
  const limiter = new RolloutRateLimiter(time, {
    perWorkloadIntervalMs: 30_000,
    burst: 3,
    refillPerSecond: 0.5,
  });
  for (const name of ['a', 'b', 'c']) expect(limiter.reserve(name)).toEqual({ allowed: true });
  expect(limiter.reserve('d')).toEqual({ allowed: false, retryAfterMs: 2000 });
  await time.advance(1000);
  expect(limiter.reserve('d')).toEqual({ allowed: false, retryAfterMs: 1000 });
  await time.advance(1000);
  expect(limiter.reserve('d')).toEqual({ allowed: true });
  expect(limiter.reserve('e')).toMatchObject({ allowed: false });
});

/** Workloads in memory with the apiserver's optimistic concurrency on resourceVersion. */
class InMemoryWorkloads implements RolloutKube {
  readonly objects = new Map<string, WorkloadTemplateView>();
  patches = 0;
  /** Someone else writes just before our next patch lands (once). */
  interleave: (() => void) | undefined;

  put(kind: WorkloadKind, name: string, annotations: Record<string, string> = {}) {
    const previous = this.objects.get(`${kind}/${name}`)?.metadata?.resourceVersion ?? '0';
    this.objects.set(`${kind}/${name}`, {
      metadata: { name, resourceVersion: String(Number(previous) + 1) },
      spec: { template: { metadata: { annotations } } },
    });
  }

  async getWorkload(kind: WorkloadKind, _namespace: string, name: string) {
    const object = this.objects.get(`${kind}/${name}`);
    return object === undefined ? undefined : structuredClone(object);
  }

  async patchWorkload(kind: WorkloadKind, _namespace: string, name: string, body: object) {
    this.interleave?.();
    this.interleave = undefined;
    const object = this.objects.get(`${kind}/${name}`);
    if (!object) throw Object.assign(new Error('not found'), { code: 404 });
    const patch = body as {
      metadata: { resourceVersion?: string };
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    if (patch.metadata.resourceVersion !== object.metadata?.resourceVersion) {
      throw Object.assign(new Error('the object has been modified'), { code: 409 });
    }
    this.patches += 1;
    const annotations = {
      ...object.spec?.template?.metadata?.annotations,
      ...patch.spec.template.metadata.annotations,
    };
    const next = {
      metadata: { name, resourceVersion: String(Number(object.metadata?.resourceVersion) + 1) },
      spec: { template: { metadata: { annotations } } },
    };
    this.objects.set(`${kind}/${name}`, next);
    return next;
  }
}

function bundle(consumers: Array<{ kind: WorkloadKind; name: string }>): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: { clusterRef: { name: 'main' }, consumers },
  };
}

test('a conflict makes the rollout re-read: if another writer already rolled this version, nothing more is written', async () => {
  const kube = new InMemoryWorkloads();
  kube.put('Deployment', 'api');
  kube.interleave = () => kube.put('Deployment', 'api', { [bundleVersionAnnotation('orders')]: '4' });
  const results = await rolloutConsumers(kube, bundle([{ kind: 'Deployment', name: 'api' }]), 4, {
    limiter: new RolloutRateLimiter(new ManualTime()),
  });
  expect(results).toEqual([{ kind: 'Deployment', name: 'api', outcome: 'UpToDate', rolledVersion: 4 }]);
  expect(kube.patches).toBe(0);
});

test('a conflict from an unrelated change is retried and the rollout still happens once', async () => {
  const kube = new InMemoryWorkloads();
  kube.put('StatefulSet', 'db', { unrelated: 'x' });
  kube.interleave = () => kube.put('StatefulSet', 'db', { unrelated: 'y' });
  const results = await rolloutConsumers(kube, bundle([{ kind: 'StatefulSet', name: 'db' }]), 2, {
    limiter: new RolloutRateLimiter(new ManualTime()),
  });
  expect(results).toEqual([{ kind: 'StatefulSet', name: 'db', outcome: 'Restarted', version: 2 }]);
  expect(kube.patches).toBe(1);
  expect(
    (await kube.getWorkload('StatefulSet', 'shop', 'db'))?.spec?.template?.metadata?.annotations,
  ).toEqual({
    unrelated: 'y',
    'scb-operator.io/bundle-version.orders': '2',
  });
});

test('an apiserver error is a Failed result for that consumer; the others still roll', async () => {
  const kube = new InMemoryWorkloads();
  kube.put('Deployment', 'api');
  kube.put('DaemonSet', 'agent');
  const failing: RolloutKube = {
    getWorkload: (kind, namespace, name) =>
      kind === 'Deployment'
        ? Promise.reject(Object.assign(new Error('etcdserver: request timed out'), { code: 500 }))
        : kube.getWorkload(kind, namespace, name),
    patchWorkload: (kind, namespace, name, body) => kube.patchWorkload(kind, namespace, name, body),
  };
  const results = await rolloutConsumers(
    failing,
    bundle([
      { kind: 'Deployment', name: 'api' },
      { kind: 'DaemonSet', name: 'agent' },
    ]),
    1,
    { limiter: new RolloutRateLimiter(new ManualTime()) },
  );
  expect(results.map((result) => result.outcome)).toEqual(['Failed', 'Restarted']);
  expect(results[0]).toMatchObject({ message: expect.stringContaining('500') });
});
