// A small DER writer and reader for the structures we build on hot paths (client certificates,
// PKCS#12 containers). Schema-driven encoders (asn1-schema) build an object tree and re-parse
// ANY fields; these functions only concatenate bytes, which is what makes whole-bundle
// generation a few milliseconds.

export type DerPart = Uint8Array | ArrayBuffer;

const bytesOf = (part: DerPart): Uint8Array => (part instanceof Uint8Array ? part : new Uint8Array(part));

/** One TLV with a single-byte tag (every tag we write is below 31). */
export function derTlv(tag: number, ...parts: DerPart[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const lengthBytes: number[] = [];
  if (length < 0x80) lengthBytes.push(length);
  else {
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest & 0xff);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = Buffer.allocUnsafe(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let at = 1 + lengthBytes.length;
  for (const part of parts) {
    out.set(bytesOf(part), at);
    at += part.byteLength;
  }
  return out;
}

export const derSequence = (...parts: DerPart[]): Buffer => derTlv(0x30, ...parts);

/** DER orders SET OF members by their encodings. */
export const derSetOf = (...parts: DerPart[]): Buffer =>
  derTlv(0x31, ...parts.map(bytesOf).sort((left, right) => Buffer.compare(left, right)));

/** `[n] EXPLICIT`: a constructed context-specific wrapper. */
export const derExplicit = (tagNumber: number, ...parts: DerPart[]): Buffer =>
  derTlv(0xa0 | tagNumber, ...parts);

/** `[n] IMPLICIT` over a primitive value (e.g. GeneralName dNSName, keyIdentifier). */
export const derImplicitPrimitive = (tagNumber: number, content: DerPart): Buffer =>
  derTlv(0x80 | tagNumber, content);

export const derOctetString = (content: DerPart): Buffer => derTlv(0x04, content);

export const derBitString = (content: DerPart, unusedBits = 0): Buffer =>
  derTlv(0x03, Uint8Array.of(unusedBits), content);

export const DER_NULL: Buffer = Buffer.from([0x05, 0x00]);

export const derBoolean = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);

export const derUtf8String = (value: string): Buffer => derTlv(0x0c, Buffer.from(value, 'utf8'));

/** IA5String: callers pass ASCII (URIs and DNS names are validated before they get here). */
export const derIa5String = (value: string): Buffer => derTlv(0x16, Buffer.from(value, 'ascii'));

export const derBmpString = (value: string): Buffer => derTlv(0x1e, Buffer.from(value, 'utf16le').swap16());

export function derObjectIdentifier(oid: string): Buffer {
  const arcs = /^[0-2](\.(0|[1-9]\d*))+$/.test(oid) ? oid.split('.').map(Number) : [];
  const [first = NaN, second = NaN, ...rest] = arcs;
  if (arcs.length < 2 || !arcs.every(Number.isSafeInteger) || (first < 2 && second > 39)) {
    throw new RangeError(`not an object identifier: "${oid}"`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128 = [arc % 128];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift(0x80 | (rest % 128));
    }
    bytes.push(...base128);
  }
  return derTlv(0x06, Uint8Array.from(bytes));
}

/** A table of dotted OIDs encoded once, for modules that write the same OIDs on every call. */
export function derObjectIdentifiers<Name extends string>(
  oids: Readonly<Record<Name, string>>,
): Readonly<Record<Name, Buffer>> {
  return Object.fromEntries(
    Object.entries<string>(oids).map(([name, oid]) => [name, derObjectIdentifier(oid)]),
  ) as Record<Name, Buffer>;
}

/** A non-negative INTEGER from its big-endian magnitude (e.g. a serial number). */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const minimal = magnitude.subarray(start);
  if (minimal.length === 0) return Buffer.from([0x02, 0x01, 0x00]);
  return (minimal[0] ?? 0) & 0x80 ? derTlv(0x02, Uint8Array.of(0), minimal) : derTlv(0x02, minimal);
}

export function derInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`unsupported INTEGER ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return derUnsignedInteger(Uint8Array.from(bytes));
}

/**
 * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950), both in
 * UTC with whole seconds.
 */
export function derTime(at: Date): Buffer {
  const year = at.getUTCFullYear();
  const two = (value: number): string => String(value).padStart(2, '0');
  const rest =
    two(at.getUTCMonth() + 1) +
    two(at.getUTCDate()) +
    two(at.getUTCHours()) +
    two(at.getUTCMinutes()) +
    two(at.getUTCSeconds()) +
    'Z';
  return year >= 1950 && year < 2050
    ? derTlv(0x17, Buffer.from(two(year % 100) + rest, 'ascii'))
    : derTlv(0x18, Buffer.from(String(year).padStart(4, '0') + rest, 'ascii'));
}

/** Reads a UTCTime (years 1950-2049) or GeneralizedTime in the RFC 5280 form: UTC, whole seconds. */
export function readDerTime(element: DerElement): Date {
  const text = element.content.toString('ascii');
  const match =
    element.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : element.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!match) throw new RangeError(`not an RFC 5280 time: tag ${element.tag}, "${text}"`);
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  const fullYear = element.tag === 0x18 ? year : year < 50 ? 2000 + year : 1900 + year;
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
}

/** One decoded TLV: `raw` is the whole element, `content` its value bytes (both views, no copy). */
export interface DerElement {
  tag: number;
  raw: Buffer;
  content: Buffer;
}

/**
 * Reads the element at `offset` (single-byte tags, definite lengths: DER). Throws RangeError on
 * truncated or indefinite-length input; callers that read untrusted bytes turn that into their
 * own error.
 */
export function readDerElement(bytes: Buffer, offset = 0): DerElement {
  const tag = bytes[offset];
  let lengthByte = bytes[offset + 1];
  if (tag === undefined || lengthByte === undefined || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`no DER element at offset ${offset}`);
  }
  let at = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new RangeError(`unsupported DER length at offset ${offset}`);
    length = 0;
    for (let index = 0; index < count; index++) {
      lengthByte = bytes[at++];
      if (lengthByte === undefined) throw new RangeError(`truncated DER length at offset ${offset}`);
      length = length * 256 + lengthByte;
    }
  }
  if (at + length > bytes.length) throw new RangeError(`truncated DER element at offset ${offset}`);
  return { tag, raw: bytes.subarray(offset, at + length), content: bytes.subarray(at, at + length) };
}

/** The elements inside a constructed element, in order. */
export function readDerChildren(parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < parent.content.length;) {
    const child = readDerElement(parent.content, offset);
    children.push(child);
    offset += child.raw.length;
  }
  return children;
}
