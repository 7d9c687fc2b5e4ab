import { webcrypto } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import { readDerChildren, readDerElement } from '../asn1/der.js';
import { InvalidInputError } from '../errors.js';
import { encodePem, readPemBlocks } from './pem.js';
import {
  DEFAULT_PRIVATE_KEY,
  encodePrivateKeyPem,
  generateKeyMaterial,
  importSigningKey,
  readPrivateKeyPem,
  signatureAlgorithmFor,
  type PrivateKeySpec,
} from './private-key.js';
import { randomSerialNumber } from './serial-number.js';
import { planValidity } from './validity-window.js';
import * as x509 from './x509.js';

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  /** Signs with this CA; non-extractable. */
  privateKey: webcrypto.CryptoKey;
  /** Issuers of `certificate`, nearest first, up to and including the root; [] for a root. */
  chain: x509.X509Certificate[];
}

export interface CaPem {
  /** The CA certificate first; any further certificates are treated as part of its chain. */
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string;
}

export interface ManagedCaHierarchy {
  root: CertificateAuthority;
  intermediate: CertificateAuthority;
  rootPem: CaPem;
  /** chainPem is the root certificate. */
  intermediatePem: CaPem;
}

export interface IntermediateCaOptions {
  /** Base name: the intermediate is "<commonName> Intermediate CA". */
  commonName: string;
  organizations?: string[];
  intermediateDurationSeconds: number;
  privateKey?: PrivateKeySpec;
}

export interface ManagedCaOptions extends IntermediateCaOptions {
  /** The root is "<commonName> Root CA". */
  rootDurationSeconds: number;
}

/** Certificates in a PEM text, in order. `what` names the source in errors. */
export function parseCertificatesPem(pem: string, what: string): x509.X509Certificate[] {
  return readCertificatesDer(pem, what).map((der, index) => {
    try {
      return new x509.X509Certificate(der);
    } catch {
      throw notACertificate(what, index);
    }
  });
}

/**
 * The DER of each certificate in a PEM text, in order, for callers that only pass certificates
 * on (truststores, ca.crt). Only the X.509 outline is checked — certificate, TBSCertificate
 * fields, signature — which costs microseconds where a full parse costs most of a millisecond;
 * it still turns a wrong or damaged file into the same errors as parseCertificatesPem.
 */
export function readCertificatesDer(pem: string, what: string): Buffer[] {
  const blocks = readPemBlocks(pem);
  if (blocks.length === 0) {
    throw new InvalidInputError(
      'MalformedPem',
      `${what} contains no PEM certificate: provide it as "-----BEGIN CERTIFICATE-----" blocks`,
    );
  }
  return blocks.map(({ label, der }, index) => {
    if (label !== 'CERTIFICATE') {
      throw new InvalidInputError(
        'MalformedPem',
        `${what} contains a "${label}" PEM block: put only CERTIFICATE blocks there`,
      );
    }
    if (!hasCertificateOutline(der)) throw notACertificate(what, index);
    return der;
  });
}

function notACertificate(what: string, index: number): InvalidInputError {
  return new InvalidInputError(
    'MalformedPem',
    `${what} certificate #${index + 1} is not a valid DER X.509 certificate: re-export it with "openssl x509 -outform PEM"`,
  );
}

/** SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, algorithm, issuer, validity, subject, spki, ... }, algorithm, BIT STRING } */
function hasCertificateOutline(der: Buffer): boolean {
  try {
    const certificate = readDerElement(der);
    if (certificate.tag !== 0x30 || certificate.raw.length !== der.length) return false;
    const [tbs, algorithm, signature, ...extra] = readDerChildren(certificate);
    if (tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03 || extra.length > 0)
      return false;
    const fields = readDerChildren(tbs);
    const at = fields[0]?.tag === 0xa0 ? 1 : 0;
    const expected = [0x02, 0x30, 0x30, 0x30, 0x30, 0x30];
    return expected.every((tag, index) => fields[at + index]?.tag === tag);
  } catch {
    return false;
  }
}

