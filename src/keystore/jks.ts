import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';

export interface JksTrustedCertificate {
  alias: string;
  der: Buffer;
}

export interface JksTrustStoreInput {
  certificates: JksTrustedCertificate[];
  password: string;
  /** Entry creation date stored in the file; injected so builds are reproducible. */
  createdAt: Date;
}

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TRUSTED_CERTIFICATE_TAG = 2;
/** The JDK keys its JKS integrity digest with this constant after the password. */
const DIGEST_WHITENER = Buffer.from('Mighty Aphrodite', 'utf8');

/**
 * A Sun JKS keystore of trusted-certificate entries (what Java drivers open as the truststore).
 * Layout: magic, version, entry count, entries (tag, alias, date, "X.509", DER), then SHA-1 over
 * password-as-UTF-16BE + "Mighty Aphrodite" + everything before it.
 */
export function buildJksTrustStore(input: JksTrustStoreInput): Buffer {
  const chunks: Buffer[] = [uint32(MAGIC), uint32(VERSION), uint32(input.certificates.length)];
  const seen = new Set<string>();
  for (const { alias, der } of input.certificates) {
    // The JDK lower-cases aliases on lookup, so an entry stored in mixed case could not be found.
    const storedAlias = alias.toLowerCase();
    if (storedAlias === '' || seen.has(storedAlias)) {
      throw new InvalidInputError(
        'InvalidTrustStoreAlias',
        `truststore alias "${alias}" is empty or used twice (aliases are case-insensitive): give each certificate its own alias`,
      );
    }
    seen.add(storedAlias);
    chunks.push(
      uint32(TRUSTED_CERTIFICATE_TAG),
      javaUtf(storedAlias),
      uint64(input.createdAt.getTime()),
      javaUtf('X.509'),
      uint32(der.length),
      der,
    );
  }
  const body = Buffer.concat(chunks);
  const digest = createHash('sha1')
    .update(Buffer.from(input.password, 'utf16le').swap16())
    .update(DIGEST_WHITENER)
    .update(body)
    .digest();
  return Buffer.concat([body, digest]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function uint64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(value));
  return bytes;
}

/** DataOutputStream.writeUTF: 2-byte length, then modified UTF-8 of each UTF-16 code unit. */
function javaUtf(text: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x01 && unit <= 0x7f) {
      bytes.push(unit);
    } else if (unit <= 0x7ff) {
      bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    } else {
      bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
    }
  }
  if (bytes.length > 0xffff) {
    throw new InvalidInputError(
      'InvalidTrustStoreAlias',
      'truststore alias is longer than 65535 bytes: shorten it',
    );
  }
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), Buffer.from(bytes)]);
}
