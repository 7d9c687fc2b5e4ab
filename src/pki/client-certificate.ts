import { webcrypto } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import { InvalidInputError } from '../errors.js';
import { authorityKeyIdentifierFor, type CertificateAuthority } from './certificate-authority.js';
import { sha256Hex } from './fingerprint.js';
import { encodePem } from './pem.js';
import {
  encodePrivateKeyPem,
  generateKeyMaterial,
  readPrivateKeyPem,
  signatureAlgorithmFor,
  validatePrivateKeySpec,
  type KeyMaterial,
  type PrivateKeySpec,
} from './private-key.js';
import { randomSerialNumber } from './serial-number.js';
import { planValidity } from './validity-window.js';
import * as x509 from './x509.js';

export { MINIMUM_CERTIFICATE_SECONDS } from './validity-window.js';

export interface ClientCertificateRequest {
  commonName: string;
  organizations?: string[];
  /** URI SAN that Cassandra 5's MutualTlsAuthenticator maps to a role. */
  spiffeId?: string;
  dnsNames?: string[];
  privateKey: PrivateKeySpec;
  durationSeconds: number;
  /** Keep this key instead of generating one (rotationPolicy Never); it must match `privateKey`. */
  reusePrivateKeyPem?: string;
}

export interface IssuedClientCertificate {
  certificate: x509.X509Certificate;
  certificatePem: string;
  certificateDer: Buffer;
  /** In the requested encoding. */
  privateKeyPem: string;
  /** Always PKCS#8 DER, for keystores. */
  privateKeyPkcs8Der: Buffer;
  /** Issuing CA first, up to the root. */
  chain: x509.X509Certificate[];
  /** Lower-case hex, no colons. */
  serialNumber: string;
  /** Lower-case hex, no colons, of the DER certificate. */
  sha256Fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** notAfter was cut to the earliest notAfter in the CA chain. */
  shortenedToCaExpiry: boolean;
}

/**
 * Signs a client certificate for mutual TLS. The validity policy (notBefore = now in whole
 * seconds, never outliving the CA chain, refusing less than an hour) is planValidity's.
 */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  req: ClientCertificateRequest,
  clock: Clock,
): Promise<IssuedClientCertificate> {
  validatePrivateKeySpec(req.privateKey);
  const subject = subjectName(req.commonName, req.organizations ?? []);
  const alternativeNames = subjectAlternativeNames(req.spiffeId, req.dnsNames ?? []);
  const chain = [ca.certificate, ...ca.chain];
  const window = planValidity(clock.now(), req.durationSeconds, chain);
  const key =
    req.reusePrivateKeyPem === undefined
      ? await generateKeyMaterial(req.privateKey)
      : reusedKey(req.reusePrivateKeyPem, req.privateKey);

  const usages =
    key.algorithm === 'RSA'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(key.spkiDer, false, webcrypto),
    await authorityKeyIdentifierFor(ca.certificate),
  ];
  if (alternativeNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(alternativeNames));
  }
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject,
      issuer: ca.certificate.subjectName,
      notBefore: window.notBefore,
      notAfter: window.notAfter,
      publicKey: key.spkiDer,
      signingKey: ca.privateKey,
      signingAlgorithm: signatureAlgorithmFor(ca.privateKey),
      extensions,
    },
    webcrypto,
  );
  const certificateDer = Buffer.from(certificate.rawData);
  return {
    certificate,
    certificatePem: encodePem('CERTIFICATE', certificateDer),
    certificateDer,
    privateKeyPem: encodePrivateKeyPem(key, req.privateKey.encoding),
    privateKeyPkcs8Der: key.pkcs8Der,
    chain,
    serialNumber: certificate.serialNumber.toLowerCase(),
    sha256Fingerprint: sha256Hex(certificateDer),
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    shortenedToCaExpiry: window.shortenedToCaExpiry,
  };
}

function reusedKey(pem: string, spec: PrivateKeySpec): KeyMaterial {
  const key = readPrivateKeyPem(pem, 'reused private key');
  if (key.algorithm !== spec.algorithm || key.size !== spec.size) {
    throw new InvalidInputError(
      'PrivateKeySpecMismatch',
      `the kept private key is ${key.algorithm} ${key.size} but privateKey asks for ${spec.algorithm} ${spec.size}: ` +
        'restore the previous privateKey settings, or set rotationPolicy Always to generate a new key',
      'privateKey',
    );
  }
  return key;
}

/** ub-common-name and ub-organization-name in RFC 5280. */
const MAX_NAME_LENGTH = 64;

function subjectName(commonName: string, organizations: string[]): x509.JsonName {
  if (commonName.trim() === '' || commonName.length > MAX_NAME_LENGTH) {
    throw new InvalidInputError(
      'InvalidCommonName',
      `commonName "${commonName}" must be 1 to ${MAX_NAME_LENGTH} characters`,
      'commonName',
    );
  }
  for (const organization of organizations) {
    if (organization.trim() === '' || organization.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(
        'InvalidOrganization',
        `organization "${organization}" must be 1 to ${MAX_NAME_LENGTH} characters`,
        'organizations',
      );
    }
  }
  // Most significant first, as `openssl x509 -subject` prints it: O = ..., CN = ...
  return [...organizations.map((organization) => ({ O: [organization] })), { CN: [commonName] }];
}

// SPIFFE ID (spiffe.io standard, section 2): lower-case trust domain, optional path of
// non-empty segments, no query, fragment, trailing slash, or dot segments.
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function subjectAlternativeNames(spiffeId: string | undefined, dnsNames: string[]): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [];
  if (spiffeId !== undefined) {
    if (!SPIFFE_ID.test(spiffeId) || spiffeId.split('/').some((part) => part === '.' || part === '..')) {
      throw new InvalidInputError(
        'InvalidSpiffeId',
        `spiffeId "${spiffeId}" is not a SPIFFE ID: use spiffe://<trust-domain>/<path> with a lower-case trust domain and segments of letters, digits, ".", "-", "_"`,
        'spiffeId',
      );
    }
    names.push({ type: 'url', value: spiffeId });
  }
  for (const dnsName of dnsNames) {
    const labels = (dnsName.startsWith('*.') ? dnsName.slice(2) : dnsName).split('.');
    if (dnsName.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
      throw new InvalidInputError(
        'InvalidDnsName',
        `dnsNames entry "${dnsName}" is not a lower-case DNS name: use labels of a-z, 0-9 and "-" separated by dots, optionally starting with "*."`,
        'dnsNames',
      );
    }
    names.push({ type: 'dns', value: dnsName });
  }
  return names;
}
