import {
  evaluateIdentity,
  globMatches,
  NAMESPACE_DEFAULT,
  type CommonNameClaim,
  type IdentityGrant,
  type IdentityRequest,
  type RequestedIdentity,
} from '../../../../src/controllers/cluster-ref/identity-policy.js';

const createdAt = new Date('2026-12-01T10:00:00Z');

function decide(
  identity: Partial<RequestedIdentity>,
  options: {
    namespace?: string;
    trustDomain?: string | undefined;
    grants?: IdentityGrant[];
    claims?: CommonNameClaim[];
    labels?: Record<string, string>;
  } = {},
) {
  const namespace = options.namespace ?? 'team-a';
  const request: IdentityRequest = {
    bundle: { namespace, key: `${namespace}/app`, createdAt },
    namespaceLabels: () => options.labels ?? {},
    identity: { commonName: 'app', spiffeID: undefined, organizations: [], ...identity },
    cluster: {
      namespace: 'cassandra',
      name: 'main',
      trustDomain: 'trustDomain' in options ? options.trustDomain : 'cassandra.example',
      grants: options.grants ?? [],
    },
    claims: options.claims ?? [],
  };
  return evaluateIdentity(request);
}

const claim = (namespace: string, commonName: string, at = '2026-11-01T00:00:00Z'): CommonNameClaim => ({
  namespace,
  commonName,
  createdAt: new Date(at),
  key: `${namespace}/holder`,
});

describe('evaluateIdentity: what a namespace gets without a grant', () => {
  it.each<[string, Partial<RequestedIdentity>]>([
    ['the default identity (CN = name, no SPIFFE ID)', {}],
    ['the default SPIFFE ID', { spiffeID: 'spiffe://cassandra.example/ns/team-a/scb/app' }],
    ['any SPIFFE path under its own namespace', { spiffeID: 'spiffe://cassandra.example/ns/team-a/batch/x' }],
    ['a common name nobody else holds', { commonName: 'reporting' }],
  ])('allows %s', (_name, identity) => {
    expect(decide(identity)).toEqual({ allowed: true, grantedBy: NAMESPACE_DEFAULT });
  });

  it.each<[string, Partial<RequestedIdentity>, Parameters<typeof decide>[1], string, RegExp]>([
    [
      "another namespace's SPIFFE ID",
      { spiffeID: 'spiffe://cassandra.example/ns/team-b/scb/payments' },
      {},
      'spec.identity.spiffeID',
      /may use SPIFFE IDs under spiffe:\/\/cassandra\.example\/ns\/team-a\//,
    ],
    [
      'kube-system',
      { spiffeID: 'spiffe://cassandra.example/ns/kube-system/sa/admin' },
      {},
      'spec.identity.spiffeID',
      /is not this namespace's/,
    ],
    [
      'a foreign trust domain',
      { spiffeID: 'spiffe://evil.example/ns/team-a/scb/app' },
      {},
      'spec.identity.spiffeID',
      /under spiffe:\/\/cassandra\.example\/ns\/team-a\//,
    ],
    [
      'a namespace-name prefix that is not the namespace (team-a-admin)',
      { spiffeID: 'spiffe://cassandra.example/ns/team-a-admin/scb/app' },
      {},
      'spec.identity.spiffeID',
      /is not this namespace's/,
    ],
    [
      "a '..' segment that climbs out of its own namespace",
      { spiffeID: 'spiffe://cassandra.example/ns/team-a/../team-b/scb/payments' },
      {},
      'spec.identity.spiffeID',
      /has a '\.' or '\.\.' path segment/,
    ],
    [
      "a '..' segment under a granted glob",
      { spiffeID: 'spiffe://cassandra.example/shared/../admin' },
      { grants: [{ namespaces: ['team-a'], spiffeIDs: ['spiffe://cassandra.example/shared/*'] }] },
      'spec.identity.spiffeID',
      /has a '\.' or '\.\.' path segment/,
    ],
    [
      "a trailing '.' segment",
      { spiffeID: 'spiffe://cassandra.example/ns/team-a/.' },
      {},
      'spec.identity.spiffeID',
      /has a '\.' or '\.\.' path segment/,
    ],
    [
      'the namespace path itself with nothing under it',
      { spiffeID: 'spiffe://cassandra.example/ns/team-a' },
      {},
      'spec.identity.spiffeID',
      /is not this namespace's/,
    ],
    [
      'any explicit SPIFFE ID when the cluster has no trust domain',
      { spiffeID: 'spiffe://cassandra.example/ns/team-a/scb/app' },
      { trustDomain: undefined },
      'spec.identity.spiffeID',
      /sets no spec\.identity\.trustDomain/,
    ],
    [
      'a common name an older bundle of another namespace holds',
      { commonName: 'payments' },
      { claims: [claim('team-b', 'payments')] },
      'spec.identity.commonName',
      /held by a bundle in namespace "team-b"/,
    ],
    [
      'organizations',
      { organizations: ['admins'] },
      {},
      'spec.identity.organizations',
      /"admins" is not granted to namespace "team-a"/,
    ],
    [
      'a common name a grant reserves for another namespace',
      { commonName: 'payments-api' },
      { grants: [{ namespaces: ['team-b'], commonNames: ['payments-*'] }] },
      'spec.identity.commonName',
      /reserved for other namespaces by CassandraClusterRef cassandra\/main spec\.access\.identities\[0\]/,
    ],
  ])('refuses %s', (_name, identity, options, field, message) => {
    const decision = decide(identity, options);
    expect(decision).toMatchObject({ allowed: false, reason: 'IdentityNotAllowed', field });
    expect(decision.allowed || decision.message).toMatch(message);
  });

  it('lets a younger claim in the same namespace, or a younger holder elsewhere, not block it', () => {
    expect(decide({ commonName: 'payments' }, { claims: [claim('team-a', 'payments')] }).allowed).toBe(true);
    const younger = claim('team-b', 'payments', '2026-12-02T00:00:00Z');
    expect(decide({ commonName: 'payments' }, { claims: [younger] }).allowed).toBe(true);
  });

  it('orders claims made in the same second by namespace/name', () => {
    const same = { ...claim('team-0', 'payments'), createdAt, key: 'team-0/x' };
    expect(decide({ commonName: 'payments' }, { claims: [same] }).allowed).toBe(false);
    const after = { ...same, key: 'team-z/x' };
    expect(decide({ commonName: 'payments' }, { claims: [after] }).allowed).toBe(true);
  });
});

