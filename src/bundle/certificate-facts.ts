import { X509Certificate, type KeyObject } from 'node:crypto';
import { readPemBlocks } from '../pki/pem.js';

/**
 * Read-only views of the certificates inside a bundle, through node:crypto's X509Certificate:
 * synchronous and independent of the library that issued them.
 */
export function pemCertificates(text: string): X509Certificate[] {
  return readPemBlocks(text)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => new X509Certificate(block.der));
}

export interface SubjectAltNames {
  dns: string[];
  uri: string[];
  ip: string[];
  email: string[];
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  /** Lower-case hex, no colons, leading zeros as encoded. */
  serialNumber: string;
  /** Lower-case hex SHA-256 of the DER certificate, no colons. */
  sha256Fingerprint: string;
  notBefore: string;
  notAfter: string;
  key: KeyType;
  subjectAltNames: SubjectAltNames;
}

export interface KeyType {
  algorithm: 'ECDSA' | 'RSA' | 'Ed25519' | 'other';
  /** Curve bits for ECDSA, modulus bits for RSA. */
  size?: number;
}

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  return {
    subject: oneLineName(cert.subject),
    issuer: oneLineName(cert.issuer),
    serialNumber: cert.serialNumber.toLowerCase(),
    sha256Fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    notBefore: validityDate(cert.validFrom).toISOString(),
    notAfter: validityDate(cert.validTo).toISOString(),
    key: keyType(cert.publicKey),
    subjectAltNames: subjectAltNames(cert.subjectAltName),
  };
}

export function keyType(key: KeyObject): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return { algorithm: 'ECDSA', size: CURVE_BITS[details.namedCurve ?? ''] };
    case 'rsa':
      return { algorithm: 'RSA', size: details.modulusLength };
    case 'ed25519':
      return { algorithm: 'Ed25519' };
    default:
      return { algorithm: 'other' };
  }
}

/** node:crypto prints validity as "Jan  2 03:04:05 2030 GMT"; V8 parses that form. */
export function validityDate(text: string): Date {
  return new Date(text);
}

/** "CN=a\nO=b" (node's form) -> "CN=a, O=b". */
function oneLineName(name: string): string {
  return name.split('\n').join(', ');
}

/** Parses node's "DNS:a, URI:spiffe://x, IP Address:1.2.3.4" form. */
function subjectAltNames(text: string | undefined): SubjectAltNames {
  const names: SubjectAltNames = { dns: [], uri: [], ip: [], email: [] };
  if (!text) return names;
  for (const item of text.split(', ')) {
    const at = item.indexOf(':');
    const kind = item.slice(0, at);
    const value = item.slice(at + 1);
    if (kind === 'DNS') names.dns.push(value);
    else if (kind === 'URI') names.uri.push(value);
    else if (kind === 'IP Address') names.ip.push(value);
    else if (kind === 'email') names.email.push(value);
  }
  return names;
}
