import { readDerChildren, readDerElement, readDerTime, type DerElement } from '../asn1/der.js';

/** The TBSCertificate fields that loading and signing under a CA read, as DER elements. */
export interface TbsCertificate {
  issuer: DerElement;
  notBefore: Date;
  notAfter: Date;
  subject: DerElement;
  subjectPublicKeyInfo: DerElement;
  /** Each Extension SEQUENCE { extnID, critical?, extnValue }. */
  extensions: DerElement[];
}

/**
 * Walks a certificate's DER: microseconds, where a schema-driven parse costs most of a
 * millisecond and an X.509 library hundreds of milliseconds to load. Throws RangeError on a
 * truncated or misshapen certificate.
 */
export function readTbsCertificate(certificateDer: Buffer): TbsCertificate {
  const [tbs] = readDerChildren(readDerElement(certificateDer));
  if (tbs?.tag !== 0x30) throw new RangeError('certificate has no TBSCertificate');
  const fields = readDerChildren(tbs);
  // version [0] is absent in v1 certificates; serial, signature, issuer, validity, subject, SPKI follow.
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const [, , issuer, validity, subject, subjectPublicKeyInfo] = fields.slice(at);
  if (!issuer || !validity || !subject || !subjectPublicKeyInfo) {
    throw new RangeError('certificate TBSCertificate is truncated');
  }
  const [notBefore, notAfter] = readDerChildren(validity);
  if (!notBefore || !notAfter) throw new RangeError('certificate validity is truncated');
  const wrapped = fields.find((field) => field.tag === 0xa3);
  const [list] = wrapped ? readDerChildren(wrapped) : [];
  return {
    issuer,
    notBefore: readDerTime(notBefore),
    notAfter: readDerTime(notAfter),
    subject,
    subjectPublicKeyInfo,
    extensions: list ? readDerChildren(list) : [],
  };
}

/** The extnValue content (the DER inside the OCTET STRING) of the extension `oid`, if present. */
export function extensionValue(tbs: TbsCertificate, oid: Buffer): Buffer | undefined {
  for (const entry of tbs.extensions) {
    const [id, ...rest] = readDerChildren(entry);
    const value = rest[rest.length - 1];
    if (id?.raw.equals(oid) && value?.tag === 0x04) return value.content;
  }
  return undefined;
}
