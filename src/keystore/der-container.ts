// Constructed DER containers over already-encoded parts. asn1-schema's ANY fields re-parse
// their bytes with asn1js, which also descends into every OCTET STRING: wrapping certificates in
// bag, SafeContents, ContentInfo and PFX that way parsed each certificate four times and took
// about 70% of a PKCS#12 build. Containers here only concatenate; leaf values still come from
// asn1-schema encoders.
import { AsnConvert, AsnIntegerConverter, AsnObjectIdentifierConverter } from '@peculiar/asn1-schema';

export type DerPart = Uint8Array | ArrayBuffer;

const bytesOf = (part: DerPart): Uint8Array => (part instanceof Uint8Array ? part : new Uint8Array(part));

function tlv(tag: number, parts: DerPart[]): Buffer {
  const content = Buffer.concat(parts.map(bytesOf));
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const lengthBytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | lengthBytes.length, ...lengthBytes]), content]);
}

export const derSequence = (...parts: DerPart[]): Buffer => tlv(0x30, parts);

/** DER orders SET OF members by their encodings. */
export const derSetOf = (...parts: DerPart[]): Buffer =>
  tlv(
    0x31,
    parts.map(bytesOf).sort((left, right) => Buffer.compare(left, right)),
  );

/** `[0] EXPLICIT`, the wrapper of ContentInfo content and bag values. */
export const derExplicit0 = (...parts: DerPart[]): Buffer => tlv(0xa0, parts);

export const derOctetString = (content: DerPart): Buffer => tlv(0x04, [content]);

export const derObjectIdentifier = (oid: string): ArrayBuffer =>
  AsnConvert.serialize(AsnObjectIdentifierConverter.toASN(oid));

export const derInteger = (value: number): ArrayBuffer =>
  AsnConvert.serialize(AsnIntegerConverter.toASN(value));
