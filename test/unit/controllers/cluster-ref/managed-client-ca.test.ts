import type { V1Secret } from '@kubernetes/client-node';
import type { CassandraClusterRef, ManagedClientCA } from '../../../../src/api/v1alpha1/index.js';
import {
  MANAGED_CA_ROTATE_TOKEN,
  MANAGED_ROOT_KEY,
  readClientCa,
  unsealCaPem,
} from '../../../../src/controllers/cluster-ref/ca-sources.js';
import {
  managedCaOptions,
  managedCaSecret,
} from '../../../../src/controllers/cluster-ref/managed-client-ca.js';
import { MANAGED_BY, MANAGED_BY_LABEL, ROLE_LABEL } from '../../../../src/controllers/ownership.js';
import { InvalidInputError } from '../../../../src/errors.js';
import type { KubeObjects } from '../../../../src/kube/kube-objects.js';
import {
  createManagedCaHierarchy,
  loadCertificateAuthority,
  type ManagedCaHierarchy,
  type ManagedCaOptions,
} from '../../../../src/pki/certificate-authority.js';
import { sha256Hex } from '../../../../src/pki/fingerprint.js';
import { fixedClock } from '../../../../src/time/clock.js';

const HOUR = 3600;
const clock = fixedClock(new Date('2025-01-01T00:00:00Z'));

function cluster(managed: ManagedClientCA = {}): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name: 'orders-db', namespace: 'shop', uid: 'cluster-uid' },
    spec: {
      connection: { contactPoints: ['db'], localDatacenter: 'dc1' },
      serverCA: { secretRef: { name: 'orders-db-server-ca' } },
      clientCA: { managed },
    },
  };
}

/** Our KubeObjects reduced to the one read readClientCa makes, serving a single Secret. */
const serving = (secret: V1Secret): KubeObjects =>
  ({
    getSecret: (namespace: string, name: string) =>
      Promise.resolve(
        namespace === secret.metadata?.namespace && name === secret.metadata?.name ? secret : undefined,
      ),
  }) as unknown as KubeObjects;

describe('managedCaOptions', () => {
  it.each<[string, ManagedClientCA, ManagedCaOptions]>([
    [
      'all defaults: "<name> client CA", 10-year root, 1-year intermediate, ECDSA P-256',
      {},
      {
        commonName: 'orders-db client CA',
        organizations: [],
        rootDurationSeconds: 87_600 * HOUR,
        intermediateDurationSeconds: 8_760 * HOUR,
        privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' },
      },
    ],
    [
      'everything set',
      {
        commonName: 'Orders cluster client CA',
        organizations: ['Example Corp'],
        rootDuration: '175200h',
        intermediateDuration: '4380h',
        privateKey: { algorithm: 'ECDSA', size: 384 },
      },
      {
        commonName: 'Orders cluster client CA',
        organizations: ['Example Corp'],
        rootDurationSeconds: 175_200 * HOUR,
        intermediateDurationSeconds: 4_380 * HOUR,
        privateKey: { algorithm: 'ECDSA', size: 384, encoding: 'PKCS8' },
      },
    ],
    [
      'RSA without a size: 2048 bits',
      { privateKey: { algorithm: 'RSA' }, intermediateDuration: '720h30m' },
      {
        commonName: 'orders-db client CA',
        organizations: [],
        rootDurationSeconds: 87_600 * HOUR,
        intermediateDurationSeconds: 720.5 * HOUR,
        privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS8' },
      },
    ],
  ])('%s', (_name, managed, expected) => {
    expect(managedCaOptions(cluster(managed))).toEqual(expected);
  });

  it.each<[string, ManagedClientCA, string]>([
    ['rootDuration', { rootDuration: 'ten years' }, 'spec.clientCA.managed.rootDuration'],
    ['intermediateDuration', { intermediateDuration: '1y' }, 'spec.clientCA.managed.intermediateDuration'],
  ])('a bad %s names its field', (_name, managed, field) => {
    expect(() => managedCaOptions(cluster(managed))).toThrow(InvalidInputError);
    expect(() => managedCaOptions(cluster(managed))).toThrow(expect.objectContaining({ field }));
  });
});

describe('managedCaSecret', () => {
  let hierarchy: ManagedCaHierarchy;
  beforeAll(async () => {
    hierarchy = await createManagedCaHierarchy(managedCaOptions(cluster()), clock);
  });
  const secretFor = (token?: string): V1Secret =>
    managedCaSecret(cluster(), hierarchy.rootPem, hierarchy.intermediatePem, token);

  it('is found and read back by readClientCa as the CA that signs bundles', async () => {
    const source = await readClientCa(serving(secretFor()), cluster());
    expect(source.secretName).toBe('orders-db-managed-client-ca');
    expect(unsealCaPem(source.pem)).toEqual({
      certificatePem: hierarchy.intermediatePem.certificatePem,
      privateKeyPem: hierarchy.intermediatePem.privateKeyPem,
      chainPem: hierarchy.rootPem.certificatePem,
    });
    expect(source.rootKeyPem?.reveal()).toBe(hierarchy.rootPem.privateKeyPem);
    // Both keys travel wrapped: the source as a whole prints no key.
    expect(JSON.stringify(source)).not.toContain('PRIVATE KEY');
    expect(source.handledRotateToken).toBeUndefined();

    // What was read back is a usable issuing CA: key matches, chain ends at the root.
    const ca = await loadCertificateAuthority(unsealCaPem(source.pem), clock);
    expect(sha256Hex(ca.certificate.rawData)).toBe(sha256Hex(hierarchy.intermediate.certificate.rawData));
    expect(ca.chain.map((issuer) => sha256Hex(issuer.rawData))).toEqual([
      sha256Hex(hierarchy.root.certificate.rawData),
    ]);
  });

  it('records the rotate token its intermediate answered, and readClientCa returns it', async () => {
    const secret = secretFor('d'.repeat(64));
    expect(secret.metadata?.annotations).toEqual({ [MANAGED_CA_ROTATE_TOKEN]: 'd'.repeat(64) });
    expect((await readClientCa(serving(secret), cluster())).handledRotateToken).toBe('d'.repeat(64));
    expect(secretFor().metadata).not.toHaveProperty('annotations');
  });

  it('has the tls.crt/tls.key/ca.crt layout plus the root key, our labels and the cluster as owner', () => {
    const secret = secretFor();
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(
      ['ca.crt', MANAGED_ROOT_KEY, 'tls.crt', 'tls.key'].sort(),
    );
    expect(secret.metadata).toMatchObject({
      name: 'orders-db-managed-client-ca',
      namespace: 'shop',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ROLE_LABEL]: 'managed-client-ca' },
      ownerReferences: [
        { kind: 'CassandraClusterRef', name: 'orders-db', uid: 'cluster-uid', controller: true },
      ],
    });
    expect(secret.type).toBe('Opaque');
  });
});
