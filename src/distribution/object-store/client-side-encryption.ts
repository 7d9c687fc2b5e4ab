/**
 * Client-side envelope encryption of stored objects (format "SCBENC" version 1, see
 * docs/object-store.md): a fresh 256-bit data key per object encrypts it with AES-256-GCM, and the
 * data key is wrapped with the bundle's key-encryption key (KEK) by AES Key Wrap (RFC 3394). The
 * bucket holds only ciphertext and wrapped keys; the KEK stays in a Kubernetes Secret.
 *
 * Layout: magic "SCBENC" | format 0x01 | KEK id (8 bytes) | wrapped data key (40) | GCM nonce (12)
 * | context length (2, big-endian) | context (UTF-8) | ciphertext | GCM tag (16).
 * Everything before the ciphertext is the GCM additional data, so no header byte can change
 * unnoticed.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { InvalidInputError } from '../../errors.js';

const MAGIC = Buffer.from('SCBENC', 'ascii');
export const ENCRYPTION_FORMAT_VERSION = 1;
const KEK_ID_BYTES = 8;
const KEY_BYTES = 32;
const WRAPPED_KEY_BYTES = KEY_BYTES + 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FIXED_HEADER_BYTES = MAGIC.length + 1 + KEK_ID_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES + 2;
// RFC 3394's default initial value; node:crypto needs it spelled out.
const KEY_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/**
 * A 256-bit key-encryption key. The key bytes live in a private field, so logging, inspecting or
 * serialising this object shows only its id.
 */
