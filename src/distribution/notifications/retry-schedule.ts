/** How webhook attempts are spaced: exponential, capped, with jitter so receivers that recover are not hit in lockstep. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 300_000 };

/**
 * Delay before attempt `attempt + 1` after `attempt` failed: half of min(max, base·2^(attempt-1))
 * plus a random share of the other half ("equal jitter": never zero, never above the cap).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}
