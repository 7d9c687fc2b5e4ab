import { PassThrough } from 'node:stream';
import type { CassandraClusterRef } from '../../../../src/api/v1alpha1/index.js';
import { X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  GatewayProber,
  ProbeIdentities,
  vettedDialer,
  type GatewayProbeTarget,
} from '../../../../src/controllers/cluster-ref/gateway-prober.js';
import type { KubeObjects } from '../../../../src/kube/kube-objects.js';
import { createManagedCaHierarchy } from '../../../../src/pki/certificate-authority.js';
import {
  isOutboundRefusal,
  OutboundGuard,
  parseOutboundPolicy,
  type Resolver,
} from '../../../../src/distribution/outbound/index.js';
import type { GatewayProbeInput, GatewayProbeResult } from '../../../../src/gateway/probe.js';
import { createLogger } from '../../../../src/observability/logger.js';
import { secretValue } from '../../../../src/observability/secret-value.js';
import { fixedClock } from '../../../../src/time/clock.js';
import type { TimerHandle, Timers } from '../../../../src/time/timers.js';

const NODE_A = '0f4a3c1e-6a52-4d0e-9a7b-1c2d3e4f5a6b';
const NODE_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** Timers run by hand: `fire` runs the earliest one and says after what delay it was due. */
class ManualTimers implements Timers {
  pending: Array<{ handle: TimerHandle; delayMs: number; callback: () => void }> = [];

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = {};
    this.pending.push({ handle, delayMs, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((timer) => timer.handle !== handle);
  }

  delays(): number[] {
    return this.pending.map((timer) => timer.delayMs).sort((a, b) => a - b);
  }

  async fire(): Promise<number> {
    const next = [...this.pending].sort((a, b) => a.delayMs - b.delayMs)[0];
    if (!next) throw new Error('no timer pending');
    this.clearTimeout(next.handle);
    next.callback();
    await settle();
    return next.delayMs;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function cluster(generation = 1): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name: 'orders', namespace: 'db', generation, uid: 'u1' },
    spec: {
      connection: { contactPoints: ['db-0'], localDatacenter: 'dc1' },
      gateway: { metadataAddress: 'gw.example.test:29080', sniProxyAddress: 'gw.example.test:29042' },
      serverCA: { configMapRef: { name: 'node-ca' } },
      clientCA: { managed: {} },
    },
  };
}

function target(signature = 's1', generation = 1): GatewayProbeTarget {
  return { key: 'db/orders', cluster: cluster(generation), trustPem: 'TRUST', signature };
}

function setUp(
  results: Array<GatewayProbeResult | 'hang' | 'throw'>,
  issue = () => Promise.resolve({ certPem: 'CERT', keyPem: secretValue('PROBE-KEY-MATERIAL') }),
) {
  const forgotten: string[] = [];
  const timers = new ManualTimers();
  const probes: GatewayProbeInput[] = [];
  const changes: string[] = [];
  const logged = new PassThrough();
  let logText = '';
  logged.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const prober = new GatewayProber({
    clock: fixedClock(new Date('2026-01-01T00:00:00Z')),
    timers,
    logger: createLogger({ destination: logged, level: 'debug' }),
    probe: (input) => {
      probes.push(input);
      const next = results.shift() ?? { ok: true, nodes: [NODE_A] };
      if (next === 'throw') return Promise.reject(new TypeError('a servername the TLS stack refuses'));
      return next === 'hang' ? new Promise(() => undefined) : Promise.resolve(next);
    },
    identities: { issue, forget: (key) => forgotten.push(key) },
    resolve: (name) => Promise.resolve(name === 'gw.example.test' ? '127.0.0.9' : name),
    onChange: (key) => changes.push(key),
    timeoutMs: 1000,
  });
  return { timers, probes, changes, prober, forgotten, log: () => logText };
}