/**
 * A CA we can sign with. The key must match the certificate, and the certificate and its chain
 * must be CA certificates valid at `clock.now()`.
 */
export async function loadCertificateAuthority(pem: CaPem, clock: Clock): Promise<CertificateAuthority> {
  const [certificate, ...bundledChain] = parseCertificatesPem(pem.certificatePem, 'CA certificate');
  if (!certificate) throw new Error('parseCertificatesPem returned no certificate');
  const givenChain = [
    ...bundledChain,
    ...(pem.chainPem === undefined || pem.chainPem.trim() === ''
      ? []
      : parseCertificatesPem(pem.chainPem, 'CA chain')),
  ];
  assertCertificateAuthority(certificate, 'CA certificate');
  const key = readPrivateKeyPem(pem.privateKeyPem, 'CA private key');
  if (!key.spkiDer.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new InvalidInputError(
      'KeyMismatch',
      `CA private key does not belong to CA certificate "${certificate.subject}": provide the key the certificate was issued for`,
    );
  }
  const chain = await orderChain(certificate, givenChain);
  for (const member of [certificate, ...chain]) assertValidAt(member, clock.now());
  return { certificate, privateKey: await importSigningKey(key), chain };
}

function assertCertificateAuthority(certificate: x509.X509Certificate, what: string): void {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new InvalidInputError(
      'NotACertificateAuthority',
      `${what} "${certificate.subject}" is not a CA (basicConstraints CA:TRUE is missing): use a CA certificate, not a leaf`,
    );
  }
  // RFC 5280 4.2.1.3: an absent keyUsage puts no restriction on the key, so only a present one
  // without keyCertSign disqualifies (plain `openssl req -x509` CAs carry no keyUsage).
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new InvalidInputError(
      'NotACertificateAuthority',
      `${what} "${certificate.subject}" has a keyUsage without keyCertSign, so it may not sign certificates: reissue it with keyUsage keyCertSign`,
    );
  }
}

function assertValidAt(certificate: x509.X509Certificate, now: Date): void {
  if (now < certificate.notBefore) {
    throw new InvalidInputError(
      'CaNotYetValid',
      `CA certificate "${certificate.subject}" is not valid before ${certificate.notBefore.toISOString()} (now ${now.toISOString()}): wait, or use a CA that is valid now`,
    );
  }
  if (now > certificate.notAfter) {
    throw new InvalidInputError(
      'CaExpired',
      `CA certificate "${certificate.subject}" expired at ${certificate.notAfter.toISOString()}: renew the CA and update its Secret`,
    );
  }
}

/** Walks issuer links from `certificate` through `given`, nearest issuer first. */
async function orderChain(
  certificate: x509.X509Certificate,
  given: x509.X509Certificate[],
): Promise<x509.X509Certificate[]> {
  const remaining = [...given];
  const chain: x509.X509Certificate[] = [];
  let current = certificate;
  while (remaining.length > 0 && !(await current.isSelfSigned(webcrypto))) {
    const index = await findIssuer(current, remaining);
    if (index < 0) break;
    const [issuer] = remaining.splice(index, 1);
    if (!issuer) break;
    assertCertificateAuthority(issuer, 'CA chain certificate');
    chain.push(issuer);
    current = issuer;
  }
  const [stray] = remaining;
  if (stray) {
    throw new InvalidInputError(
      'BrokenCaChain',
      `CA chain certificate "${stray.subject}" is not an issuer on the path from "${certificate.subject}": list only the CA's issuers, up to the root`,
    );
  }
  return chain;
}

async function findIssuer(
  certificate: x509.X509Certificate,
  candidates: x509.X509Certificate[],
): Promise<number> {
  for (const [index, candidate] of candidates.entries()) {
    if (
      candidate.subject === certificate.issuer &&
      (await certificate.verify({ publicKey: candidate, signatureOnly: true }, webcrypto))
    ) {
      return index;
    }
  }
  return -1;
}

