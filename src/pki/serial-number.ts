import { randomBytes } from 'node:crypto';

/**
 * 126 random bits as 16 octets of hex whose first octet is 0x40-0x7f: the DER INTEGER is positive
 * without a padding byte, and never starts with a zero octet, so the hex is the serial exactly as
 * OpenSSL and every other tool print it (RFC 5280 wants positive serials of at most 20 octets;
 * CA/B Forum wants >= 64 random bits). Clearing only the top bit left a zero first octet once in
 * 256 serials, printed "00e5..." here and "E5..." by OpenSSL.
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}
