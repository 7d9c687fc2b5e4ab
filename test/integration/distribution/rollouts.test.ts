/**
 * Consumer rollouts on the real apiserver: each declared workload's pod template gets the bundle
 * version once; calling again (a requeue, a restarted operator) writes nothing; a newer version
 * inside the per-workload interval waits; a missing workload is reported, not fatal.
 */
import { jest } from '@jest/globals';
import { AppsV1Api } from '@kubernetes/client-node';
import {
  RolloutRateLimiter,
  bundleVersionAnnotation,
  rolloutConsumers,
} from '../../../src/distribution/rollouts/index.js';
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import type { Clock } from '../../../src/time/clock.js';
import { createTestNamespace, kubeConfig, kubeHttp } from '../../support/kube.js';
import { createPublishedBundle } from './published-bundle.js';

jest.setTimeout(120_000);

const apps = () => kubeConfig().makeApiClient(AppsV1Api);
const kube = new KubeObjects(kubeHttp());
const annotation = bundleVersionAnnotation('orders');
let namespace: string;

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
});

/** A clock the test moves by hand, so the 30 s per-workload interval passes instantly. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => (offset += ms) };
}

async function deployment(name: string) {
  return apps().readNamespacedDeployment({ namespace, name });
}

beforeAll(async () => {
  namespace = await createTestNamespace('rollouts');
  const selector = (app: string) => ({ matchLabels: { app } });
  await apps().createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'orders-api' },
      spec: { selector: selector('orders-api'), template: podTemplate('orders-api') },
    },
  });
  await apps().createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'ledger' },
      spec: { serviceName: 'ledger', selector: selector('ledger'), template: podTemplate('ledger') },
    },
  });
  await apps().createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name: 'audit-agent' },
      spec: { selector: selector('audit-agent'), template: podTemplate('audit-agent') },
    },
  });
});

test('each consumer is rolled once per version; a second call, or a restarted operator, changes nothing', async () => {
  const { bundle } = await createPublishedBundle(namespace, 'orders', {
    versions: 2,
    spec: {
      consumers: [
        { kind: 'Deployment', name: 'orders-api' },
        { kind: 'StatefulSet', name: 'ledger' },
        { kind: 'DaemonSet', name: 'audit-agent' },
        { kind: 'Deployment', name: 'not-deployed' },
      ],
    },
  });
  const clock = movableClock();
  const limiter = new RolloutRateLimiter(clock);

  const first = await rolloutConsumers(kube, bundle, 2, { limiter });
  expect(first).toEqual([
    { kind: 'Deployment', name: 'orders-api', outcome: 'Restarted', version: 2 },
    { kind: 'StatefulSet', name: 'ledger', outcome: 'Restarted', version: 2 },
    { kind: 'DaemonSet', name: 'audit-agent', outcome: 'Restarted', version: 2 },
    {
      kind: 'Deployment',
      name: 'not-deployed',
      outcome: 'Missing',
      message: `consumer Deployment ${namespace}/not-deployed does not exist: create it or remove it from spec.consumers`,
    },
  ]);
  const rolled = await deployment('orders-api');
  expect(rolled.spec?.template.metadata?.annotations?.[annotation]).toBe('2');
  expect(
    (await apps().readNamespacedStatefulSet({ namespace, name: 'ledger' })).spec?.template.metadata
      ?.annotations?.[annotation],
  ).toBe('2');
  expect(
    (await apps().readNamespacedDaemonSet({ namespace, name: 'audit-agent' })).spec?.template.metadata
      ?.annotations?.[annotation],
  ).toBe('2');

  const again = await rolloutConsumers(kube, bundle, 2, { limiter });
  expect(again.slice(0, 3).map((result) => result.outcome)).toEqual(['UpToDate', 'UpToDate', 'UpToDate']);
  const restartedOperator = await rolloutConsumers(kube, bundle, 2, {
    limiter: new RolloutRateLimiter(clock),
  });
  expect(restartedOperator[0]).toEqual({
    kind: 'Deployment',
    name: 'orders-api',
    outcome: 'UpToDate',
    rolledVersion: 2,
  });
  // An older version (a late requeue) does not roll back either.
  expect((await rolloutConsumers(kube, bundle, 1, { limiter }))[0]?.outcome).toBe('UpToDate');
  const unchanged = await deployment('orders-api');
  expect(unchanged.metadata?.resourceVersion).toBe(rolled.metadata?.resourceVersion);
  expect(unchanged.metadata?.generation).toBe(rolled.metadata?.generation);

  // Version 3 within 30 s of the last rollout waits; once the interval has passed it rolls.
  const early = await rolloutConsumers(kube, bundle, 3, { limiter });
  expect(early[0]).toMatchObject({ outcome: 'Deferred', retryAfterMs: expect.any(Number) });
  expect((early[0] as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(30_000);
  expect((await deployment('orders-api')).metadata?.resourceVersion).toBe(rolled.metadata?.resourceVersion);
  clock.advance(31_000);
  expect((await rolloutConsumers(kube, bundle, 3, { limiter }))[0]).toMatchObject({
    outcome: 'Restarted',
    version: 3,
  });
  const third = await deployment('orders-api');
  expect(third.spec?.template.metadata?.annotations?.[annotation]).toBe('3');
  expect(third.metadata?.generation).toBe((rolled.metadata?.generation ?? 0) + 1);
});

test('two passes racing for the same version roll the workload once', async () => {
  const { bundle } = await createPublishedBundle(namespace, 'race', {
    versions: 1,
    spec: { consumers: [{ kind: 'Deployment', name: 'orders-api' }] },
  });
  const before = await deployment('orders-api');
  const clock = movableClock();
  const results = await Promise.all([
    rolloutConsumers(kube, bundle, 5, { limiter: new RolloutRateLimiter(clock) }),
    rolloutConsumers(kube, bundle, 5, { limiter: new RolloutRateLimiter(clock) }),
  ]);
  const outcomes = results.map((result) => result[0]?.outcome).sort();
  expect(outcomes).toEqual(['Restarted', 'UpToDate']);
  const after = await deployment('orders-api');
  expect(after.spec?.template.metadata?.annotations?.[bundleVersionAnnotation('race')]).toBe('5');
  expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
  // The other bundle's count on the same workload is untouched.
  expect(after.spec?.template.metadata?.annotations?.[annotation]).toBe('3');
});
