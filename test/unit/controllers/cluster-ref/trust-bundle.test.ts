import type { V1ConfigMap } from '@kubernetes/client-node';
import type { CassandraClusterRef } from '../../../../src/api/v1alpha1/index.js';
import {
  MAX_PREVIOUS_CLIENT_CAS,
  TRUST_BUNDLE_KEY,
  caFacts,
  foundCertificates,
  planTrustBundle,
  trustBundleCertificates,
  trustBundleConfigMap,
  type TrustBundleInput,
} from '../../../../src/controllers/cluster-ref/trust-bundle.js';
import { trustBundleNameConflict } from '../../../../src/controllers/cluster-ref/name-conflicts.js';
import { NameConflictError } from '../../../../src/errors.js';
import { MANAGED_BY, MANAGED_BY_LABEL, ROLE_LABEL } from '../../../../src/controllers/ownership.js';
import {
  createManagedCaHierarchy,
  issueIntermediateCa,
  parseCertificatesPem,
  type ManagedCaHierarchy,
} from '../../../../src/pki/certificate-authority.js';
import { sha256Hex } from '../../../../src/pki/fingerprint.js';
import type { X509Certificate } from '../../../../src/pki/x509.js';
import { encodePem } from '../../../../src/pki/pem.js';
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

const DAY = 86_400_000;
const START = Date.parse('2025-01-01T00:00:00Z');
const day = (n: number): Date => new Date(START + n * DAY);
const YEAR = 365 * 86_400;

/**
 * Real certificates of chosen validity, by name: a managed root R (10 years) with intermediates
 * I1 (days 0-365), I2 (243-608), I3 (486-851); two bring-your-own CAs B1 and B2 with their roots;
 * F, a stranger's CA; L, a lookalike of I1 (same subject, its own key).
 */
const ca: Record<string, X509Certificate> = {};
const der = (name: string): Uint8Array => new Uint8Array((ca[name] as X509Certificate).rawData);
const named = (certificates: readonly X509Certificate[]): string[] =>
  certificates.map(
    (certificate) =>
      Object.entries(ca).find(
        ([, known]) => sha256Hex(known.rawData) === sha256Hex(certificate.rawData),
      )?.[0] ?? '?',
  );
const recordOf = (name: string) => ({ sha256Fingerprint: sha256Hex((ca[name] as X509Certificate).rawData) });

beforeAll(async () => {
  const options = {
    commonName: 'orders client CA',
    rootDurationSeconds: 10 * YEAR,
    intermediateDurationSeconds: YEAR,
  };
  const managed = await createManagedCaHierarchy(options, fixedClock(day(0)));
  ca.R = managed.root.certificate;
  ca.I1 = managed.intermediate.certificate;
  ca.I2 = (await issueIntermediateCa(managed.root, options, fixedClock(day(243)))).ca.certificate;
  ca.I3 = (await issueIntermediateCa(managed.root, options, fixedClock(day(486)))).ca.certificate;
  const byo1 = await createManagedCaHierarchy({ ...options, commonName: 'byo one' }, fixedClock(day(0)));
  ca.RB1 = byo1.root.certificate;
  ca.B1 = byo1.intermediate.certificate;
  const byo2 = await createManagedCaHierarchy({ ...options, commonName: 'byo two' }, fixedClock(day(100)));
  ca.RB2 = byo2.root.certificate;
  ca.B2 = byo2.intermediate.certificate;
  ca.F = (
    await createManagedCaHierarchy({ ...options, commonName: 'stranger' }, fixedClock(day(0)))
  ).root.certificate;
  ca.L = (await createManagedCaHierarchy(options, fixedClock(day(0)))).intermediate.certificate;
});

