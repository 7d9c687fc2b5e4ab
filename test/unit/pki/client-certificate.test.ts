import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../../src/errors.js';
import {
  createManagedCaHierarchy,
  loadCertificateAuthority,
  type ManagedCaHierarchy,
} from '../../../src/pki/certificate-authority.js';
import {
  issueClientCertificate,
  type ClientCertificateRequest,
  type IssuedClientCertificate,
} from '../../../src/pki/client-certificate.js';
import type { PrivateKeySpec } from '../../../src/pki/private-key.js';
import * as x509 from '../../../src/pki/x509.js';
import { fixedClock } from '../../../src/time/clock.js';
import {
  expectNoKeyMaterial,
  makeScratchDir,
  runTool,
  runToolOk,
  type ScratchDir,
} from './external-tools.js';

const NOW = new Date('2031-05-04T10:20:30.456Z');
const NOW_WHOLE = new Date('2031-05-04T10:20:30.000Z');
const clock = fixedClock(NOW);
const DAY = 86_400;
const SPIFFE_ID = 'spiffe://cluster.local/ns/payments/sa/ledger';

const KEY_TYPES: { name: string; key: PrivateKeySpec; header: string; bits: number }[] = [
  { name: 'ECDSA P-256', key: { algorithm: 'ECDSA', size: 256 }, header: 'PRIVATE KEY', bits: 256 },
  {
    name: 'ECDSA P-384 SEC1',
    key: { algorithm: 'ECDSA', size: 384, encoding: 'PKCS1' },
    header: 'EC PRIVATE KEY',
    bits: 384,
  },
  {
    name: 'RSA 2048 PKCS#1',
    key: { algorithm: 'RSA', size: 2048, encoding: 'PKCS1' },
    header: 'RSA PRIVATE KEY',
    bits: 2048,
  },
  {
    name: 'RSA 3072',
    key: { algorithm: 'RSA', size: 3072, encoding: 'PKCS8' },
    header: 'PRIVATE KEY',
    bits: 3072,
  },
  { name: 'RSA 4096', key: { algorithm: 'RSA', size: 4096 }, header: 'PRIVATE KEY', bits: 4096 },
];

function request(overrides: Partial<ClientCertificateRequest> = {}): ClientCertificateRequest {
  return {
    commonName: 'ledger',
    organizations: ['Acme Payments'],
    spiffeId: SPIFFE_ID,
    dnsNames: ['ledger.payments.svc', '*.ledger.example.com'],
    privateKey: { algorithm: 'ECDSA', size: 256 },
    durationSeconds: 30 * DAY,
    ...overrides,
  };
}

let hierarchy: ManagedCaHierarchy;
let scratch: ScratchDir;
let rootFile: string;
let intermediateFile: string;
const issued = new Map<string, IssuedClientCertificate>();

beforeAll(async () => {
  scratch = makeScratchDir('client-cert');
  hierarchy = await createManagedCaHierarchy(
    {
      commonName: 'Test Cluster',
      organizations: ['Acme'],
      rootDurationSeconds: 3650 * DAY,
      intermediateDurationSeconds: 365 * DAY,
    },
    clock,
  );
  rootFile = scratch.write('root.pem', hierarchy.rootPem.certificatePem);
  intermediateFile = scratch.write('intermediate.pem', hierarchy.intermediatePem.certificatePem);
  // RSA 4096 generation takes seconds: every key type is issued once, in parallel.
  const results = await Promise.all(
    KEY_TYPES.map(({ key }) =>
      issueClientCertificate(hierarchy.intermediate, request({ privateKey: key }), clock),
    ),
  );
  KEY_TYPES.forEach(({ name }, index) => issued.set(name, results[index]!));
}, 60_000);

afterAll(() => scratch.remove());

/** `openssl verify` as a TLS server checks a client: at our clock's time, for clientAuth. */
const openssl = (args: string[]) => runToolOk('openssl', args);

function opensslVerify(leafFile: string, root = rootFile, untrusted = intermediateFile): string {
  const at = String(Math.floor(NOW.getTime() / 1000) + 60);
  return runToolOk('openssl', [
    'verify',
    '-attime',
    at,
    '-purpose',
    'sslclient',
    '-CAfile',
    root,
    '-untrusted',
    untrusted,
    leafFile,
  ]);
}

