import { Registry, register as globalRegistry } from 'prom-client';
import { OperatorMetrics, safeLabelValue } from '../../../src/observability/metrics.js';

async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((value) =>
    Object.entries(labels).every(([label, expected]) => value.labels[label] === expected),
  )?.value;
}

describe('OperatorMetrics', () => {
  it('registers only on the injected registry, so two instances never collide', async () => {
    const first = new Registry();
    const second = new Registry();
    new OperatorMetrics(first);
    new OperatorMetrics(second);
    expect(await first.metrics()).toContain('scb_reconcile_total');
    expect(await globalRegistry.metrics()).not.toContain('scb_');
  });

  it('exposes bundle expiry and renewal as Unix seconds per namespace/name, and readiness as 0/1', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    const bundle = { namespace: 'db', name: 'app-scb' };
    metrics.setBundleTimes(bundle, {
      expiresAt: new Date('2026-04-01T00:00:00.900Z'),
      renewsAt: new Date('2026-03-20T00:00:00Z'),
    });
    metrics.setBundleReady(bundle, true);
    metrics.setCaExpiry({ namespace: 'db', name: 'cluster-a' }, new Date('2030-01-01T00:00:00Z'));

    expect(await sample(registry, 'scb_bundle_expiry_timestamp_seconds', bundle)).toBe(1775001600);
    expect(await sample(registry, 'scb_bundle_renewal_timestamp_seconds', bundle)).toBe(1773964800);
    expect(await sample(registry, 'scb_bundle_ready', bundle)).toBe(1);
    expect(await sample(registry, 'scb_ca_expiry_timestamp_seconds', { name: 'cluster-a' })).toBe(1893456000);

    metrics.setBundleReady(bundle, false);
    expect(await sample(registry, 'scb_bundle_ready', bundle)).toBe(0);
  });

  it('forgets every series of a deleted object', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    const bundle = { namespace: 'db', name: 'gone' };
    metrics.setBundleReady(bundle, true);
    metrics.recordDownload(bundle);
    metrics.forgetObject(bundle);
    expect(await registry.metrics()).not.toContain('name="gone"');
  });

  it('counts reconciles by controller and result and records their duration', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    metrics.recordReconcile('bundle', 'Success', 250);
    metrics.recordReconcile('bundle', 'Success', 750);
    metrics.recordReconcile('bundle', 'Transient', 10);

    expect(await sample(registry, 'scb_reconcile_total', { controller: 'bundle', result: 'Success' })).toBe(
      2,
    );
    expect(await sample(registry, 'scb_reconcile_total', { result: 'Transient' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('scb_reconcile_duration_seconds_count{controller="bundle"} 3');
    expect(text).toContain('scb_reconcile_duration_seconds_sum{controller="bundle"} 1.01');
  });

  it('reads queue depth and watch health from their owners at scrape time', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    let depth = 3;
    let health = { restarts: 0, lastEventAgeMs: 1500 };
    metrics.trackQueue('bundle', () => depth);
    metrics.trackWatch('secrets', () => health);

    expect(await sample(registry, 'scb_workqueue_depth', { controller: 'bundle' })).toBe(3);
    expect(await sample(registry, 'scb_watch_last_event_age_seconds', { resource: 'secrets' })).toBe(1.5);
    depth = 0;
    health = { restarts: 2, lastEventAgeMs: 90_000 };
    expect(await sample(registry, 'scb_workqueue_depth', { controller: 'bundle' })).toBe(0);
    expect(await sample(registry, 'scb_watch_restarts_total', { resource: 'secrets' })).toBe(2);
    expect(await sample(registry, 'scb_watch_last_event_age_seconds', { resource: 'secrets' })).toBe(90);
  });

  it('never turns something that is not a name into a label value', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    metrics.setBundleReady({ namespace: 'db', name: pem }, true);
    metrics.recordReconcile('bundle', 'password=hunter2', 1);
    const text = await registry.metrics();
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('scb_bundle_ready{namespace="db",name="_invalid"} 1');
  });

  it.each([
    ['app-scb', 'app-scb'],
    ['scb.example.com', 'scb.example.com'],
    ['Success', 'Success'],
    ['', '_invalid'],
    ['has space', '_invalid'],
    ['a'.repeat(300), '_invalid'],
  ])('safeLabelValue(%j) -> %j', (value, expected) => {
    expect(safeLabelValue(value)).toBe(expected);
  });
});