describe('planTrustBundle', () => {
  interface Row {
    active: string;
    issuers: string[];
    clientCA?: string;
    previous?: string[];
    replaced?: string[];
    found: string[];
    now: number;
  }
  it.each<[string, Row, string[], string[], number]>([
    [
      'first pass: the active CA and its root',
      { active: 'I1', issuers: ['R'], found: [], now: 1 },
      ['I1', 'R'],
      [],
      0,
    ],
    [
      'a CA written into the ConfigMap by someone else is dropped and counted',
      { active: 'I1', issuers: ['R'], clientCA: 'I1', found: ['I1', 'R', 'F'], now: 10 },
      ['I1', 'R'],
      [],
      1,
    ],
    [
      'a lookalike of the recorded CA (same subject, other key) is not the recorded CA',
      { active: 'I2', issuers: ['R'], clientCA: 'I2', previous: ['I1'], found: ['I2', 'R', 'L'], now: 250 },
      ['I2', 'R'],
      [],
      1,
    ],
    [
      'a managed rotation in this pass: the replaced intermediate stays, from memory',
      { active: 'I2', issuers: ['R'], clientCA: 'I1', replaced: ['I1'], found: [], now: 250 },
      ['I2', 'R', 'I1'],
      ['I1'],
      0,
    ],
    [
      'the pass after: the rotated-out intermediate, recorded in status, comes from the ConfigMap',
      { active: 'I2', issuers: ['R'], clientCA: 'I2', previous: ['I1'], found: ['I2', 'R', 'I1'], now: 300 },
      ['I2', 'R', 'I1'],
      ['I1'],
      0,
    ],
    [
      'a restart between the CA write and the status write: status still names the old CA active',
      { active: 'I2', issuers: ['R'], clientCA: 'I1', found: ['I1', 'R'], now: 250 },
      ['I2', 'R', 'I1'],
      ['I1'],
      0,
    ],
    [
      'a rotated-out intermediate leaves at its expiry',
      { active: 'I2', issuers: ['R'], clientCA: 'I2', previous: ['I1'], found: ['I2', 'R', 'I1'], now: 365 },
      ['I2', 'R'],
      [],
      0,
    ],
    [
      'two rotated out: latest expiry first, each until it expires',
      {
        active: 'I3',
        issuers: ['R'],
        clientCA: 'I3',
        previous: ['I1', 'I2'],
        found: ['I1', 'I2', 'I3', 'R'],
        now: 300,
      },
      ['I3', 'R', 'I2', 'I1'],
      ['I2', 'I1'],
      0,
    ],
    [
      'a replaced bring-your-own CA stays trusted as itself; its old root leaves with it',
      { active: 'B2', issuers: ['RB2'], clientCA: 'B1', found: ['B1', 'RB1'], now: 150 },
      ['B2', 'RB2', 'B1'],
      ['B1'],
      1,
    ],
    [
      'a recorded CA whose bytes someone removed cannot be republished',
      { active: 'I2', issuers: ['R'], clientCA: 'I2', previous: ['I1'], found: ['I2', 'R'], now: 300 },
      ['I2', 'R'],
      [],
      0,
    ],
    [
      'copies and the active chain listed as previous appear once',
      {
        active: 'I2',
        issuers: ['R'],
        clientCA: 'I2',
        previous: ['I2', 'R', 'I1'],
        found: ['I1', 'I1', 'R', 'I2'],
        now: 300,
      },
      ['I2', 'R', 'I1'],
      ['I1'],
      0,
    ],
  ])('%s', (_name, row, certificates, previous, foreign) => {
    const input: TrustBundleInput = {
      active: ca[row.active] as X509Certificate,
      issuers: row.issuers.map((name) => ca[name] as X509Certificate),
      recorded: {
        ...(row.clientCA ? { clientCA: recordOf(row.clientCA) } : {}),
        previousClientCAs: (row.previous ?? []).map(recordOf),
      },
      replaced: (row.replaced ?? []).map((name) => ca[name] as X509Certificate),
      found: row.found.map(der),
      now: day(row.now),
    };
    const plan = planTrustBundle(input);
    expect(named(plan.certificates)).toEqual(certificates);
    expect(named(plan.previous)).toEqual(previous);
    expect(plan.foreign).toBe(foreign);
  });

  it(`keeps at most ${MAX_PREVIOUS_CLIENT_CAS} rotated-out CAs (status holds no more), the latest expiring`, async () => {
    const options = { commonName: 'many', rootDurationSeconds: 10 * YEAR, intermediateDurationSeconds: YEAR };
    const root = (await createManagedCaHierarchy(options, fixedClock(day(0)))).root;
    const issued: X509Certificate[] = [];
    for (let n = 0; n <= MAX_PREVIOUS_CLIENT_CAS + 1; n += 1) {
      issued.push((await issueIntermediateCa(root, options, fixedClock(day(n)))).ca.certificate);
    }
    const [active, ...older] = issued.reverse() as [X509Certificate, ...X509Certificate[]];
    const plan = planTrustBundle({
      active,
      issuers: [root.certificate],
      recorded: {
        previousClientCAs: older.map((certificate) => ({
          sha256Fingerprint: sha256Hex(certificate.rawData),
        })),
      },
      replaced: [],
      found: older.map((certificate) => new Uint8Array(certificate.rawData)),
      now: day(30),
    });
    expect(fingerprints(plan.previous)).toEqual(fingerprints(older.slice(0, MAX_PREVIOUS_CLIENT_CAS)));
  });
});

