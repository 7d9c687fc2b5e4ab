import { inspect } from 'node:util';

/** What a secret shows wherever it is printed, logged, serialised or interpolated. */
export const REDACTED = '[REDACTED]';

/**
 * A password, key or credential that cannot print: String(), template literals, JSON.stringify,
 * util.inspect (console.log, winston) and string concatenation all give "[REDACTED]". The value
 * sits in a private field, so spreading or walking the object finds nothing either. Code that
 * must use the bytes (building a bundle, an HMAC, a keystore) calls `reveal()` at that point, so
 * every place a secret leaves its wrapper is one grep away.
 */
export class SecretValue<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  /** A derived secret (a field of it, its decoded form) that stays wrapped. */
  map<U>(derive: (value: T) => U): SecretValue<U> {
    return new SecretValue(derive(this.#value));
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function secretValue<T>(value: T): SecretValue<T> {
  return new SecretValue(value);
}
