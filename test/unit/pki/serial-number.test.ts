import { randomSerialNumber } from '../../../src/pki/serial-number.js';

describe('randomSerialNumber', () => {
  it('is 16 octets, positive, and never starts with a zero octet (printed as OpenSSL prints it)', () => {
    // Clearing only the top bit gave a zero first octet in 1 of 256; 5,000 draws would see ~20.
    for (let draw = 0; draw < 5_000; draw += 1) {
      expect(randomSerialNumber()).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
  });

  it('varies', () => {
    expect(new Set(Array.from({ length: 100 }, randomSerialNumber)).size).toBe(100);
  });
});
