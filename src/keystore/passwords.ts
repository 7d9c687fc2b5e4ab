import { randomBytes } from 'node:crypto';

export const MIN_GENERATED_PASSWORD_LENGTH = 24;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALPHANUMERIC = `${LETTERS}0123456789`;

/**
 * A keystore password from the CSPRNG: ASCII letters and digits only, starting with a letter.
 *
 * Why no symbols: each one breaks somewhere a bundle password travels unquoted. `~` expands in a
 * shell, `-` at the front reads as an option, `.` is a path separator in HOCON keys, `/` and `+`
 * need escaping in URLs, `$`, `#`, `!`, `:` and `=` mean something in shells, Java properties or
 * HOCON. A leading letter keeps YAML and HOCON from reading the value as a number. 32 characters
 * of this alphabet carry about 190 bits, far beyond what the keystores' KDFs protect.
 */
export function generatePassword(length = 32): string {
  if (!Number.isInteger(length) || length < MIN_GENERATED_PASSWORD_LENGTH) {
    throw new RangeError(
      `password length ${length} is too short: at least ${MIN_GENERATED_PASSWORD_LENGTH} characters`,
    );
  }
  let password = pick(LETTERS, 1);
  password += pick(ALPHANUMERIC, length - 1);
  return password;
}

/** `count` uniform picks from `alphabet`, by rejection sampling (no modulo bias). */
function pick(alphabet: string, count: number): string {
  const limit = 256 - (256 % alphabet.length);
  let picked = '';
  while (picked.length < count) {
    for (const byte of randomBytes(count - picked.length + 8)) {
      if (byte < limit) picked += alphabet[byte % alphabet.length];
      if (picked.length === count) break;
    }
  }
  return picked;
}
