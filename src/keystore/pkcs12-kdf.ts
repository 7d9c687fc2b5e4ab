import { hash } from 'node:crypto';

export type Pkcs12KdfHash = 'sha1' | 'sha256';

/** RFC 7292 B.3: what the derived bytes are for (the "ID" diversifier). */
export const Pkcs12KeyPurpose = { encryptionKey: 1, iv: 2, macKey: 3 } as const;
export type Pkcs12KeyPurpose = (typeof Pkcs12KeyPurpose)[keyof typeof Pkcs12KeyPurpose];

/** Output size u and input block size v, in bytes. */
const SIZES: Readonly<Record<Pkcs12KdfHash, { u: number; v: number }>> = {
  sha1: { u: 20, v: 64 },
  sha256: { u: 32, v: 64 },
};

/** RFC 7292 B.1: the password as a BMPString (UTF-16BE) with a two-byte NUL terminator. */
export function bmpPassword(password: string): Buffer {
  const bytes = Buffer.alloc(password.length * 2 + 2);
  for (let index = 0; index < password.length; index++) {
    bytes.writeUInt16BE(password.charCodeAt(index), index * 2);
  }
  return bytes;
}

/**
 * RFC 7292 Appendix B.2 key derivation, as used by PKCS#12 MACs and pbeWithSHAAnd* ciphers.
 *
 * Nearly all its cost is `iterations` chained hashes of one digest each; `crypto.hash` is the
 * cheapest per-call digest in Node (no Hash object per round). Asking it for a 'binary' (latin1) string and
 * writing that back into one reused buffer halves a round against a fresh Buffer per digest:
 * allocating the Buffer cost more than the hash.
 */
export function pkcs12Kdf(
  algorithm: Pkcs12KdfHash,
  password: string,
  salt: Uint8Array,
  iterations: number,
  purpose: Pkcs12KeyPurpose,
  length: number,
): Buffer {
  const { u, v } = SIZES[algorithm];
  const diversifier = Buffer.alloc(v, purpose);
  const input = Buffer.concat([fillBlocks(salt, v), fillBlocks(bmpPassword(password), v)]);
  const output = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += u) {
    const digest = hash(algorithm, Buffer.concat([diversifier, input]), 'buffer');
    for (let round = 1; round < iterations; round++)
      digest.write(hash(algorithm, digest, 'binary'), 'binary');
    digest.copy(output, offset, 0, Math.min(u, length - offset));
    if (offset + u < length) addToEachBlock(input, fillBlocks(digest, v));
  }
  return output;
}

/** `data` repeated to fill a whole number of v-byte blocks (empty stays empty). */
function fillBlocks(data: Uint8Array, v: number): Buffer {
  const filled = Buffer.alloc(Math.ceil(data.length / v) * v);
  for (let index = 0; index < filled.length; index++) filled[index] = data[index % data.length] ?? 0;
  return filled;
}

/** Step 6C: every v-byte block I_j of `input` becomes (I_j + B + 1) mod 2^(8v), in place. */
function addToEachBlock(input: Buffer, block: Buffer): void {
  for (let start = 0; start < input.length; start += block.length) {
    let carry = 1;
    for (let index = block.length - 1; index >= 0; index--) {
      const sum = (input[start + index] ?? 0) + (block[index] ?? 0) + carry;
      input[start + index] = sum & 0xff;
      carry = sum >> 8;
    }
  }
}