function caName(commonName: string, suffix: string, organizations: string[] = []): x509.JsonName {
  const fullName = `${commonName.trim()} ${suffix}`;
  if (commonName.trim() === '' || fullName.length > 64) {
    throw new InvalidInputError(
      'InvalidCommonName',
      `CA common name "${fullName}" must be 1 to 64 characters: shorten commonName`,
      'commonName',
    );
  }
  return [...organizations.map((organization) => ({ O: [organization] })), { CN: [fullName] }];
}

const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/**
 * A self-signed root (pathLen 1) and an intermediate issuing CA (pathLen 0) under it, both
 * with the same key type. The root key is only used here and for later intermediate rotation.
 */
export async function createManagedCaHierarchy(
  opts: ManagedCaOptions,
  clock: Clock,
): Promise<ManagedCaHierarchy> {
  const spec = opts.privateKey ?? DEFAULT_PRIVATE_KEY;
  const subject = caName(opts.commonName, 'Root CA', opts.organizations);
  const window = planValidity(clock.now(), opts.rootDurationSeconds, []);
  const key = await generateKeyMaterial(spec);
  const signingKey = await importSigningKey(key);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject,
      issuer: subject,
      notBefore: window.notBefore,
      notAfter: window.notAfter,
      publicKey: key.spkiDer,
      signingKey,
      signingAlgorithm: signatureAlgorithmFor(signingKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await x509.SubjectKeyIdentifierExtension.create(key.spkiDer, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const root: CertificateAuthority = { certificate, privateKey: signingKey, chain: [] };
  const rootPem: CaPem = {
    certificatePem: encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)),
    privateKeyPem: encodePrivateKeyPem(key, spec.encoding),
  };
  const intermediate = await issueIntermediateCa(root, opts, clock);
  return { root, intermediate: intermediate.ca, rootPem, intermediatePem: intermediate.pem };
}

/** A new issuing CA under `root` (pathLen 0), e.g. to rotate the intermediate. */
export async function issueIntermediateCa(
  root: CertificateAuthority,
  opts: IntermediateCaOptions,
  clock: Clock,
): Promise<{ ca: CertificateAuthority; pem: CaPem; shortenedToCaExpiry: boolean }> {
  const spec = opts.privateKey ?? DEFAULT_PRIVATE_KEY;
  const subject = caName(opts.commonName, 'Intermediate CA', opts.organizations);
  const issuers = [root.certificate, ...root.chain];
  const window = planValidity(clock.now(), opts.intermediateDurationSeconds, issuers);
  const key = await generateKeyMaterial(spec);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject,
      issuer: root.certificate.subjectName,
      notBefore: window.notBefore,
      notAfter: window.notAfter,
      publicKey: key.spkiDer,
      signingKey: root.privateKey,
      signingAlgorithm: signatureAlgorithmFor(root.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await x509.SubjectKeyIdentifierExtension.create(key.spkiDer, false, webcrypto),
        await authorityKeyIdentifierFor(root.certificate),
      ],
    },
    webcrypto,
  );
  return {
    ca: { certificate, privateKey: await importSigningKey(key), chain: issuers },
    pem: {
      certificatePem: encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)),
      privateKeyPem: encodePrivateKeyPem(key, spec.encoding),
      chainPem: issuers.map((issuer) => encodePem('CERTIFICATE', new Uint8Array(issuer.rawData))).join(''),
    },
    shortenedToCaExpiry: window.shortenedToCaExpiry,
  };
}

/**
 * The issuer's own subject key identifier when it has one (chain builders match on it), else
 * the RFC 5280 method-1 hash of its public key.
 */
export async function authorityKeyIdentifierFor(
  issuer: x509.X509Certificate,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webcrypto);
}
