import { createHash, KeyObject, sign } from 'node:crypto';
import {
  DER_NULL,
  derBitString,
  derBoolean,
  derExplicit,
  derImplicitPrimitive,
  derInteger,
  derObjectIdentifiers,
  derOctetString,
  derSequence,
  derSetOf,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  readDerChildren,
  readDerElement,
  type DerElement,
} from '../asn1/der.js';
import type { IssuingCa } from './issuing-ca.js';
import { extensionValue, readTbsCertificate, type TbsCertificate } from './tbs-certificate.js';

// Client certificates are assembled from DER parts and signed with node:crypto directly. Going
// through @peculiar/x509 (asn1-schema trees, async WebCrypto) cost about 7 ms per certificate,
// most of a bundle; this costs a small fraction of one. CA certificates, which are rare, still
// go through @peculiar/x509.

/** What signing under a CA needs, read from its certificate and key. */
export interface CertificateIssuer {
  /** The CA certificate's subject exactly as encoded there, so name chaining compares equal bytes. */
  subjectDer: Buffer;
  /** For the authorityKeyIdentifier of what it signs. */
  keyIdentifier: Buffer;
  signingKey: KeyObject;
  /** AlgorithmIdentifier DER, written into the certificate twice. */
  signatureAlgorithm: Buffer;
  hash: string;
}

export interface ClientCertificateFields {
  /** Big-endian magnitude; written as a positive, minimal INTEGER. */
  serialNumber: Buffer;
  notBefore: Date;
  notAfter: Date;
  commonName: string;
  organizations: readonly string[];
  spkiDer: Buffer;
  /** RSA keys also get keyEncipherment (TLS 1.2 RSA key exchange). */
  keyEncipherment: boolean;
  uris: readonly string[];
  dnsNames: readonly string[];
}

const OID = derObjectIdentifiers({
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
});

/** ECDSA hashes match the curve strength, as signatureAlgorithmFor does for CA certificates. */
const ECDSA_SIGNATURES: Readonly<Record<string, { oid: Buffer; hash: string }>> = {
  prime256v1: { oid: OID.ecdsaWithSha256, hash: 'sha256' },
  secp384r1: { oid: OID.ecdsaWithSha384, hash: 'sha384' },
  secp521r1: { oid: OID.ecdsaWithSha512, hash: 'sha512' },
};

/** Parsed per call: walking a CA certificate's DER takes microseconds. */
export function certificateIssuer(ca: IssuingCa): CertificateIssuer {
  const signingKey = ca.privateKey instanceof KeyObject ? ca.privateKey : KeyObject.from(ca.privateKey);
  const tbs = readTbsCertificate(Buffer.from(ca.certificate.rawData));
  return {
    subjectDer: tbs.subject.raw,
    keyIdentifier: keyIdentifierOf(tbs),
    signingKey,
    ...signatureOf(signingKey),
  };
}

export function signClientCertificate(issuer: CertificateIssuer, fields: ClientCertificateFields): Buffer {
  // DER named bits: digitalSignature is bit 0, keyEncipherment bit 2; trailing zeros are dropped.
  const keyUsage = fields.keyEncipherment
    ? derBitString(Buffer.from([0xa0]), 5)
    : derBitString(Buffer.from([0x80]), 7);
  const extensions = [
    extension(OID.basicConstraints, true, derSequence()),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, derSequence(OID.clientAuth)),
    extension(
      OID.subjectKeyIdentifier,
      false,
      derOctetString(subjectKeyIdentifier(readDerElement(fields.spkiDer))),
    ),
    extension(OID.authorityKeyIdentifier, false, derSequence(derImplicitPrimitive(0, issuer.keyIdentifier))),
  ];
  const alternativeNames = [
    ...fields.uris.map((uri) => derImplicitPrimitive(6, Buffer.from(uri, 'ascii'))),
    ...fields.dnsNames.map((name) => derImplicitPrimitive(2, Buffer.from(name, 'ascii'))),
  ];
  if (alternativeNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, derSequence(...alternativeNames)));
  }
  const tbsCertificate = derSequence(
    derExplicit(0, derInteger(2)),
    derUnsignedInteger(fields.serialNumber),
    issuer.signatureAlgorithm,
    issuer.subjectDer,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    // Most significant first, as `openssl x509 -subject` prints it: O = ..., CN = ...
    derSequence(
      ...fields.organizations.map((organization) => relativeName(OID.organizationName, organization)),
      relativeName(OID.commonName, fields.commonName),
    ),
    fields.spkiDer,
    derExplicit(3, derSequence(...extensions)),
  );
  const signature = sign(issuer.hash, tbsCertificate, issuer.signingKey);
  return derSequence(tbsCertificate, issuer.signatureAlgorithm, derBitString(signature));
}

function relativeName(oid: Buffer, value: string): Buffer {
  return derSetOf(derSequence(oid, derUtf8String(value)));
}

function extension(oid: Buffer, critical: boolean, value: Buffer): Buffer {
  return derSequence(oid, ...(critical ? [derBoolean(true)] : []), derOctetString(value));
}

function signatureOf(key: KeyObject): { signatureAlgorithm: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'rsa') {
    return {
      signatureAlgorithm: derSequence(OID.sha256WithRsaEncryption, DER_NULL),
      hash: 'sha256',
    };
  }
  const ecdsa = ECDSA_SIGNATURES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  // checkCertificateAuthority admits only these key types, so anything else is a bug upstream.
  if (key.asymmetricKeyType !== 'ec' || !ecdsa) {
    throw new Error(`cannot sign certificates with a ${key.asymmetricKeyType ?? 'unknown'} CA key`);
  }
  return { signatureAlgorithm: derSequence(ecdsa.oid), hash: ecdsa.hash };
}

/**
 * The CA's own subjectKeyIdentifier when it has one (chain builders match on it), else the
 * RFC 5280 method-1 hash of its public key.
 */
function keyIdentifierOf(tbs: TbsCertificate): Buffer {
  const own = extensionValue(tbs, OID.subjectKeyIdentifier);
  return own ? readDerElement(own).content : subjectKeyIdentifier(tbs.subjectPublicKeyInfo);
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what openssl writes by default). */
function subjectKeyIdentifier(subjectPublicKeyInfo: DerElement): Buffer {
  const [, bits] = readDerChildren(subjectPublicKeyInfo);
  if (!bits) throw new Error('SubjectPublicKeyInfo has no public key');
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}