export class KeyEncryptionKey {
  /** First 16 hex digits of the key's SHA-256: names the key without revealing it. */
  readonly id: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES)
      throw new Error(`a key-encryption key has ${KEY_BYTES} bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
    this.id = kekIdOf(this.#key);
  }

  wrap(dataKey: Buffer): Buffer {
    const cipher = createCipheriv('id-aes256-wrap', this.#key, KEY_WRAP_IV);
    return Buffer.concat([cipher.update(dataKey), cipher.final()]);
  }

  /** Undefined when the integrity check of RFC 3394 fails (wrong key or altered bytes). */
  unwrap(wrapped: Buffer): Buffer | undefined {
    try {
      const decipher = createDecipheriv('id-aes256-wrap', this.#key, KEY_WRAP_IV);
      return Buffer.concat([decipher.update(wrapped), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }
}

function kekIdOf(key: Buffer): string {
  return createHash('sha256')
    .update(key)
    .digest('hex')
    .slice(0, KEK_ID_BYTES * 2);
}

/**
 * Reads a KEK as kept in a Secret: 32 raw bytes, or their base64 (what `openssl rand -base64 32`
 * prints, trailing newline allowed). `source` names where it came from, for the error.
 */
export function parseKeyEncryptionKey(value: Buffer, source: string, field: string): KeyEncryptionKey {
  if (value.length === KEY_BYTES) return new KeyEncryptionKey(value);
  const text = value.toString('latin1').trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return new KeyEncryptionKey(Buffer.from(text, 'base64'));
  throw new InvalidInputError(
    'InvalidEncryptionKey',
    `${source} must hold a 256-bit key-encryption key: 32 raw bytes or their base64 (it holds ` +
      `${value.length} bytes that are neither); create one with: openssl rand -base64 32`,
    field,
  );
}

/**
 * The KEK a bundle names by `keyRef`, from its Secret (undefined when missing). `field` is the
 * spec path of the reference, for the error that says how to create the Secret.
 */
export function readKeyEncryptionKey(
  namespace: string,
  keyRef: { name: string; key: string },
  secret: V1Secret | undefined,
  field: string,
): KeyEncryptionKey {
  const source = `key "${keyRef.key}" of Secret ${namespace}/${keyRef.name} (${field})`;
  const encoded = secret?.data?.[keyRef.key];
  if (!secret || encoded === undefined) {
    throw new InvalidInputError(
      'EncryptionKeyNotFound',
      `${secret ? source : `Secret ${namespace}/${keyRef.name} named by ${field}.name`} does not exist: ` +
        `create it, e.g. kubectl create secret generic ${keyRef.name} -n ${namespace} ` +
        `--from-literal=${keyRef.key}="$(openssl rand -base64 32)"`,
      secret ? `${field}.key` : `${field}.name`,
    );
  }
  return parseKeyEncryptionKey(Buffer.from(encoded, 'base64'), source, `${field}.key`);
}

/** Encrypts `plaintext` for the object whose identity is `context` (see objectContext). */
export function encryptObject(plaintext: Buffer, kek: KeyEncryptionKey, context: string): Buffer {
  const dataKey = randomBytes(KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const contextBytes = Buffer.from(context, 'utf8');
  const contextLength = Buffer.alloc(2);
  contextLength.writeUInt16BE(contextBytes.length);
  const header = Buffer.concat([
    MAGIC,
    Buffer.of(ENCRYPTION_FORMAT_VERSION),
    Buffer.from(kek.id, 'hex'),
    kek.wrap(dataKey),
    nonce,
    contextLength,
    contextBytes,
  ]);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  dataKey.fill(0);
  return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
}

/** True when `bytes` start like an object this module encrypted (any format version). */
export function isEncryptedObject(bytes: Buffer): boolean {
  return bytes.subarray(0, MAGIC.length).equals(MAGIC);
}

export interface DecryptedObject {
  plaintext: Buffer;
  /** `<namespace>/<name>/v<N>/<file>` the object was encrypted for. */
  context: string;
  /** Id of the KEK that opened it. */
  keyId: string;
}

/**
 * Opens an encrypted object with whichever of `keys` it was wrapped for (several are allowed so
 * versions written before a key rotation stay readable). With `expectedContext`, an object that
 * belongs to another bundle, version or file is refused even though it decrypts.
 */
export function decryptObject(
  bytes: Buffer,
  keys: readonly KeyEncryptionKey[],
  expectedContext?: string,
): DecryptedObject {
  if (!isEncryptedObject(bytes)) {
    throw new InvalidInputError(
      'NotAnEncryptedObject',
      'the object does not start with the SCBENC header of scb-operator client-side encryption: ' +
        'it is not encrypted (read it as it is) or it is not one of our objects',
    );
  }
  const format = bytes[MAGIC.length];
  if (format !== ENCRYPTION_FORMAT_VERSION) {
    throw new InvalidInputError(
      'UnsupportedEncryptionFormat',
      `the object uses encryption format ${format}; this version of scb-operator reads format ` +
        `${ENCRYPTION_FORMAT_VERSION}: upgrade scbctl`,
    );
  }
  if (bytes.length < FIXED_HEADER_BYTES + TAG_BYTES) throw tampered('it is shorter than its header');
  let offset = MAGIC.length + 1;
  const take = (length: number): Buffer => {
    const part = bytes.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const keyId = take(KEK_ID_BYTES).toString('hex');
  const wrapped = take(WRAPPED_KEY_BYTES);
  const nonce = take(NONCE_BYTES);
  const contextLength = take(2).readUInt16BE();
  if (offset + contextLength + TAG_BYTES > bytes.length) throw tampered('its header is cut short');
  const context = take(contextLength).toString('utf8');
  const header = bytes.subarray(0, offset);
  const ciphertext = bytes.subarray(offset, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);

  const kek = keys.find((key) => key.id === keyId);
  if (!kek) {
    const given = keys.length ? keys.map((key) => key.id).join(', ') : 'none';
    throw new InvalidInputError(
      'EncryptionKeyMismatch',
      `the object was encrypted with the key-encryption key whose id is ${keyId}, but the key(s) ` +
        `given have id(s) ${given}: pass the key from the Secret named by ` +
        'spec.target.objectStore.clientSideEncryption.keySecretRef when this version was written ' +
        '(a key id is the first 16 hex digits of its SHA-256)',
    );
  }
  const dataKey = kek.unwrap(wrapped);
  if (!dataKey) throw tampered('its wrapped data key fails the AES key-wrap integrity check');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    if (expectedContext !== undefined && context !== expectedContext) {
      throw new InvalidInputError(
        'EncryptedObjectMisplaced',
        `refused: the object is ${context}, not ${expectedContext}; it was copied or moved to the ` +
          'wrong key: restore the right object (the operator re-uploads it from the Secret)',
      );
    }
    return { plaintext, context, keyId };
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw tampered('its AES-GCM authentication tag does not match');
  } finally {
    dataKey.fill(0);
  }
}

function tampered(detail: string): InvalidInputError {
  return new InvalidInputError(
    'EncryptedObjectTampered',
    `refused: the encrypted object was altered or truncated after it was written (${detail}); ` +
      'fetch it again, or take this version from its Secret in the cluster',
  );
}