describe('GatewayProber', () => {
  it('reports Unknown until the first probe, then True, probing off any queue on its own timer', async () => {
    const { timers, probes, changes, prober, log } = setUp([{ ok: true, nodes: [NODE_A, NODE_B] }]);
    prober.watch(target());
    expect(prober.condition('db/orders')).toMatchObject({ status: 'Unknown', reason: 'Probing' });
    expect(await timers.fire()).toBe(0);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({
      metadataHost: 'gw.example.test',
      metadataPort: 29080,
      trustPem: 'TRUST',
    });
    expect(await probes[0]?.resolve?.('gw.example.test', 29080)).toBe('127.0.0.9');
    expect(prober.condition('db/orders')).toMatchObject({ status: 'True', reason: 'GatewayReachable' });
    expect(changes).toEqual(['db/orders']);
    // Healthy: the next look in three minutes, and the probe's own cut-off timer is gone.
    expect(timers.delays()).toEqual([180_000]);
    expect(log()).toContain(NODE_B);
    expect(log()).not.toContain('PROBE-KEY-MATERIAL');
  });

  it('backs off while False and re-queues the cluster ref only when the condition changes', async () => {
    const failure: GatewayProbeResult = {
      ok: false,
      reason: 'NodeCertificateName',
      node: NODE_B,
      message: `node ${NODE_B}: its certificate has no DNS name gw.example.test`,
    };
    const { timers, changes, prober } = setUp([
      failure,
      failure,
      failure,
      { ok: true, nodes: [NODE_A, NODE_B] },
    ]);
    prober.watch(target());
    await timers.fire();
    expect(prober.condition('db/orders')).toEqual({
      type: 'GatewayReady',
      status: 'False',
      reason: 'NodeCertificateName',
      message: failure.ok ? '' : failure.message,
    });
    expect(await timers.fire()).toBe(60_000);
    expect(await timers.fire()).toBe(120_000);
    expect(timers.delays()).toEqual([240_000]);
    expect(changes).toEqual(['db/orders']);
    await timers.fire();
    expect(prober.condition('db/orders')?.status).toBe('True');
    expect(changes).toEqual(['db/orders', 'db/orders']);
    expect(timers.delays()).toEqual([180_000]);
  });

  it('probes again at once when the target changes, and forgets an earlier spec', async () => {
    const { timers, probes, prober } = setUp([]);
    prober.watch(target('s1', 1));
    await timers.fire();
    prober.watch(target('s1', 1));
    expect(timers.delays()).toEqual([180_000]);
    prober.watch(target('s2', 1));
    expect(timers.delays()).toEqual([0]);
    expect(prober.condition('db/orders')?.status).toBe('True');
    await timers.fire();
    prober.watch(target('s3', 2));
    expect(prober.condition('db/orders')).toMatchObject({ status: 'Unknown', reason: 'Probing' });
    await timers.fire();
    expect(probes).toHaveLength(3);
  });

  it('cuts a probe off after eight steps of its timeout', async () => {
    const { timers, prober } = setUp(['hang']);
    prober.watch(target());
    await timers.fire();
    expect(timers.delays()).toEqual([8000]);
    await timers.fire();
    expect(prober.condition('db/orders')).toMatchObject({
      status: 'False',
      reason: 'NodeUnreachable',
      message: expect.stringContaining('did not finish in 8 s'),
    });
  });

  it('turns a probe that throws (a hostile metadata answer) into False, and keeps probing', async () => {
    const { timers, prober } = setUp(['throw']);
    prober.watch(target());
    await timers.fire();
    expect(prober.condition('db/orders')).toMatchObject({
      status: 'False',
      reason: 'MetadataUnreachable',
      message: 'the probe failed: a servername the TLS stack refuses',
    });
    expect(timers.delays()).toEqual([60_000]);
  });

  it('says when no probe identity could be made', async () => {
    const { timers, prober, log } = setUp([], () =>
      Promise.reject(
        new Error('the managed client CA Secret db/orders-managed-client-ca does not exist yet'),
      ),
    );
    prober.watch(target());
    await timers.fire();
    expect(prober.condition('db/orders')).toMatchObject({
      status: 'False',
      reason: 'MetadataUnreachable',
      message: expect.stringContaining('could not make a probe identity from the client CA'),
    });
    expect(log()).toContain('gateway probe');
  });

  it('stops probing a forgotten cluster ref, even with a probe in flight', async () => {
    const { timers, changes, prober, forgotten } = setUp(['hang']);
    prober.watch(target());
    prober.forget('db/orders');
    expect(timers.delays()).toEqual([]);
    // Its probe identity goes too.
    expect(forgotten).toEqual(['db/orders']);
    prober.watch(target());
    await timers.fire();
    prober.clear();
    expect(prober.condition('db/orders')).toBeUndefined();
    expect(changes).toEqual([]);
  });
});

