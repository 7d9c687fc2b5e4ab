import { backoffDelayMs, validateBackoffPolicy, type BackoffPolicy } from '../../../src/kube/backoff.js';
import { InvalidInputError } from '../../../src/errors.js';

const policy: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 };

describe('backoffDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 30_000],
    [50, 30_000],
  ])('after %i failures without jitter drawn waits %i ms', (failures, expected) => {
    expect(backoffDelayMs(failures, policy, () => 0)).toBe(expected);
  });

  it('jitter shortens the delay by at most the jitter fraction, so the cap stays a ceiling', () => {
    expect(backoffDelayMs(50, policy, () => 0.999999)).toBe(15_000);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(1500);
  });

  it('rejects a policy whose cap is below its first delay, naming the field', () => {
    expect(() => validateBackoffPolicy({ ...policy, maxMs: 10 }, 'restartBackoff')).toThrow(
      InvalidInputError,
    );
    expect(() => validateBackoffPolicy({ ...policy, jitter: 2 }, 'restartBackoff')).toThrow(/restartBackoff/);
  });
});
