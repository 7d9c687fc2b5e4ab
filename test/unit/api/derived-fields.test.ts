import {
  PLATFORM_IDS,
  bundleCommonName,
  bundleSecretName,
  bundleSpiffeID,
  clusterRefNamespace,
  managedClientCACommonName,
  privateKeySize,
  selectedPlatforms,
  trustBundleConfigMapName,
  type CassandraClusterRef,
  type SecureConnectionBundle,
  type SecureConnectionBundleSpec,
} from '../../../src/api/v1alpha1/index.js';
import path from 'node:path';
import { InvalidInputError } from '../../../src/errors.js';
import { loadCrd, storageSchema, type CrdSchema } from '../../../tools/codegen/api-types.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

function bundle(spec: Partial<SecureConnectionBundleSpec> = {}, name = 'orders-app'): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name, namespace: 'orders' },
    spec: { clusterRef: { name: 'orders-cluster' }, ...spec },
  };
}

function cluster(spec: Partial<CassandraClusterRef['spec']> = {}): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name: 'orders-cluster', namespace: 'db' },
    spec: {
      connection: { contactPoints: ['cassandra'], localDatacenter: 'dc1' },
      serverCA: { configMapRef: { name: 'server-ca' } },
      clientCA: { managed: {} },
      ...spec,
    },
  };
}

describe('SecureConnectionBundle derived fields', () => {
  it('names the Secret <name>-scb unless spec.target.secret.name is set', () => {
    expect(bundleSecretName(bundle())).toBe('orders-app-scb');
    expect(bundleSecretName(bundle({ target: { secret: { name: 'custom' } } }))).toBe('custom');
  });

  it('uses metadata.name as common name unless spec.identity.commonName is set', () => {
    expect(bundleCommonName(bundle())).toBe('orders-app');
    expect(bundleCommonName(bundle({ identity: { commonName: 'orders' } }))).toBe('orders');
  });

  it('looks for the cluster in the bundle namespace unless spec.clusterRef.namespace is set', () => {
    expect(clusterRefNamespace(bundle())).toBe('orders');
    expect(clusterRefNamespace(bundle({ clusterRef: { name: 'c', namespace: 'db' } }))).toBe('db');
  });

  it.each([
    ['no trust domain, no explicit id', {}, undefined, undefined],
    ['trust domain only', {}, 'cassandra.example', 'spiffe://cassandra.example/ns/orders/scb/orders-app'],
    [
      'explicit id wins over the trust domain',
      { identity: { spiffeID: 'spiffe://other.example/app' } },
      'cassandra.example',
      'spiffe://other.example/app',
    ],
  ] as const)('SPIFFE ID: %s', (_case, spec, trustDomain, expected) => {
    expect(bundleSpiffeID(bundle(spec), trustDomain)).toBe(expected);
  });

  it.each([
    [undefined, 256],
    [{}, 256],
    [{ algorithm: 'ECDSA' as const }, 256],
    [{ algorithm: 'RSA' as const }, 2048],
    [{ algorithm: 'ECDSA' as const, size: 384 as const }, 384],
    [{ algorithm: 'RSA' as const, size: 4096 as const }, 4096],
  ])('key size for %j is %d', (privateKey, size) => {
    expect(privateKeySize(privateKey)).toBe(size);
  });

  it('includes every platform when spec.platforms is omitted, and none when it is empty', () => {
    expect(selectedPlatforms(bundle().spec)).toEqual(PLATFORM_IDS);
    expect(selectedPlatforms(bundle({ platforms: [] }).spec)).toEqual([]);
    expect(selectedPlatforms(bundle({ platforms: ['python', 'cqlsh'] }).spec)).toEqual(['python', 'cqlsh']);
  });

  it('rejects an object without a name with an error naming metadata.name', () => {
    const nameless = bundle();
    delete nameless.metadata.name;
    expect(() => bundleSecretName(nameless)).toThrow(InvalidInputError);
    expect(() => bundleSecretName(nameless)).toThrow(/metadata\.name/);
  });
});

describe('CassandraClusterRef derived fields', () => {
  it('publishes the trust bundle to <name>-client-ca unless spec.trustBundle.configMapName is set', () => {
    expect(trustBundleConfigMapName(cluster())).toBe('orders-cluster-client-ca');
    expect(trustBundleConfigMapName(cluster({ trustBundle: { configMapName: 'truststore' } }))).toBe(
      'truststore',
    );
  });

  it('names a managed client CA "<name> client CA" unless commonName is set', () => {
    expect(managedClientCACommonName(cluster())).toBe('orders-cluster client CA');
    expect(managedClientCACommonName(cluster({ clientCA: { managed: { commonName: 'Orders CA' } } }))).toBe(
      'Orders CA',
    );
  });
});

describe('CRD descriptions state the derived defaults above', () => {
  it.each([
    ['SecureConnectionBundle', 'spec.target.secret.name', 'Default: <metadata.name>-scb.'],
    ['SecureConnectionBundle', 'spec.identity.commonName', 'Default: metadata.name.'],
    ['SecureConnectionBundle', 'spec.clusterRef.namespace', "Default: this bundle's namespace."],
    ['SecureConnectionBundle', 'spec.identity.spiffeID', 'spiffe://<trustDomain>/ns/<namespace>/scb/<name>'],
    ['SecureConnectionBundle', 'spec.privateKey.size', 'ECDSA: 256 (P-256, the default)'],
    ['SecureConnectionBundle', 'spec.privateKey.size', 'RSA: 2048 (the default)'],
    ['SecureConnectionBundle', 'spec.platforms', 'Omit to include every platform'],
    ['CassandraClusterRef', 'spec.trustBundle.configMapName', 'Default: <metadata.name>-client-ca.'],
    ['CassandraClusterRef', 'spec.clientCA.managed.commonName', "Default: '<metadata.name> client CA'."],
  ] as const)('%s %s says "%s"', async (kind, field, text) => {
    const root = storageSchema(await loadCrd(repoRoot, kind));
    let schema: CrdSchema | undefined = root;
    for (const part of field.split('.')) schema = schema?.properties?.[part];
    expect(schema?.description).toContain(text);
  });
});