describe('evaluateIdentity: grants', () => {
  const grants: IdentityGrant[] = [
    { namespaces: ['team-b'], commonNames: ['payments'] },
    {
      namespaceSelector: { matchLabels: { tier: 'shared' } },
      spiffeIDs: ['spiffe://cassandra.example/shared/*'],
      organizations: ['shared-*'],
    },
  ];

  it('a grant by name gives a reserved common name even when another namespace holds it', () => {
    expect(
      decide(
        { commonName: 'payments' },
        { namespace: 'team-b', grants, claims: [claim('team-c', 'payments')] },
      ),
    ).toEqual({ allowed: true, grantedBy: 'cassandra/main spec.access.identities[0]' });
  });

  it('a grant by label gives SPIFFE IDs and organizations, and names itself', () => {
    const decision = decide(
      { spiffeID: 'spiffe://cassandra.example/shared/reports', organizations: ['shared-readers'] },
      { grants, labels: { tier: 'shared' } },
    );
    expect(decision).toEqual({ allowed: true, grantedBy: 'cassandra/main spec.access.identities[1]' });
  });

  it('a grant does not reach namespaces it does not select', () => {
    const decision = decide(
      { spiffeID: 'spiffe://cassandra.example/shared/reports' },
      { grants, labels: { tier: 'private' } },
    );
    expect(decision).toMatchObject({ allowed: false, field: 'spec.identity.spiffeID' });
  });

  it('reads namespace labels only when a grant selects by label', () => {
    let reads = 0;
    evaluateIdentity({
      bundle: { namespace: 'team-a', key: 'team-a/app', createdAt },
      namespaceLabels: () => {
        reads += 1;
        return {};
      },
      identity: { commonName: 'app', spiffeID: undefined, organizations: [] },
      cluster: { namespace: 'cassandra', name: 'main', trustDomain: undefined, grants: [grants[0]!] },
      claims: [],
    });
    expect(reads).toBe(0);
  });
});

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['payments', 'payments', true],
    ['payments', 'payments2', false],
    ['payments-*', 'payments-', true],
    ['payments-*', 'payments-api', true],
    ['payments-*', 'xpayments-api', false],
    ['*-api', 'payments-api', true],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['spiffe://td/shared/*', 'spiffe://td/shared/a/b', true],
    ['spiffe://td/shared/*', 'spiffe://td/sharedx', false],
  ])('%s ~ %s = %s', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it('answers at once where a backtracking regular expression would not (jest times out otherwise)', () => {
    expect(globMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(2048))).toBe(false);
  });
});
