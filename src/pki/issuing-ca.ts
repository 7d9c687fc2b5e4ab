import { createPrivateKey, X509Certificate, type KeyObject, type webcrypto } from 'node:crypto';
import { derObjectIdentifiers, readDerChildren, readDerElement } from '../asn1/der.js';
import { InvalidInputError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { notACertificate, readCertificatesDer } from './certificate-pem.js';
import { readPrivateKeyPem, type KeyMaterial } from './private-key.js';
import { extensionValue, readTbsCertificate } from './tbs-certificate.js';

// Loading a CA to sign client certificates needs only node:crypto and a DER walk. The operator
// wraps the result in @peculiar/x509 objects (certificate-authority.ts) because it also creates
// and rotates CAs; `scbctl generate` does not load that library (hundreds of milliseconds).

export interface CaPem {
  /** The CA certificate first; any further certificates are treated as part of its chain. */
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string;
}

/** What issuing under a CA reads from each certificate of its chain (an @peculiar/x509 certificate is one). */
export interface IssuerCertificate {
  /** The DER certificate. */
  readonly rawData: ArrayBuffer;
  readonly subject: string;
  readonly issuer: string;
  readonly notAfter: Date;
}

/** A CA that can sign client certificates. */
export interface IssuingCa {
  certificate: IssuerCertificate;
  privateKey: KeyObject | webcrypto.CryptoKey;
  /** Issuers of `certificate`, nearest first, up to and including the root; [] for a root. */
  chain: readonly IssuerCertificate[];
}

export interface CheckedCa {
  certificate: IssuerCertificate;
  chain: IssuerCertificate[];
  key: KeyMaterial;
}

const OID = derObjectIdentifiers({ basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15' });

interface ReadCertificate extends IssuerCertificate {
  notBefore: Date;
  node: X509Certificate;
  spkiDer: Buffer;
  isCa: boolean;
  /** undefined when the certificate has no keyUsage extension. */
  keyCertSign: boolean | undefined;
}

/**
 * Checks a CA we are to sign with: the key must match the certificate, and the certificate and
 * its chain must be CA certificates valid at `clock.now()`, the chain a path of signatures.
 */
export function checkCertificateAuthority(pem: CaPem, clock: Clock): CheckedCa {
  const [certificate, ...bundledChain] = readCertificates(pem.certificatePem, 'CA certificate');
  if (!certificate) throw new Error('readCertificatesDer returned no certificate');
  const givenChain = [
    ...bundledChain,
    ...(pem.chainPem === undefined || pem.chainPem.trim() === ''
      ? []
      : readCertificates(pem.chainPem, 'CA chain')),
  ];
  assertCertificateAuthority(certificate, 'CA certificate');
  const key = readPrivateKeyPem(pem.privateKeyPem, 'CA private key');
  if (!key.spkiDer.equals(certificate.spkiDer)) {
    throw new InvalidInputError(
      'KeyMismatch',
      `CA private key does not belong to CA certificate "${certificate.subject}": provide the key the certificate was issued for`,
    );
  }
  const chain = orderChain(certificate, givenChain);
  for (const member of [certificate, ...chain]) assertValidAt(member, clock.now());
  return { certificate, chain, key };
}

/** A checked CA with a node:crypto signing key. */
export function loadIssuingCa(pem: CaPem, clock: Clock): IssuingCa {
  const { certificate, chain, key } = checkCertificateAuthority(pem, clock);
  return {
    certificate,
    chain,
    privateKey: createPrivateKey({ key: key.pkcs8Der, format: 'der', type: 'pkcs8' }),
  };
}

function readCertificates(pem: string, what: string): ReadCertificate[] {
  return readCertificatesDer(pem, what).map((der, index) => {
    try {
      const node = new X509Certificate(der);
      const tbs = readTbsCertificate(der);
      const constraints = extensionValue(tbs, OID.basicConstraints);
      const usage = extensionValue(tbs, OID.keyUsage);
      return {
        rawData: der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer,
        // OpenSSL prints one attribute a line; @peculiar/x509 and our messages join them with ", ".
        subject: node.subject.split('\n').join(', '),
        issuer: node.issuer.split('\n').join(', '),
        notBefore: tbs.notBefore,
        notAfter: tbs.notAfter,
        node,
        spkiDer: tbs.subjectPublicKeyInfo.raw,
        isCa: constraints !== undefined && basicConstraintsCa(constraints),
        keyCertSign: usage === undefined ? undefined : keyUsageKeyCertSign(usage),
      };
    } catch {
      throw notACertificate(what, index);
    }
  });
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
function basicConstraintsCa(value: Buffer): boolean {
  const [first] = readDerChildren(readDerElement(value));
  return first?.tag === 0x01 && first.content[0] !== 0;
}

/** KeyUsage ::= BIT STRING; keyCertSign is bit 5, 0x04 in the first byte after the unused-bits count. */
function keyUsageKeyCertSign(value: Buffer): boolean {
  const bits = readDerElement(value);
  return bits.tag === 0x03 && ((bits.content[1] ?? 0) & 0x04) !== 0;
}

function assertCertificateAuthority(certificate: ReadCertificate, what: string): void {
  if (!certificate.isCa) {
    throw new InvalidInputError(
      'NotACertificateAuthority',
      `${what} "${certificate.subject}" is not a CA (basicConstraints CA:TRUE is missing): use a CA certificate, not a leaf`,
    );
  }
  // RFC 5280 4.2.1.3: an absent keyUsage puts no restriction on the key, so only a present one
  // without keyCertSign disqualifies (plain `openssl req -x509` CAs carry no keyUsage).
  if (certificate.keyCertSign === false) {
    throw new InvalidInputError(
      'NotACertificateAuthority',
      `${what} "${certificate.subject}" has a keyUsage without keyCertSign, so it may not sign certificates: reissue it with keyUsage keyCertSign`,
    );
  }
}

function assertValidAt(certificate: ReadCertificate, now: Date): void {
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
function orderChain(certificate: ReadCertificate, given: ReadCertificate[]): ReadCertificate[] {
  const remaining = [...given];
  const chain: ReadCertificate[] = [];
  let current = certificate;
  while (remaining.length > 0 && !isSelfSigned(current)) {
    const index = remaining.findIndex(
      (candidate) => candidate.subject === current.issuer && current.node.verify(candidate.node.publicKey),
    );
    const [issuer] = index < 0 ? [] : remaining.splice(index, 1);
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

function isSelfSigned(certificate: ReadCertificate): boolean {
  return certificate.subject === certificate.issuer && certificate.node.verify(certificate.node.publicKey);
}
