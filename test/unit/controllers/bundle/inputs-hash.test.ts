import type { CassandraClusterRef, SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import {
  bundleInputsHash,
  changedInputGroups,
  parseInputsHash,
  secretValuesDigest,
  serializeInputsHash,
  type GatheredContentInputs,
} from '../../../../src/controllers/bundle/inputs-hash.js';

const bundle: SecureConnectionBundle = {
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'SecureConnectionBundle',
  metadata: { name: 'orders', namespace: 'shop', uid: 'u-1', generation: 3, resourceVersion: '100' },
  spec: { clusterRef: { name: 'main' }, identity: { organizations: ['orders-team'] } },
  status: { currentVersion: 2 },
};
const cluster: CassandraClusterRef = {
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'CassandraClusterRef',
  metadata: { name: 'main', namespace: 'shop' },
  spec: {
    connection: { contactPoints: ['cassandra-0.db'], localDatacenter: 'dc1' },
    serverCA: { secretRef: { name: 'server-ca' } },
    clientCA: { managed: {} },
  },
};
const gathered: GatheredContentInputs = {
  serverCAFingerprints: ['aa'.repeat(32)],
  clientCAFingerprint: 'bb'.repeat(32),
};
const base = bundleInputsHash(bundle, cluster, gathered);

function withSpec(spec: Partial<SecureConnectionBundle['spec']>): SecureConnectionBundle {
  return { ...bundle, spec: { ...bundle.spec, ...spec } };
}

describe('bundleInputsHash', () => {
  it.each<[string, SecureConnectionBundle, CassandraClusterRef, GatheredContentInputs]>([
    [
      'metadata and status',
      {
        ...bundle,
        metadata: { ...bundle.metadata, generation: 9, resourceVersion: '7', labels: { a: 'b' } },
        status: { currentVersion: 5 },
      },
      cluster,
      gathered,
    ],
    [
      'defaults written out',
      withSpec({
        duration: '2160h',
        privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' },
        keystores: { profile: 'Modern' },
        clusterRef: { name: 'main', namespace: 'shop' },
        identity: { commonName: 'orders', organizations: ['orders-team'] },
      }),
      cluster,
      gathered,
    ],
    ['the same duration in other words', withSpec({ duration: '2159h60m' }), cluster, gathered],
    ['renewal settings', withSpec({ renewBefore: '720h' }), cluster, gathered],
    ['rotationPolicy', withSpec({ privateKey: { rotationPolicy: 'Never' } }), cluster, gathered],
    [
      'publishing settings',
      withSpec({
        target: { secret: { name: 'x', labels: { a: 'b' } } },
        consumers: [{ kind: 'Deployment', name: 'orders' }],
        revisionHistoryLimit: 9,
        suspend: true,
      }),
      cluster,
      gathered,
    ],
    [
      'the port and hostname verification written out',
      bundle,
      {
        ...cluster,
        spec: {
          ...cluster.spec,
          connection: { ...cluster.spec.connection, port: 9142, hostnameVerification: true },
        },
      },
      gathered,
    ],
    [
      'the cluster access rules',
      bundle,
      { ...cluster, spec: { ...cluster.spec, access: { namespaces: ['billing'] } } },
      gathered,
    ],
  ])('ignores %s', (_name, b, c, g) => {
    expect(bundleInputsHash(b, c, g)).toEqual(base);
  });

  it.each<[string, SecureConnectionBundle, CassandraClusterRef, GatheredContentInputs, string[]]>([
    [
      'commonName',
      withSpec({ identity: { commonName: 'other', organizations: ['orders-team'] } }),
      cluster,
      gathered,
      ['spec'],
    ],
    [
      'organizations order (it is the certificate subject order)',
      withSpec({ identity: { organizations: ['orders-team', 'b'] } }),
      cluster,
      gathered,
      ['spec'],
    ],
    ['duration', withSpec({ duration: '720h' }), cluster, gathered, ['spec']],
    ['key size', withSpec({ privateKey: { algorithm: 'ECDSA', size: 384 } }), cluster, gathered, ['spec']],
    ['platforms (omitted = all, [] = none)', withSpec({ platforms: [] }), cluster, gathered, ['spec']],
    [
      'keystore passwords',
      bundle,
      cluster,
      { ...gathered, keystorePasswordsDigest: 'cc'.repeat(32) },
      ['spec'],
    ],
    [
      'trust domain (it sets the default SPIFFE ID)',
      bundle,
      { ...cluster, spec: { ...cluster.spec, identity: { trustDomain: 'db.example' } } },
      gathered,
      ['spec'],
    ],
    [
      'contact points',
      bundle,
      {
        ...cluster,
        spec: {
          ...cluster.spec,
          connection: { ...cluster.spec.connection, contactPoints: ['cassandra-1.db'] },
        },
      },
      gathered,
      ['connection'],
    ],
    ['server CA', bundle, cluster, { ...gathered, serverCAFingerprints: ['dd'.repeat(32)] }, ['serverCA']],
    ['client CA', bundle, cluster, { ...gathered, clientCAFingerprint: 'ee'.repeat(32) }, ['clientCA']],
  ])('changes with %s', (_name, b, c, g, groups) => {
    const hash = bundleInputsHash(b, c, g);
    expect(hash.value).not.toBe(base.value);
    expect(changedInputGroups(base, hash)).toEqual(groups);
  });

  it('an unrecorded hash counts as every group changed', () => {
    expect(changedInputGroups(undefined, base)).toEqual(['spec', 'connection', 'serverCA', 'clientCA']);
  });
});

describe('recording the hash', () => {
  it('round-trips through its annotation form', () => {
    expect(parseInputsHash(serializeInputsHash(base))).toEqual(base);
  });

  it.each([
    ['not JSON', '{'],
    ['a group missing', '{"spec":"' + 'a'.repeat(64) + '"}'],
    ['absent', undefined],
  ])('reads %s as unknown', (_name, text) => {
    expect(parseInputsHash(text)).toBeUndefined();
  });
});

describe('secretValuesDigest', () => {
  const passwords = { keyStorePassword: 'correct horse', trustStorePassword: 'battery staple' };

  it('depends on the values, not their order, and never contains them', () => {
    const digest = secretValuesDigest('u-1', passwords);
    expect(
      secretValuesDigest('u-1', { trustStorePassword: 'battery staple', keyStorePassword: 'correct horse' }),
    ).toBe(digest);
    expect(secretValuesDigest('u-1', { ...passwords, keyStorePassword: 'other' })).not.toBe(digest);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is salted per bundle, so equal passwords give different digests', () => {
    expect(secretValuesDigest('u-1', passwords)).not.toBe(secretValuesDigest('u-2', passwords));
  });
});
