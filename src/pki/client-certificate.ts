import type { Clock } from '../time/clock.js';
import { derUnsignedInteger, readDerElement } from '../asn1/der.js';
import { InvalidInputError } from '../errors.js';
import { certificateIssuer, signClientCertificate } from './client-certificate-der.js';
import { sha256Hex } from './fingerprint.js';
import type { IssuerCertificate, IssuingCa } from './issuing-ca.js';
import { encodePem } from './pem.js';
import {
  encodePrivateKeyPem,
  generateKeyMaterial,
  readPrivateKeyPem,
  validatePrivateKeySpec,
  type KeyMaterial,
  type PrivateKeySpec,
} from './private-key.js';
import { randomSerialNumber } from './serial-number.js';
import { planValidity } from './validity-window.js';

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
  certificatePem: string;
  certificateDer: Buffer;
  /** In the requested encoding. */
  privateKeyPem: string;
  /** Always PKCS#8 DER, for keystores. */
  privateKeyPkcs8Der: Buffer;
  /** Issuing CA first, up to the root. */
  chain: IssuerCertificate[];
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
  ca: IssuingCa,
  req: ClientCertificateRequest,
  clock: Clock,
): Promise<IssuedClientCertificate> {
  validatePrivateKeySpec(req.privateKey);
  const organizations = req.organizations ?? [];
  validateSubjectName(req.commonName, organizations);
  validateSpiffeId(req.spiffeId);
  const dnsNames = req.dnsNames ?? [];
  validateDnsNames(dnsNames);
  const chain = [ca.certificate, ...ca.chain];
  const window = planValidity(clock.now(), req.durationSeconds, chain);
  const key =
    req.reusePrivateKeyPem === undefined
      ? await generateKeyMaterial(req.privateKey)
      : reusedKey(req.reusePrivateKeyPem, req.privateKey);

  const serialNumber = Buffer.from(randomSerialNumber(), 'hex');
  const certificateDer = signClientCertificate(certificateIssuer(ca), {
    serialNumber,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    commonName: req.commonName,
    organizations,
    spkiDer: key.spkiDer,
    keyEncipherment: key.algorithm === 'RSA',
    uris: req.spiffeId === undefined ? [] : [req.spiffeId],
    dnsNames,
  });
  return {
    certificatePem: encodePem('CERTIFICATE', certificateDer),
    certificateDer,
    privateKeyPem: encodePrivateKeyPem(key, req.privateKey.encoding),
    privateKeyPkcs8Der: key.pkcs8Der,
    chain,
    // As `openssl x509 -serial` prints it: the INTEGER's content octets.
    serialNumber: readDerElement(derUnsignedInteger(serialNumber)).content.toString('hex'),
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

function validateSubjectName(commonName: string, organizations: readonly string[]): void {
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
}

// SPIFFE ID (spiffe.io standard, section 2): lower-case trust domain, optional path of
// non-empty segments, no query, fragment, trailing slash, or dot segments.
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function validateSpiffeId(spiffeId: string | undefined): void {
  if (spiffeId === undefined) return;
  if (!SPIFFE_ID.test(spiffeId) || spiffeId.split('/').some((part) => part === '.' || part === '..')) {
    throw new InvalidInputError(
      'InvalidSpiffeId',
      `spiffeId "${spiffeId}" is not a SPIFFE ID: use spiffe://<trust-domain>/<path> with a lower-case trust domain and segments of letters, digits, ".", "-", "_"`,
      'spiffeId',
    );
  }
}

function validateDnsNames(dnsNames: readonly string[]): void {
  for (const dnsName of dnsNames) {
    const labels = (dnsName.startsWith('*.') ? dnsName.slice(2) : dnsName).split('.');
    if (dnsName.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
      throw new InvalidInputError(
        'InvalidDnsName',
        `dnsNames entry "${dnsName}" is not a lower-case DNS name: use labels of a-z, 0-9 and "-" separated by dots, optionally starting with "*."`,
        'dnsNames',
      );
    }
  }
}
