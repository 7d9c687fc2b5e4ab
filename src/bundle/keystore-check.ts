import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PFX } from '@peculiar/asn1-pfx';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';

/**
 * Offline checks that a password opens a keystore, written independently of the keystore
 * writers so verification does not just re-run the code that produced the bytes.
 * PKCS#12: the MAC (RFC 7292 appendix B key derivation + HMAC) verifies with the password.
 * JKS: the trailing SHA-1 "Mighty Aphrodite" digest verifies with the password.
 */
export type KeystoreFormat = 'PKCS12' | 'JKS';

export interface KeystoreCheck {
  format?: KeystoreFormat;
  opens: boolean;
  /** Why it does not open; never contains the password. */
  problem?: string;
}

const JKS_MAGIC = 0xfeedfeed;
const ID_DATA = '1.2.840.113549.1.7.1';
const MAC_HASHES: Readonly<Record<string, { name: string; blockBytes: number }>> = {
  '1.3.14.3.2.26': { name: 'sha1', blockBytes: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', blockBytes: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', blockBytes: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', blockBytes: 128 },
};

/** Tells JKS from PKCS#12 by content (identity.jks is PKCS#12 bytes under a .jks name). */
export function checkKeystorePassword(bytes: Buffer, password: string): KeystoreCheck {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === JKS_MAGIC) return checkJks(bytes, password);
  return checkPkcs12Mac(bytes, password);
}

export function checkJks(bytes: Buffer, password: string): KeystoreCheck {
  if (bytes.length < 32 || bytes.readUInt32BE(0) !== JKS_MAGIC) {
    return { opens: false, problem: 'not a JKS keystore' };
  }
  const body = bytes.subarray(0, bytes.length - 20);
  const expected = createHash('sha1')
    .update(Buffer.from(password, 'utf16le').swap16())
    .update('Mighty Aphrodite', 'utf8')
    .update(body)
    .digest();
  return timingSafeEqual(expected, bytes.subarray(bytes.length - 20))
    ? { format: 'JKS', opens: true }
    : { format: 'JKS', opens: false, problem: 'the keystore digest does not verify with this password' };
}

export function checkPkcs12Mac(bytes: Buffer, password: string): KeystoreCheck {
  let pfx: PFX;
  try {
    pfx = AsnConvert.parse(bytes, PFX);
  } catch {
    return { opens: false, problem: 'neither a JKS nor a PKCS#12 keystore' };
  }
  if (!pfx.macData) return { format: 'PKCS12', opens: false, problem: 'the PKCS#12 file has no MAC' };
  if (pfx.authSafe.contentType !== ID_DATA) {
    return {
      format: 'PKCS12',
      opens: false,
      problem: 'the PKCS#12 file is not password-integrity protected',
    };
  }
  const hash = MAC_HASHES[pfx.macData.mac.digestAlgorithm.algorithm];
  if (!hash) {
    return {
      format: 'PKCS12',
      opens: false,
      problem: `unsupported MAC digest ${pfx.macData.mac.digestAlgorithm.algorithm}`,
    };
  }
  const authSafe = Buffer.from(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer);
  const expected = Buffer.from(pfx.macData.mac.digest.buffer);
  const key = pkcs12MacKey(
    password,
    Buffer.from(pfx.macData.macSalt.buffer),
    pfx.macData.iterations,
    hash.name,
    hash.blockBytes,
    expected.length,
  );
  const actual = createHmac(hash.name, key).update(authSafe).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected)
    ? { format: 'PKCS12', opens: true }
    : { format: 'PKCS12', opens: false, problem: 'the PKCS#12 MAC does not verify with this password' };
}

/** RFC 7292 B.2 with ID 3 (MAC key); the password is a NUL-terminated BMPString. */
function pkcs12MacKey(
  password: string,
  salt: Buffer,
  iterations: number,
  hashName: string,
  v: number,
  keyLength: number,
): Buffer {
  const pass = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const stretch = (input: Buffer): Buffer => {
    const out = Buffer.alloc(v * Math.ceil(input.length / v));
    for (let i = 0; i < out.length; i++) out[i] = input[i % input.length] as number;
    return out;
  };
  const diversifier = Buffer.alloc(v, 3);
  const block = Buffer.concat([salt.length ? stretch(salt) : Buffer.alloc(0), stretch(pass)]);
  const output: Buffer[] = [];
  let produced = 0;
  while (produced < keyLength) {
    let a = createHash(hashName).update(diversifier).update(block).digest();
    for (let round = 1; round < iterations; round++) a = createHash(hashName).update(a).digest();
    output.push(a);
    produced += a.length;
    if (produced >= keyLength) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I.
    const b = stretch(a).subarray(0, v);
    for (let j = 0; j < block.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (block[j + k] as number) + (b[k] as number) + carry;
        block[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, keyLength);
}