describe('vettedDialer (the probe dials only what the outbound policy allows)', () => {
  /** An injected resolver: nothing is resolved or dialled for real. */
  const answers: Record<string, string> = {
    'gw.tenant.test': '169.254.169.254',
    'private.tenant.test': '10.1.2.3',
  };
  const resolver: Resolver = (host) =>
    Promise.resolve(answers[host] ? [{ address: answers[host] as string, family: 4 }] : []);

  it('refuses a metadata address that resolves to cloud metadata or a private address', async () => {
    const dial = vettedDialer(
      new OutboundGuard({ policy: parseOutboundPolicy([], []), resolve: resolver }),
      new Map(),
    );
    const refusals = await Promise.all(
      ['gw.tenant.test', 'private.tenant.test', '127.0.0.1'].map((name) =>
        dial(name, 29080).then(
          () => false,
          (error: unknown) => isOutboundRefusal(error),
        ),
      ),
    );
    expect(refusals).toEqual([true, true, true]);
  });

  it('dials the address an allow-listed name resolved to', async () => {
    const guard = new OutboundGuard({
      policy: parseOutboundPolicy(['private.tenant.test'], []),
      resolve: resolver,
    });
    expect(await vettedDialer(guard, new Map())('private.tenant.test', 29080)).toBe('10.1.2.3');
  });

  it('uses a --gateway-resolve override for that name and port only, still vetted', async () => {
    const overrides = new Map([['gw.tenant.test:29080', '127.0.0.7']]);
    const allowLoopback = new OutboundGuard({
      policy: parseOutboundPolicy(['127.0.0.0/8'], []),
      resolve: resolver,
    });
    const dial = vettedDialer(allowLoopback, overrides);
    expect(await dial('GW.tenant.test', 29080)).toBe('127.0.0.7');
    // Another port is resolved as usual (and refused: link-local).
    await expect(dial('gw.tenant.test', 29042)).rejects.toThrow('refused by the operator outbound policy');
    const defaultPolicy = new OutboundGuard({ policy: parseOutboundPolicy([], []), resolve: resolver });
    await expect(vettedDialer(defaultPolicy, overrides)('gw.tenant.test', 29080)).rejects.toThrow(
      'refused by the operator outbound policy',
    );
  });
});

describe("ProbeIdentities (the probe's bundle identity, in memory only)", () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it("issues a 15-minute certificate of the cluster's signing CA with its intermediate, and reuses it until near expiry or a new CA", async () => {
    const hierarchy = await createManagedCaHierarchy(
      { commonName: 'orders', rootDurationSeconds: 10 * 86_400, intermediateDurationSeconds: 5 * 86_400 },
      fixedClock(now),
    );
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    let resourceVersion = '1';
    const kube = {
      getSecret: (_namespace: string, name: string): Promise<V1Secret | undefined> =>
        Promise.resolve(
          name === 'orders-managed-client-ca'
            ? {
                metadata: {
                  name,
                  resourceVersion,
                  ownerReferences: [
                    {
                      apiVersion: 'scb-operator.io/v1alpha1',
                      kind: 'CassandraClusterRef',
                      name: 'orders',
                      uid: 'u1',
                      controller: true,
                    },
                  ],
                },
                data: {
                  'tls.crt': b64(hierarchy.intermediatePem.certificatePem),
                  'tls.key': b64(hierarchy.intermediatePem.privateKeyPem),
                  'ca.crt': b64(hierarchy.rootPem.certificatePem),
                },
              }
            : undefined,
        ),
    } as unknown as KubeObjects;
    let clockNow = now;
    const identities = new ProbeIdentities(kube, { now: () => clockNow });

    const first = await identities.issue(cluster());
    const [leaf, intermediate, ...more] =
      first.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(more).toEqual([]);
    const leafCertificate = new X509Certificate(leaf as string);
    const intermediateCertificate = new X509Certificate(intermediate as string);
    expect(leafCertificate.verify(intermediateCertificate.publicKey)).toBe(true);
    expect(
      intermediateCertificate.verify(new X509Certificate(hierarchy.rootPem.certificatePem).publicKey),
    ).toBe(true);
    expect(new Date(leafCertificate.validTo).getTime() - new Date(leafCertificate.validFrom).getTime()).toBe(
      900_000,
    );
    expect(first.certPem).not.toContain('PRIVATE KEY');
    expect(String(first.keyPem)).toBe('[REDACTED]');

    clockNow = new Date(now.getTime() + 9 * 60_000);
    expect(await identities.issue(cluster())).toBe(first);
    clockNow = new Date(now.getTime() + 11 * 60_000);
    const renewed = await identities.issue(cluster());
    expect(renewed).not.toBe(first);
    resourceVersion = '2';
    expect(await identities.issue(cluster())).not.toBe(renewed);
    const kept = await identities.issue(cluster());
    identities.forget('db/orders');
    expect(await identities.issue(cluster())).not.toBe(kept);
  });
});