describe.each(KEY_TYPES)('a $name client certificate', ({ name, header, bits, key }) => {
  let certificate: IssuedClientCertificate;
  let certFile: string;
  let keyFile: string;
  beforeAll(() => {
    certificate = issued.get(name)!;
    const fileName = name.replace(/\W+/g, '-');
    certFile = scratch.write(`${fileName}.crt`, certificate.certificatePem);
    keyFile = scratch.write(`${fileName}.key`, certificate.privateKeyPem);
  });

  it('verifies for clientAuth through intermediate to root with openssl', () => {
    expect(opensslVerify(certFile)).toBe(`${certFile}: OK\n`);
  });

  it('carries the identity, usages and key identifiers openssl reports', () => {
    const text = runToolOk('openssl', ['x509', '-in', certFile, '-noout', '-text']);
    expect(text).toContain('Subject: O = Acme Payments, CN = ledger');
    expect(text).toContain('Issuer: O = Acme, CN = Test Cluster Intermediate CA');
    expect(text).toContain(`URI:${SPIFFE_ID}`);
    expect(text).toContain('DNS:ledger.payments.svc, DNS:*.ledger.example.com');
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n *CA:FALSE\n/);
    const usages = key.algorithm === 'RSA' ? 'Digital Signature, Key Encipherment' : 'Digital Signature';
    expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\n *${usages}\\n`));
    expect(text).toContain(`Public-Key: (${bits} bit)`);
    const intermediateText = runToolOk('openssl', ['x509', '-in', intermediateFile, '-noout', '-text']);
    const intermediateSki = /Subject Key Identifier: *\n *([0-9A-F:]+)/.exec(intermediateText)?.[1];
    expect(intermediateSki).toBeDefined();
    expect(text).toMatch(new RegExp(`Authority Key Identifier: *\\n *(keyid:)?${intermediateSki}\\n`));
    expect(text).toMatch(/Subject Key Identifier: *\n *[0-9A-F:]{59}\n/);
  });

  it(`writes the key as ${header}, which openssl reads and matches to the certificate`, () => {
    expect(certificate.privateKeyPem).toMatch(new RegExp(`^-----BEGIN ${header}-----\\n`));
    const fromKey = openssl(['pkey', '-in', keyFile, '-pubout']);
    const fromCert = openssl(['x509', '-in', certFile, '-noout', '-pubkey']);
    expect(fromKey).toBe(fromCert);
    const pkcs8File = scratch.write(`${name.replace(/\W+/g, '-')}.pk8`, certificate.privateKeyPkcs8Der);
    expect(openssl(['pkey', '-inform', 'DER', '-in', pkcs8File, '-pubout'])).toBe(fromCert);
  });

  it('reports serial, fingerprint and validity as openssl reads them', () => {
    const out = runToolOk('openssl', [
      'x509',
      '-in',
      certFile,
      '-noout',
      '-serial',
      '-fingerprint',
      '-sha256',
      '-dates',
    ]);
    const serial = /serial=([0-9A-F]+)/.exec(out)?.[1]?.toLowerCase();
    const fingerprint = /Fingerprint=([0-9A-F:]+)/.exec(out)?.[1]?.replace(/:/g, '').toLowerCase();
    expect(certificate.serialNumber).toBe(serial);
    expect(certificate.sha256Fingerprint).toBe(fingerprint);
    // 126 random bits in 16 octets, positive, never a leading zero octet.
    expect(certificate.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(certificate.notBefore).toEqual(NOW_WHOLE);
    expect(certificate.notAfter).toEqual(new Date(NOW_WHOLE.getTime() + 30 * DAY * 1000));
    expect(certificate.shortenedToCaExpiry).toBe(false);
    expect(out).toContain('notBefore=May  4 10:20:30 2031 GMT');
    expect(out).toContain('notAfter=Jun  3 10:20:30 2031 GMT');
  });

  it('lists the chain issuing CA first, up to the root', () => {
    expect(certificate.chain.map((member) => member.subject)).toEqual([
      'O=Acme, CN=Test Cluster Intermediate CA',
      'O=Acme, CN=Test Cluster Root CA',
    ]);
  });
});

it('gives every certificate its own serial', () => {
  const serials = new Set([...issued.values()].map((certificate) => certificate.serialNumber));
  expect(serials.size).toBe(issued.size);
});

describe('validity against the CA chain', () => {
  it('cuts a certificate that would outlive the intermediate to its expiry, and it still verifies', async () => {
    const certificate = await issueClientCertificate(
      hierarchy.intermediate,
      request({ durationSeconds: 2 * 365 * DAY }),
      clock,
    );
    expect(certificate.shortenedToCaExpiry).toBe(true);
    expect(certificate.notAfter).toEqual(hierarchy.intermediate.certificate.notAfter);
    const file = scratch.write('shortened.crt', certificate.certificatePem);
    expect(opensslVerify(file)).toBe(`${file}: OK\n`);
  });

  it('refuses when less than an hour of CA validity is left', async () => {
    const lateClock = fixedClock(new Date(hierarchy.intermediate.certificate.notAfter.getTime() - 1800_000));
    await expect(issueClientCertificate(hierarchy.intermediate, request(), lateClock)).rejects.toMatchObject({
      reason: 'DurationExceedsCaValidity',
      message: expect.stringContaining('"O=Acme, CN=Test Cluster Intermediate CA" expires at'),
    });
  });
});

describe('keeping the private key (rotationPolicy Never)', () => {
  it('issues a new certificate for the same key', async () => {
    const previous = issued.get('ECDSA P-256')!;
    const renewed = await issueClientCertificate(
      hierarchy.intermediate,
      request({ reusePrivateKeyPem: previous.privateKeyPem }),
      clock,
    );
    const publicKeyOf = (issued: IssuedClientCertificate): Buffer =>
      new X509Certificate(issued.certificateDer).publicKey.export({ type: 'spki', format: 'der' });
    expect(publicKeyOf(renewed)).toEqual(publicKeyOf(previous));
    expect(renewed.privateKeyPkcs8Der).toEqual(previous.privateKeyPkcs8Der);
    expect(renewed.serialNumber).not.toBe(previous.serialNumber);
  });

  it('refuses a kept key that no longer matches the requested key type', async () => {
    const previous = issued.get('ECDSA P-256')!;
    const error = await captureRejection(
      issueClientCertificate(
        hierarchy.intermediate,
        request({ reusePrivateKeyPem: previous.privateKeyPem, privateKey: { algorithm: 'RSA', size: 2048 } }),
        clock,
      ),
    );
    expect(error.reason).toBe('PrivateKeySpecMismatch');
    expect(error.message).toContain('is ECDSA 256 but privateKey asks for RSA 2048');
    expectNoKeyMaterial(error.message, previous.privateKeyPem);
  });
});

describe('bad requests', () => {
  it.each([
    {
      name: 'unknown algorithm',
      change: { privateKey: { algorithm: 'Ed25519', size: 256 } },
      reason: 'UnsupportedKeyAlgorithm',
      says: 'privateKey.algorithm "Ed25519"',
    },
    {
      name: 'P-521 for a client',
      change: { privateKey: { algorithm: 'ECDSA', size: 521 } },
      reason: 'UnsupportedKeyAlgorithm',
      says: 'privateKey.size 521',
    },
    {
      name: 'RSA 1024',
      change: { privateKey: { algorithm: 'RSA', size: 1024 } },
      reason: 'UnsupportedKeyAlgorithm',
      says: 'RSA with size 2048, 3072 or 4096',
    },
    {
      name: 'unknown encoding',
      change: { privateKey: { algorithm: 'RSA', size: 2048, encoding: 'DER' } },
      reason: 'UnsupportedKeyEncoding',
      says: 'use PKCS8 or PKCS1',
    },
    {
      name: 'empty common name',
      change: { commonName: ' ' },
      reason: 'InvalidCommonName',
      says: '1 to 64 characters',
    },
    {
      name: 'overlong common name',
      change: { commonName: 'x'.repeat(65) },
      reason: 'InvalidCommonName',
      says: '1 to 64 characters',
    },
    {
      name: 'empty organization',
      change: { organizations: [''] },
      reason: 'InvalidOrganization',
      says: 'organization ""',
    },
    {
      name: 'non-SPIFFE URI',
      change: { spiffeId: 'https://ledger' },
      reason: 'InvalidSpiffeId',
      says: 'spiffe://<trust-domain>/<path>',
    },
    {
      name: 'upper-case trust domain',
      change: { spiffeId: 'spiffe://Cluster.local/x' },
      reason: 'InvalidSpiffeId',
      says: 'lower-case trust domain',
    },
    {
      name: 'dot segment',
      change: { spiffeId: 'spiffe://td/a/../b' },
      reason: 'InvalidSpiffeId',
      says: 'spiffeId "spiffe://td/a/../b"',
    },
    {
      name: 'trailing slash',
      change: { spiffeId: 'spiffe://td/a/' },
      reason: 'InvalidSpiffeId',
      says: 'spiffeId',
    },
    {
      name: 'upper-case DNS name',
      change: { dnsNames: ['Ledger.svc'] },
      reason: 'InvalidDnsName',
      says: 'dnsNames entry "Ledger.svc"',
    },
    {
      name: 'empty DNS label',
      change: { dnsNames: ['a..b'] },
      reason: 'InvalidDnsName',
      says: 'labels of a-z',
    },
    {
      name: 'DNS label with leading hyphen',
      change: { dnsNames: ['-a.b'] },
      reason: 'InvalidDnsName',
      says: 'labels of a-z',
    },
    {
      name: 'too short a duration',
      change: { durationSeconds: 59 },
      reason: 'InvalidDuration',
      says: 'at least 60',
    },
  ])('$name', async ({ change, reason, says }) => {
    const error = await captureRejection(
      issueClientCertificate(
        hierarchy.intermediate,
        request(change as Partial<ClientCertificateRequest>),
        clock,
      ),
    );
    expect(error.reason).toBe(reason);
    expect(error.message).toContain(says);
  });
});

describe('with a CA made by openssl (bring your own)', () => {
  it.each([
    { name: 'RSA CA without keyUsage (plain req -x509)', keyArgs: ['-newkey', 'rsa:2048'], extra: [] },
    {
      name: 'ECDSA P-384 CA with keyUsage',
      keyArgs: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      extra: ['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    },
    {
      name: 'ECDSA P-256 CA without subjectKeyIdentifier',
      keyArgs: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      extra: ['-addext', 'subjectKeyIdentifier=none', '-addext', 'authorityKeyIdentifier=none'],
    },
  ])('issues certificates openssl verifies: $name', async ({ name, keyArgs, extra }) => {
    const base = name.replace(/\W+/g, '-');
    const keyFile = `${scratch.path}/${base}.key`;
    const certFile = `${scratch.path}/${base}.crt`;
    runToolOk('openssl', [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '30',
      '-subj',
      '/C=US/O=Own PKI/CN=Own CA',
      ...extra,
    ]);
    const realClock = fixedClock(new Date());
    const ca = await loadCertificateAuthority(
      { certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') },
      realClock,
    );
    const certificate = await issueClientCertificate(ca, request({ durationSeconds: 60 * DAY }), realClock);
    expect(certificate.shortenedToCaExpiry).toBe(true);
    const leafFile = scratch.write(`${base}-leaf.crt`, certificate.certificatePem);
    const result = runTool('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', certFile, leafFile]);
    expect(result.stdout).toBe(`${leafFile}: OK\n`);
    // The authority key id is the CA's own SKI, or (without one) the SHA-1 of its public key.
    const caKeyId = Buffer.from(
      await new x509.X509Certificate(ca.certificate.rawData).publicKey.getKeyIdentifier(),
    );
    const leafText = runToolOk('openssl', [
      'x509',
      '-in',
      leafFile,
      '-noout',
      '-ext',
      'authorityKeyIdentifier',
    ]);
    expect(leafText.replace(/[^0-9A-F]/g, '').endsWith(caKeyId.toString('hex').toUpperCase())).toBe(true);
  });
});

describe('dates from 2050 on', () => {
  it('writes notAfter as GeneralizedTime and notBefore as UTCTime, which openssl verifies', async () => {
    const in2049 = fixedClock(new Date('2049-07-01T00:00:00Z'));
    const late = await createManagedCaHierarchy(
      {
        commonName: 'Late',
        rootDurationSeconds: 3650 * DAY,
        intermediateDurationSeconds: 1000 * DAY,
      },
      in2049,
    );
    const certificate = await issueClientCertificate(
      late.intermediate,
      request({ durationSeconds: 365 * DAY, organizations: ['Acme', 'Zürich Ops'] }),
      in2049,
    );
    const leafFile = scratch.write('late-leaf.crt', certificate.certificatePem);
    const parsed = runToolOk('openssl', ['asn1parse', '-in', leafFile]);
    expect(parsed).toContain('UTCTIME           :490701000000Z');
    expect(parsed).toContain('GENERALIZEDTIME   :20500701000000Z');
    expect(parsed).toContain('UTF8STRING        :Zürich Ops');
    const text = runToolOk('openssl', ['x509', '-in', leafFile, '-noout', '-text', '-nameopt', 'utf8']);
    expect(text).toContain('Not After : Jul  1 00:00:00 2050 GMT');
    expect(text).toContain('Subject: O=Acme, O=Zürich Ops, CN=ledger');
    expect(text).toContain('DNS:ledger.payments.svc, DNS:*.ledger.example.com');
    const root = scratch.write('late-root.crt', late.rootPem.certificatePem);
    const intermediate = scratch.write('late-intermediate.crt', late.intermediatePem.certificatePem);
    const at = String(Date.parse('2050-01-01T00:00:00Z') / 1000);
    expect(
      runToolOk('openssl', [
        'verify',
        '-attime',
        at,
        '-purpose',
        'sslclient',
        '-CAfile',
        root,
        '-untrusted',
        intermediate,
        leafFile,
      ]),
    ).toBe(`${leafFile}: OK\n`);
  });
});

async function captureRejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
