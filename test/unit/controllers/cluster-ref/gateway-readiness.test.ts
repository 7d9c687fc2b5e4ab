import {
  DEFAULT_PROBE_SCHEDULE,
  gatewayReadyCondition,
  nextProbeDelayMs,
  probeSchedule,
  probeSignature,
} from '../../../../src/controllers/cluster-ref/gateway-readiness.js';

const NODE_A = '0f4a3c1e-6a52-4d0e-9a7b-1c2d3e4f5a6b';
const NODE_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('gatewayReadyCondition', () => {
  it('is True when metadata and every node answered, naming the nodes and the proxy', () => {
    expect(gatewayReadyCondition({ ok: true, nodes: [NODE_A, NODE_B] }, 'gw.example:29042')).toEqual({
      type: 'GatewayReady',
      status: 'True',
      reason: 'GatewayReachable',
      message: `the metadata service answers a bundle identity and 2 node(s) answer through the SNI proxy gw.example:29042: ${NODE_A}, ${NODE_B}`,
    });
  });

  it.each([
    ['MetadataUnreachable', undefined],
    ['NoNodes', undefined],
    ['NodeCertificateName', NODE_B],
    ['NodeUnreachable', NODE_A],
  ] as const)('is False with reason %s and the probe message (which names the node)', (reason, node) => {
    const message = node ? `node ${node}: something failed` : 'the metadata service failed';
    const condition = gatewayReadyCondition(
      { ok: false, reason, message, ...(node ? { node } : {}) },
      'gw.example:29042',
    );
    expect(condition).toEqual({ type: 'GatewayReady', status: 'False', reason, message });
  });

  it('cuts a long failure text to 1024 characters', () => {
    const condition = gatewayReadyCondition(
      { ok: false, reason: 'NodeUnreachable', message: `node ${NODE_A}: ${'x'.repeat(5000)}` },
      'gw:1',
    );
    expect(condition.message).toHaveLength(1024);
    expect(condition.message.startsWith(`node ${NODE_A}`)).toBe(true);
  });
});

describe('nextProbeDelayMs', () => {
  it('looks again every few minutes while the gateway is ready', () => {
    expect(nextProbeDelayMs(0)).toBe(180_000);
  });

  it('retries after 60 s while failing, doubling up to 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 50].map((failures) => nextProbeDelayMs(failures))).toEqual([
      60_000, 120_000, 240_000, 480_000, 600_000, 600_000,
    ]);
  });

  it('scales with the probe interval: short intervals retry and back off faster', () => {
    expect(probeSchedule(5000)).toEqual({ healthyMs: 5000, failingMs: 5000, maxFailingMs: 50_000 });
    expect(probeSchedule(180_000)).toEqual(DEFAULT_PROBE_SCHEDULE);
    expect(probeSchedule(3_600_000)).toEqual({
      healthyMs: 3_600_000,
      failingMs: 60_000,
      maxFailingMs: 600_000,
    });
  });

  it('follows a given schedule', () => {
    const schedule = { ...DEFAULT_PROBE_SCHEDULE, failingMs: 1000, maxFailingMs: 3000, healthyMs: 5000 };
    expect([0, 1, 2, 3].map((failures) => nextProbeDelayMs(failures, schedule))).toEqual([
      5000, 1000, 2000, 3000,
    ]);
  });
});

describe('probeSignature', () => {
  const base = {
    generation: 3,
    metadataAddress: 'gw.example:29080',
    sniProxyAddress: 'gw.example:29042',
    trustFingerprints: ['aa', 'bb'],
    clientCaFingerprint: 'cc',
  };

  it('changes with every input that can change the probe result', () => {
    const signatures = new Set([
      probeSignature(base),
      probeSignature({ ...base, generation: 4 }),
      probeSignature({ ...base, metadataAddress: 'gw.example:29081' }),
      probeSignature({ ...base, sniProxyAddress: 'gw.example:29043' }),
      probeSignature({ ...base, trustFingerprints: ['aa', 'dd'] }),
      probeSignature({ ...base, clientCaFingerprint: 'ee' }),
    ]);
    expect(signatures.size).toBe(6);
    expect(probeSignature({ ...base })).toBe(probeSignature(base));
  });
});