const pem = (name: string): string => encodePem('CERTIFICATE', der(name));

describe('foundCertificates', () => {
  it('reads back what trustBundleConfigMap wrote, in order', () => {
    const text = trustBundleConfigMap(cluster(), [ca.I1, ca.R, ca.B1] as X509Certificate[]).data?.[
      TRUST_BUNDLE_KEY
    ];
    expect(foundCertificates(text).map((block) => sha256Hex(block))).toEqual(
      fingerprints([ca.I1, ca.R, ca.B1] as X509Certificate[]),
    );
  });

  it('ignores text around blocks, other block types and a block without an end', () => {
    const text = `junk\n${pem('I1')}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n# note\n${pem('R')}-----BEGIN CERTIFICATE-----\nAAAA\n`;
    expect(foundCertificates(text).map((block) => sha256Hex(block))).toEqual(
      fingerprints([ca.I1, ca.R] as X509Certificate[]),
    );
    expect(foundCertificates(undefined)).toEqual([]);
  });

  it('scans a hostile 1 MiB text of unterminated blocks in linear time', () => {
    const text = '-----BEGIN CERTIFICATE-----\n'.repeat(Math.ceil(2 ** 20 / 28));
    const started = process.hrtime.bigint();
    expect(foundCertificates(text)).toEqual([]);
    expect(foundCertificates(`${text}-----END CERTIFICATE-----`)).toHaveLength(1);
    // A scan that restarted at every BEGIN would take minutes here; a linear one, milliseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2_000);
  });
});

describe('trustBundleNameConflict', () => {
  it('names the ConfigMap, its holder and the field to change, never its content', () => {
    const holder: V1ConfigMap = {
      metadata: { name: 'kube-root-ca.crt', namespace: 'shop' },
      data: { 'ca.crt': pem('F') },
    };
    const error = trustBundleNameConflict(cluster('kube-root-ca.crt'), holder);
    expect(error).toBeInstanceOf(NameConflictError);
    expect(error).toMatchObject({
      reason: 'NameConflict',
      kind: 'ConfigMap',
      objectName: 'kube-root-ca.crt',
      holder: 'an object not controlled by scb-operator',
      field: 'spec.trustBundle.configMapName',
    });
    expect(error.message).toContain(
      'ConfigMap shop/kube-root-ca.crt is held by an object not controlled by scb-operator',
    );
    expect(error.message).toContain('set spec.trustBundle.configMapName');
    expect(error.message).not.toContain('BEGIN');
  });

  it('names another cluster ref that holds the name', () => {
    const error = trustBundleNameConflict(cluster('payments-db-client-ca'), {
      metadata: {
        name: 'payments-db-client-ca',
        namespace: 'shop',
        ownerReferences: [
          {
            apiVersion: 'scb-operator.io/v1alpha1',
            kind: 'CassandraClusterRef',
            name: 'payments-db',
            uid: 'other',
            controller: true,
          },
        ],
      },
    });
    expect(error.holder).toBe('CassandraClusterRef shop/payments-db');
  });
});
