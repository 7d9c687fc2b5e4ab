import type { CassandraClusterRef } from '../../../../src/api/v1alpha1/index.js';
import {
  TRUST_BUNDLE_KEY,
  caFacts,
  trustBundleCertificates,
  trustBundleConfigMap,
} from '../../../../src/controllers/cluster-ref/trust-bundle.js';
import { MANAGED_BY, MANAGED_BY_LABEL, ROLE_LABEL } from '../../../../src/controllers/ownership.js';
import {
  createManagedCaHierarchy,
  issueIntermediateCa,
  parseCertificatesPem,
  type ManagedCaHierarchy,
} from '../../../../src/pki/certificate-authority.js';
import { sha256Hex } from '../../../../src/pki/fingerprint.js';
import type { X509Certificate } from '../../../../src/pki/x509.js';
import { fixedClock } from '../../../../src/time/clock.js';

const clock = fixedClock(new Date('2025-01-01T00:00:00Z'));
const OPTIONS = {
  commonName: 'orders client CA',
  rootDurationSeconds: 10 * 365 * 86_400,
  intermediateDurationSeconds: 365 * 86_400,
};

function cluster(configMapName?: string): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name: 'orders-db', namespace: 'shop', uid: 'cluster-uid' },
    spec: {
      connection: { contactPoints: ['db.shop.svc'], localDatacenter: 'dc1' },
      serverCA: { secretRef: { name: 'orders-db-server-ca' } },
      clientCA: { managed: {} },
      ...(configMapName ? { trustBundle: { configMapName } } : {}),
    },
  };
}

const fingerprints = (certificates: readonly X509Certificate[]): string[] =>
  certificates.map((certificate) => sha256Hex(certificate.rawData));

let hierarchy: ManagedCaHierarchy;
let rotated: X509Certificate;
let otherRoot: X509Certificate;

beforeAll(async () => {
  hierarchy = await createManagedCaHierarchy(OPTIONS, clock);
  rotated = (await issueIntermediateCa(hierarchy.root, OPTIONS, fixedClock(new Date('2025-09-01T00:00:00Z'))))
    .ca.certificate;
  otherRoot = (await createManagedCaHierarchy(OPTIONS, clock)).root.certificate;
});

describe('trustBundleCertificates', () => {
  it('orders the active CA, then its issuers, then CAs still trusted from before', () => {
    const { root, intermediate } = hierarchy;
    const ordered = trustBundleCertificates(rotated, [root.certificate], [intermediate.certificate]);
    expect(fingerprints(ordered)).toEqual(
      fingerprints([rotated, root.certificate, intermediate.certificate]),
    );
  });

  it('lists each certificate once, even when it arrives as a separately parsed copy', () => {
    const { root, intermediate, intermediatePem, rootPem } = hierarchy;
    const [intermediateCopy] = parseCertificatesPem(intermediatePem.certificatePem, 'copy');
    const [rootCopy] = parseCertificatesPem(rootPem.certificatePem, 'copy');
    const ordered = trustBundleCertificates(
      intermediate.certificate,
      [root.certificate, root.certificate],
      [intermediateCopy as X509Certificate, rootCopy as X509Certificate, otherRoot],
    );
    expect(fingerprints(ordered)).toEqual(
      fingerprints([intermediate.certificate, root.certificate, otherRoot]),
    );
  });
});

describe('trustBundleConfigMap', () => {
  it('publishes the certificates under ca.crt as PEM that parses back in the same order', () => {
    const certificates = [rotated, hierarchy.root.certificate, hierarchy.intermediate.certificate];
    const configMap = trustBundleConfigMap(cluster(), certificates);
    const pem = configMap.data?.[TRUST_BUNDLE_KEY] ?? '';
    expect(fingerprints(parseCertificatesPem(pem, 'trust bundle'))).toEqual(fingerprints(certificates));
    expect(pem).not.toContain('PRIVATE KEY');
    expect(Object.keys(configMap.data ?? {})).toEqual(['ca.crt']);
  });

  it.each<[string, string | undefined, string]>([
    ['default name <cluster>-client-ca', undefined, 'orders-db-client-ca'],
    ['spec.trustBundle.configMapName', 'cassandra-client-trust', 'cassandra-client-trust'],
  ])('is named by %s, labelled ours and owned by the cluster ref', (_name, configMapName, expected) => {
    const { metadata } = trustBundleConfigMap(cluster(configMapName), [hierarchy.root.certificate]);
    expect(metadata).toMatchObject({
      name: expected,
      namespace: 'shop',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ROLE_LABEL]: 'trust-bundle' },
      ownerReferences: [
        { kind: 'CassandraClusterRef', name: 'orders-db', uid: 'cluster-uid', controller: true },
      ],
    });
  });
});

describe('caFacts', () => {
  it('describes a CA by the SHA-256 of its DER, subject, serial and validity', () => {
    const certificate = hierarchy.intermediate.certificate;
    const facts = caFacts(certificate);
    expect(facts).toEqual({
      sha256Fingerprint: sha256Hex(certificate.rawData),
      subject: 'CN=orders client CA Intermediate CA',
      serialNumber: certificate.serialNumber,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    });
    expect(facts.sha256Fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(caFacts(rotated).sha256Fingerprint).not.toBe(facts.sha256Fingerprint);
  });
});
