import { readDerChildren, readDerElement } from '../asn1/der.js';
import { InvalidInputError } from '../errors.js';
import { readPemBlocks } from './pem.js';

/**
 * The DER of each certificate in a PEM text, in order, for callers that only pass certificates
 * on (truststores, ca.crt) or read them with node:crypto. Only the X.509 outline is checked —
 * certificate, TBSCertificate fields, signature — which costs microseconds where a full parse
 * costs most of a millisecond; it still turns a wrong or damaged file into the same errors as
 * parseCertificatesPem.
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

export function notACertificate(what: string, index: number): InvalidInputError {
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
