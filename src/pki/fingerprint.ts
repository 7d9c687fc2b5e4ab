import { createHash } from 'node:crypto';

/** WebCrypto's BufferSource (not a global type without the DOM lib). */
export type BufferSource = ArrayBuffer | ArrayBufferView;

/** Lower-case hex SHA-256, no colons: the form `openssl x509 -fingerprint -sha256` shows, minus colons. */
export function sha256Hex(der: BufferSource): string {
  const bytes = ArrayBuffer.isView(der)
    ? new Uint8Array(der.buffer, der.byteOffset, der.byteLength)
    : new Uint8Array(der);
  return createHash('sha256').update(bytes).digest('hex');
}
