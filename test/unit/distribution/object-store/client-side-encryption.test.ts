import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  decryptObject,
  encryptObject,
  isEncryptedObject,
  KeyEncryptionKey,
  parseKeyEncryptionKey,
} from '../../../../src/distribution/object-store/client-side-encryption.js';
import { InvalidInputError } from '../../../../src/errors.js';

const raw = randomBytes(32);
const kek = new KeyEncryptionKey(raw);
const context = 'shop/orders-api/v2/secure-connect-orders-api.zip';
const plaintext = Buffer.from('PK\x03\x04 a zip with -----BEGIN PRIVATE KEY----- inside');

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseKeyEncryptionKey', () => {
  it('reads 32 raw bytes or their base64 (with the newline openssl prints) as the same key', () => {
    const fromRaw = parseKeyEncryptionKey(raw, 'kek', 'f');
    const fromBase64 = parseKeyEncryptionKey(Buffer.from(`${raw.toString('base64')}\n`), 'kek', 'f');
    expect(fromRaw.id).toMatch(/^[0-9a-f]{16}$/);
    expect(fromBase64.id).toBe(fromRaw.id);
  });

  it.each<[string, Buffer]>([
    ['too short', randomBytes(16)],
    ['base64 of 16 bytes', Buffer.from(randomBytes(16).toString('base64'))],
    ['hex text', Buffer.from(randomBytes(32).toString('hex'))],
  ])('refuses %s, naming the source and the fix without quoting the value', (_name, value) => {
    const error = refusal(() =>
      parseKeyEncryptionKey(value, 'key "kek" of Secret shop/orders-kek', 'the.field'),
    );
    expect(error.reason).toBe('InvalidEncryptionKey');
    expect(error.field).toBe('the.field');
    expect(error.message).toContain('key "kek" of Secret shop/orders-kek');
    expect(error.message).toContain('openssl rand -base64 32');
    expect(error.message).not.toContain(value.toString('latin1'));
  });

  it('never shows the key bytes when logged, inspected or serialised', () => {
    for (const shown of [JSON.stringify(kek), inspect(kek, { showHidden: true, depth: 5 })]) {
      expect(shown).toContain(kek.id);
      expect(shown).not.toContain(raw.toString('hex'));
      expect(shown).not.toContain(raw.toString('base64'));
    }
  });
});

describe('encryptObject / decryptObject', () => {
  it('round-trips, with a fresh data key and nonce per object', () => {
    const first = encryptObject(plaintext, kek, context);
    const second = encryptObject(plaintext, kek, context);
    expect(isEncryptedObject(first)).toBe(true);
    expect(first.equals(second)).toBe(false);
    expect(decryptObject(first, [kek], context)).toEqual({ plaintext, context, keyId: kek.id });
    expect(decryptObject(second, [new KeyEncryptionKey(randomBytes(32)), kek]).plaintext).toEqual(plaintext);
  });

  it('refuses any single altered byte: header, wrapped key, nonce, context, ciphertext or tag', () => {
    const sealed = encryptObject(plaintext, kek, context);
    // Offsets after the magic and the key id (which has its own, clearer, refusal).
    for (const offset of [15, 40, 56, 68, 70, sealed.length - 30, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[offset] = (altered[offset] ?? 0) ^ 0x40;
      const error = refusal(() => decryptObject(altered, [kek]));
      expect([offset, error.reason]).toEqual([offset, 'EncryptedObjectTampered']);
    }
    expect(refusal(() => decryptObject(sealed.subarray(0, sealed.length - 1), [kek])).reason).toBe(
      'EncryptedObjectTampered',
    );
    expect(refusal(() => decryptObject(sealed.subarray(0, 40), [kek])).reason).toBe(
      'EncryptedObjectTampered',
    );
  });

  it('names the key id it needs when given the wrong keys', () => {
    const error = refusal(() =>
      decryptObject(encryptObject(plaintext, kek, context), [new KeyEncryptionKey(randomBytes(32))]),
    );
    expect(error.reason).toBe('EncryptionKeyMismatch');
    expect(error.message).toContain(kek.id);
    expect(error.message).toContain('spec.target.objectStore.clientSideEncryption.keySecretRef');
  });

  it('refuses an object of another version or file, and what is not ours', () => {
    const v1 = encryptObject(plaintext, kek, 'shop/orders-api/v1/secure-connect-orders-api.zip');
    expect(refusal(() => decryptObject(v1, [kek], context)).reason).toBe('EncryptedObjectMisplaced');
    expect(refusal(() => decryptObject(plaintext, [kek])).reason).toBe('NotAnEncryptedObject');
    const future = encryptObject(plaintext, kek, context);
    future[6] = 2;
    expect(refusal(() => decryptObject(future, [kek])).reason).toBe('UnsupportedEncryptionFormat');
  });
});
