import type { Clock } from '../../time/clock.js';

export interface RolloutRateLimits {
  /** A workload is restarted at most once per this interval. Default 30 s. */
  perWorkloadIntervalMs: number;
  /** Restarts that may happen at once over all bundles (token bucket size). Default 10. */
  burst: number;
  /** Restarts added back to the bucket per second. Default 0.5 (one every 2 s). */
  refillPerSecond: number;
}

export const DEFAULT_ROLLOUT_RATE_LIMITS: RolloutRateLimits = {
  perWorkloadIntervalMs: 30_000,
  burst: 10,
  refillPerSecond: 0.5,
};

export type RolloutPermit = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Guards against restart storms (a CA rotation re-issuing every bundle at once): each workload at
 * most once per interval, and a global token bucket over all workloads. Held by the operator for
 * its lifetime; after a restart the pod-template annotation, not this memory, prevents repeats.
 */
export class RolloutRateLimiter {
  private readonly lastRollout = new Map<string, number>();
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: RolloutRateLimits = DEFAULT_ROLLOUT_RATE_LIMITS,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = clock.now().getTime();
  }

  /** Takes a permit for restarting `workload` now, or says how long to wait. */
  reserve(workload: string): RolloutPermit {
    const now = this.clock.now().getTime();
    const last = this.lastRollout.get(workload);
    if (last !== undefined && now - last < this.limits.perWorkloadIntervalMs) {
      return { allowed: false, retryAfterMs: last + this.limits.perWorkloadIntervalMs - now };
    }
    this.tokens = Math.min(
      this.limits.burst,
      this.tokens + ((now - this.refilledAt) / 1000) * this.limits.refillPerSecond,
    );
    this.refilledAt = now;
    if (this.tokens < 1) {
      return {
        allowed: false,
        retryAfterMs: Math.ceil(((1 - this.tokens) / this.limits.refillPerSecond) * 1000),
      };
    }
    this.tokens -= 1;
    this.lastRollout.set(workload, now);
    this.forgetOlderThan(now - this.limits.perWorkloadIntervalMs);
    return { allowed: true };
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [workload, at] of this.lastRollout) if (at <= cutoff) this.lastRollout.delete(workload);
  }
}
