import { InvalidInputError } from '../../../src/errors.js';
import {
  certificateDuration,
  defaultSpiffeId,
  platformList,
  privateKeySpec,
  readBundleSpec,
  readClusterRefSpec,
} from '../../../src/bundle/bundle-spec.js';

const cluster = (connection: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  kind: 'CassandraClusterRef',
  metadata: { name: 'main', namespace: 'db' },
  spec: { connection: { contactPoints: ['c0.example'], localDatacenter: 'dc1', ...connection }, ...extra },
});

function errorOf(read: () => unknown): InvalidInputError {
  try {
    read();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('readClusterRefSpec', () => {
  it('applies the API defaults: port 9142, host name verification on, no extra datacenters', () => {
    expect(readClusterRefSpec(cluster({}))).toEqual({
      name: 'main',
      namespace: 'db',
      connection: {
        contactPoints: ['c0.example'],
        port: 9142,
        localDatacenter: 'dc1',
        datacenters: [],
        keyspace: undefined,
        tlsServerName: undefined,
        hostnameVerification: true,
      },
      trustDomain: undefined,
    });
  });

  it('reads datacenters, keyspace, TLS server name and the trust domain', () => {
    const spec = readClusterRefSpec(
      cluster(
        {
          port: 19142,
          datacenters: [{ name: 'dc2', contactPoints: ['d0'] }],
          keyspace: 'app_1',
          tlsServerName: 'cassandra.example',
          hostnameVerification: false,
        },
        { identity: { trustDomain: 'prod.example' } },
      ),
    );
    expect(spec.connection).toMatchObject({
      port: 19142,
      datacenters: [{ name: 'dc2', contactPoints: ['d0'] }],
      keyspace: 'app_1',
      tlsServerName: 'cassandra.example',
      hostnameVerification: false,
    });
    expect(spec.trustDomain).toBe('prod.example');
  });

  it.each([
    [
      'no connection',
      { kind: 'CassandraClusterRef', metadata: { name: 'x' }, spec: {} },
      'spec.connection is required',
    ],
    ['empty contact points', cluster({ contactPoints: [] }), 'spec.connection.contactPoints is empty'],
    ['a port in a contact point', cluster({ contactPoints: ['c0:9042'] }), 'includes a port'],
    [
      'port out of range',
      cluster({ port: 70000 }),
      'spec.connection.port must be an integer from 1 to 65535',
    ],
    [
      'a repeated datacenter',
      cluster({ datacenters: [{ name: 'dc1', contactPoints: ['x'] }] }),
      'names datacenter "dc1" twice',
    ],
    [
      'a bad keyspace',
      cluster({ keyspace: 'my-app' }),
      'spec.connection.keyspace "my-app" is not a CQL keyspace name',
    ],
    [
      'the wrong kind',
      { ...cluster({}), kind: 'SecureConnectionBundle' },
      'kind is "SecureConnectionBundle"',
    ],
  ])('refuses %s, naming the field', (_name, doc, message) => {
    expect(errorOf(() => readClusterRefSpec(doc)).message).toContain(message);
  });
});

describe('spec.gateway', () => {
  it('reads the metadata address as a DNS name and port', () => {
    const spec = readClusterRefSpec(
      cluster(
        {},
        {
          gateway: {
            metadataAddress: 'CQL-GW.example.com:29080',
            sniProxyAddress: 'cql-gw.example.com:29042',
          },
        },
      ),
    );
    expect(spec.connection.metadataService).toEqual({ host: 'cql-gw.example.com', port: 29080 });
  });

  it('refuses an IP address, a missing port or a port out of range', () => {
    for (const address of [
      '10.0.0.1:29080',
      'cql-gw.example.com',
      'cql-gw.example.com:0',
      'cql-gw.example.com:70000',
      'a..b:1',
    ]) {
      const error = errorOf(() => readClusterRefSpec(cluster({}, { gateway: { metadataAddress: address } })));
      expect(error.field).toBe('spec.gateway.metadataAddress');
    }
  });
});

describe('readBundleSpec', () => {
  it('reads identity, key, duration, platforms and keystore profile', () => {
    const spec = readBundleSpec({
      kind: 'SecureConnectionBundle',
      metadata: { name: 'orders', namespace: 'shop' },
      spec: {
        identity: { commonName: 'orders-svc', spiffeID: 'spiffe://td/orders', organizations: ['Shop'] },
        privateKey: { algorithm: 'RSA' },
        duration: '1h30m',
        platforms: ['python', 'cqlsh'],
        keystores: { profile: 'Legacy' },
      },
    });
    expect(spec).toMatchObject({
      name: 'orders',
      namespace: 'shop',
      identity: { commonName: 'orders-svc', spiffeId: 'spiffe://td/orders', organizations: ['Shop'] },
      privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS8' },
      durationSeconds: 5400,
      platforms: ['python', 'cqlsh'],
      keystoreProfile: 'Legacy',
    });
  });

  it.each([
    [{ identity: { spiffeID: 'https://x' } }, 'spec.identity.spiffeID "https://x" is not a SPIFFE ID'],
    [{ identity: { commonName: 'x'.repeat(65) } }, 'spec.identity.commonName is 65 characters long'],
    [
      { privateKey: { algorithm: 'ECDSA', size: 521 } },
      'spec.privateKey.size 521 is not supported for ECDSA',
    ],
    [{ privateKey: { algorithm: 'DSA' } }, 'spec.privateKey.algorithm "DSA" is not supported'],
    [{ duration: '90d' }, 'spec.duration: "90d" is not a duration'],
    [{ platforms: ['python', 'python'] }, 'spec.platforms lists "python" twice'],
    [{ keystores: { profile: 'Fast' } }, 'spec.keystores.profile "Fast" is not a keystore profile'],
  ])('refuses %j, naming the field', (spec, message) => {
    expect(errorOf(() => readBundleSpec({ spec })).message).toContain(message);
  });
});

describe('defaults and single values', () => {
  it('derives the SPIFFE ID from trust domain, namespace and name', () => {
    expect(defaultSpiffeId('cluster.local', 'shop', 'orders')).toBe(
      'spiffe://cluster.local/ns/shop/scb/orders',
    );
  });

  it('keys default to ECDSA P-256 and RSA 2048', () => {
    expect(privateKeySpec(undefined, undefined, undefined)).toEqual({
      algorithm: 'ECDSA',
      size: 256,
      encoding: 'PKCS8',
    });
    expect(privateKeySpec('RSA', undefined, 'PKCS1')).toEqual({
      algorithm: 'RSA',
      size: 2048,
      encoding: 'PKCS1',
    });
  });

  it('names CLI flags when asked to', () => {
    const fields = { algorithm: '--key-algorithm', size: '--key-size', encoding: '--key-encoding' };
    expect(errorOf(() => privateKeySpec('RSA', 1024, undefined, fields)).message).toMatch(
      /^--key-size 1024 is not supported for RSA/,
    );
    expect(errorOf(() => privateKeySpec('RSA', 2048, 'DER', fields)).field).toBe('--key-encoding');
  });

  it('certificate durations are whole seconds and at least a minute', () => {
    expect(certificateDuration('2160h', 'd')).toBe(7_776_000);
    expect(certificateDuration('2m', 'd')).toBe(120);
    expect(errorOf(() => certificateDuration('59s', 'spec.duration')).message).toContain(
      'shorter than the 1m minimum',
    );
    expect(errorOf(() => certificateDuration('1h500ms', 'spec.duration')).message).toContain(
      'fraction of a second',
    );
  });

  it('lists every known platform id when one is unknown', () => {
    const message = errorOf(() => platformList(['cobol'], '--platform')).message;
    expect(message).toContain('unknown platform "cobol"');
    expect(message).toContain('java-driver-4, python, nodejs');
  });
});
