import { generatePassword, MIN_GENERATED_PASSWORD_LENGTH } from '../../../src/keystore/passwords.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('generatePassword', () => {
  it('is 32 letters and digits by default, starting with a letter', () => {
    const password = generatePassword();
    expect(password).toHaveLength(32);
    expect(password).toMatch(/^[A-Za-z][A-Za-z0-9]{31}$/);
  });

  it.each([MIN_GENERATED_PASSWORD_LENGTH, 40, 64])('honours length %i', (length) => {
    expect(generatePassword(length)).toMatch(new RegExp(`^[A-Za-z][A-Za-z0-9]{${length - 1}}$`));
  });

  it.each([MIN_GENERATED_PASSWORD_LENGTH - 1, 0, 30.5])('refuses length %s', (length) => {
    expect(() => generatePassword(length)).toThrow(RangeError);
  });

  it('uses every symbol of the alphabet, roughly evenly, and never repeats a password', () => {
    const passwords = Array.from({ length: 2000 }, () => generatePassword());
    expect(new Set(passwords).size).toBe(passwords.length);
    const counts = new Map<string, number>();
    for (const password of passwords) {
      for (const symbol of password.slice(1)) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    // 62,000 picks: each symbol expects 1,000; a modulo bias or a missing symbol falls far outside.
    expect([...counts.keys()].sort().join('')).toBe([...ALPHANUMERIC].sort().join(''));
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    for (const count of counts.values()) expect(count).toBeLessThan(1200);
  });
});
