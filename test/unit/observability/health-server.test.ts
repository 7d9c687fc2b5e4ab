import { Registry } from 'prom-client';
import {
  startHealthServer,
  type HealthServer,
  type ReadinessCheck,
} from '../../../src/observability/health-server.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';

describe('health server (real HTTP on loopback)', () => {
  let server: HealthServer | undefined;
  let informerSynced = false;
  let leaseCheckThrows = false;
  const checks: ReadinessCheck[] = [
    { name: 'informer-secrets', isReady: () => informerSynced },
    {
      name: 'lease',
      isReady: async () => {
        if (leaseCheckThrows) throw new Error('token=abc123 expired');
        return true;
      },
    },
  ];
  const url = (path: string) => `http://127.0.0.1:${server?.port}${path}`;

  beforeEach(async () => {
    informerSynced = false;
    leaseCheckThrows = false;
    const registry = new Registry();
    new OperatorMetrics(registry).recordReconcile('bundle', 'Success', 5);
    server = await startHealthServer({ port: 0, host: '127.0.0.1', registry, readinessChecks: checks });
  });

  afterEach(async () => {
    await server?.close();
  });

  it('answers /healthz with 200 whatever readiness says', async () => {
    const response = await fetch(url('/healthz'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  it('/readyz is 503 until every check passes, and names the failing check', async () => {
    const notReady = await fetch(url('/readyz'));
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('[-]informer-secrets failed\n[+]lease ok\nnot ready\n');

    informerSynced = true;
    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('[+]informer-secrets ok\n[+]lease ok\nready\n');
  });

  it('lists what is degraded without failing /readyz, so a replica keeps serving what it has', async () => {
    informerSynced = true;
    let watching = false;
    const registry = new Registry();
    const degradable = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      readinessChecks: checks,
      degradationChecks: [{ name: 'secrets-watching', isReady: () => watching }],
    });
    try {
      const read = () => fetch(`http://127.0.0.1:${degradable.port}/readyz`);
      const degraded = await read();
      expect(degraded.status).toBe(200);
      expect(await degraded.text()).toBe(
        '[+]informer-secrets ok\n[+]lease ok\n[-]secrets-watching degraded\nready (degraded)\n',
      );
      watching = true;
      expect(await (await read()).text()).toBe(
        '[+]informer-secrets ok\n[+]lease ok\n[+]secrets-watching ok\nready\n',
      );
    } finally {
      await degradable.close();
    }
  });

  it('a check that throws makes /readyz fail without echoing the error text', async () => {
    informerSynced = true;
    leaseCheckThrows = true;
    const response = await fetch(url('/readyz'));
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).toContain('[-]lease failed');
    expect(body).not.toContain('abc123');
  });

  it('serves the injected registry in Prometheus text format on /metrics', async () => {
    const response = await fetch(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('scb_reconcile_total{controller="bundle",result="Success"} 1');
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await fetch(url('/nope'))).status).toBe(404);
    const post = await fetch(url('/healthz'), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
