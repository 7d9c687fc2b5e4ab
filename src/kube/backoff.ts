import { InvalidInputError } from '../errors.js';

/** Exponential backoff with a cap; jitter spreads retries of many keys/watches so they do not align. */
export interface BackoffPolicy {
  /** Delay after the first failure. */
  initialMs: number;
  /** No delay exceeds this, jitter included. */
  maxMs: number;
  /** Growth per consecutive failure (2 doubles). */
  factor: number;
  /** Fraction in [0, 1]: the delay is drawn from [d * (1 - jitter), d]. */
  jitter: number;
}

/**
 * Delay before the next attempt after `failures` consecutive failures (1 = first failure).
 * Jitter subtracts rather than adds, so the cap stays a hard ceiling and capped retries still spread.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  const uncapped = policy.initialMs * Math.pow(policy.factor, exponent);
  const capped = Math.min(policy.maxMs, uncapped);
  return Math.round(capped * (1 - policy.jitter * random()));
}

export function validateBackoffPolicy(policy: BackoffPolicy, field: string): BackoffPolicy {
  if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs)) {
    throw new InvalidInputError(
      'InvalidBackoff',
      `${field}: initialMs must be > 0 and maxMs >= initialMs (got ${policy.initialMs} and ${policy.maxMs})`,
      field,
    );
  }
  if (!(policy.factor >= 1) || !(policy.jitter >= 0 && policy.jitter <= 1)) {
    throw new InvalidInputError(
      'InvalidBackoff',
      `${field}: factor must be >= 1 and jitter within [0, 1] (got ${policy.factor} and ${policy.jitter})`,
      field,
    );
  }
  return policy;
}
