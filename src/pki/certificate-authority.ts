import { webcrypto } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import { InvalidInputError } from '../errors.js';
import { notACertificate, readCertificatesDer } from './certificate-pem.js';
import { checkCertificateAuthority, type CaPem, type IssuerCertificate } from './issuing-ca.js';
import { encodePem } from './pem.js';
import {
  DEFAULT_PRIVATE_KEY,
  encodePrivateKeyPem,
  generateKeyMaterial,
  importSigningKey,
  signatureAlgorithmFor,
  type PrivateKeySpec,
} from './private-key.js';
import { randomSerialNumber } from './serial-number.js';
import { planValidity } from './validity-window.js';
import * as x509 from './x509.js';

export type { CaPem } from './issuing-ca.js';

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  /** Signs with this CA; non-extractable. */
  privateKey: webcrypto.CryptoKey;
  /** Issuers of `certificate`, nearest first, up to and including the root; [] for a root. */
  chain: x509.X509Certificate[];
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
 * A CA we can sign with, as @peculiar/x509 certificates (the operator creates and rotates CAs
 * with them). The checks are checkCertificateAuthority's.
 */
export async function loadCertificateAuthority(pem: CaPem, clock: Clock): Promise<CertificateAuthority> {
  const { certificate, chain, key } = checkCertificateAuthority(pem, clock);
  const asX509 = (checked: IssuerCertificate) => new x509.X509Certificate(checked.rawData);
  return {
    certificate: asX509(certificate),
    privateKey: await importSigningKey(key),
    chain: chain.map(asX509),
  };
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
  const { ca: root, pem: rootPem } = await createRootCa(
    { ...opts, pathLength: 1, durationSeconds: opts.rootDurationSeconds },
    clock,
  );
  const intermediate = await issueIntermediateCa(root, opts, clock);
  return { root, intermediate: intermediate.ca, rootPem, intermediatePem: intermediate.pem };
}

export interface RootCaOptions {
  /** Base name: the root is "<commonName> Root CA". */
  commonName: string;
  organizations?: string[];
  durationSeconds: number;
  /** How many CAs may sit below it: 1 for the client CA's root, 0 for a CA that signs leaves. */
  pathLength: number;
  privateKey?: PrivateKeySpec;
}

/** A self-signed root CA, e.g. the managed gateway serving CA that signs leaves directly. */
export async function createRootCa(
  opts: RootCaOptions,
  clock: Clock,
): Promise<{ ca: CertificateAuthority; pem: CaPem }> {
  const spec = opts.privateKey ?? DEFAULT_PRIVATE_KEY;
  const subject = caName(opts.commonName, 'Root CA', opts.organizations);
  const window = planValidity(clock.now(), opts.durationSeconds, []);
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
        new x509.BasicConstraintsExtension(true, opts.pathLength, true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await x509.SubjectKeyIdentifierExtension.create(key.spkiDer, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    ca: { certificate, privateKey: signingKey, chain: [] },
    pem: {
      certificatePem: encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)),
      privateKeyPem: encodePrivateKeyPem(key, spec.encoding),
    },
  };
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
