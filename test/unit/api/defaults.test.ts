// Offline generation (scbctl generate) and tests apply CRD defaults without an apiserver. The
// expected objects below are what a real v1.34.4 apiserver returned for the same input.
import {
  applyCassandraClusterRefDefaults,
  applySecureConnectionBundleDefaults,
  type SecureConnectionBundleSpec,
} from '../../../src/api/v1alpha1/index.js';

describe('applySecureConnectionBundleDefaults', () => {
  it('fills the same defaults the apiserver fills, nested ones included', () => {
    const input: SecureConnectionBundleSpec = {
      clusterRef: { name: 'orders' },
      privateKey: { algorithm: 'RSA' },
      credentials: { secretRef: { name: 'login' } },
      target: { objectStore: { bucket: 'b1x', credentialsSecretRef: { name: 's3' } } },
      platforms: [],
    };
    expect(applySecureConnectionBundleDefaults(input)).toEqual({
      clusterRef: { name: 'orders' },
      credentials: { secretRef: { name: 'login', passwordKey: 'password', usernameKey: 'username' } },
      duration: '2160h',
      keystores: { profile: 'Modern' },
      platforms: [],
      privateKey: { algorithm: 'RSA', encoding: 'PKCS8', rotationPolicy: 'Always' },
      revisionHistoryLimit: 3,
      suspend: false,
      target: {
        objectStore: {
          bucket: 'b1x',
          credentialsSecretRef: { name: 's3' },
          pathStyle: false,
          region: 'us-east-1',
          retainPolicy: 'Delete',
        },
      },
    });
  });

  it('keeps values the user set, and leaves the input unchanged', () => {
    const input: SecureConnectionBundleSpec = {
      clusterRef: { name: 'orders' },
      duration: '720h',
      suspend: true,
      revisionHistoryLimit: 0,
      privateKey: { encoding: 'PKCS1' },
    };
    const before = structuredClone(input);
    const result = applySecureConnectionBundleDefaults(input);
    expect(result).toMatchObject({
      duration: '720h',
      suspend: true,
      revisionHistoryLimit: 0,
      privateKey: { algorithm: 'ECDSA', encoding: 'PKCS1', rotationPolicy: 'Always' },
    });
    expect(input).toEqual(before);
  });
});

describe('applyCassandraClusterRefDefaults', () => {
  it('fills the same defaults the apiserver fills, nested ones included', () => {
    expect(
      applyCassandraClusterRefDefaults({
        connection: { contactPoints: ['a'], localDatacenter: 'dc1' },
        serverCA: { secretRef: { name: 'server-ca' } },
        clientCA: { managed: {} },
      }),
    ).toEqual({
      clientCA: {
        managed: {
          intermediateDuration: '8760h',
          privateKey: { algorithm: 'ECDSA' },
          rootDuration: '87600h',
        },
      },
      connection: { contactPoints: ['a'], hostnameVerification: true, localDatacenter: 'dc1', port: 9142 },
      serverCA: { secretRef: { key: 'ca.crt', name: 'server-ca' } },
    });
  });
});
