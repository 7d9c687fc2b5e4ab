import { randomBytes } from 'node:crypto';

/**
 * 128 random bits as hex, high bit cleared so the DER INTEGER is positive without a padding
 * byte (RFC 5280 wants positive serials of at most 20 octets; CA/B Forum wants >= 64 random bits).
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
