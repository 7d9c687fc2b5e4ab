import type { Clock } from '../time/clock.js';
import { InvalidInputError } from '../errors.js';
import { classifyError, type ClassifiedError } from './errors.js';
import type { LeaseApi } from './lease-api.js';
import {
  claimedLease,
  decideLeaseAction,
  isStillLeading,
  observeLease,
  releasedLease,
  type ObservedLease,
} from './lease-decisions.js';
import type { TimerHandle, Timers } from '../time/timers.js';

export interface LeaderElectionOptions {
  api: LeaseApi;
  /** Unique per replica, e.g. the pod name. */
  identity: string;
  clock: Clock;
  timers: Timers;
  random?: () => number;
  /** How long others wait for an unrenewed lease before taking over (client-go: 15s). */
  leaseDurationMs?: number;
  /** A leader that cannot renew within this stops leading (client-go: 10s). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew (client-go: 2s). */
  retryPeriodMs?: number;
  /** Start the controllers. */
  onStartedLeading: () => void;
  /** Stop the controllers; awaited on graceful shutdown before the lease is released. */
  onStoppedLeading: () => void | Promise<void>;
  /** A failed attempt, for logging; never fatal. */
  onAttemptFailed?: (error: ClassifiedError) => void;
}

/** client-go spreads candidates' retries by up to 120% of the retry period. */
const CANDIDATE_JITTER = 1.2;

/**
 * Lease-based leader election. Every retry period it reads the Lease, lets the pure rules decide,
 * and writes with the read resourceVersion, so two candidates cannot both win: the slower one
 * gets a 409 and tries again later. Losing the lease, or failing to renew within the deadline,
 * stops leadership; the elector then keeps competing as a candidate.
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly random: () => number;
  private observed: ObservedLease | undefined;
  private lastRenewedAt: Date | undefined;
  private leading = false;
  private lastAttemptAnswered = true;
  private stopped = true;
  private attempt = 0;
  private inFlight: Promise<void> | undefined;
  private nextTick: TimerHandle | undefined;
  private renewDeadline: TimerHandle | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.random = options.random ?? Math.random;
    if (!(this.retryPeriodMs > 0)) {
      throw new InvalidInputError('InvalidLeaderElection', 'retryPeriodMs must be > 0', 'retryPeriodMs');
    }
    if (!(this.renewDeadlineMs > CANDIDATE_JITTER * this.retryPeriodMs)) {
      throw new InvalidInputError(
        'InvalidLeaderElection',
        `renewDeadlineMs (${this.renewDeadlineMs}) must exceed 1.2 x retryPeriodMs (${this.retryPeriodMs})`,
        'renewDeadlineMs',
      );
    }
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new InvalidInputError(
        'InvalidLeaderElection',
        `leaseDurationMs (${this.leaseDurationMs}) must exceed renewDeadlineMs (${this.renewDeadlineMs})`,
        'leaseDurationMs',
      );
    }
    if (options.identity.trim() === '') {
      throw new InvalidInputError(
        'InvalidLeaderElection',
        'identity must not be empty (use the pod name)',
        'identity',
      );
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Whether the last attempt to read or write the Lease got an answer (false: the API is unreachable). */
  reachesLease(): boolean {
    return this.lastAttemptAnswered;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /**
   * Stop competing. A leader first stops its controllers (`onStoppedLeading` is awaited), then,
   * with `release`, hands the lease back so a standby takes over at once instead of after expiry.
   */
  async stop(options: { release: boolean }): Promise<void> {
    this.stopped = true;
    this.clearTimer('nextTick');
    this.clearTimer('renewDeadline');
    await this.inFlight;
    if (!this.leading) return;
    this.leading = false;
    await this.options.onStoppedLeading();
    if (options.release) await this.release();
  }

  private tick(): void {
    const attempt = ++this.attempt;
    let timeout: TimerHandle | undefined;
    // A call that hangs past the renew deadline is abandoned; its late result is ignored.
    const timedOut = new Promise<void>((resolve) => {
      timeout = this.options.timers.setTimeout(() => {
        timeout = undefined;
        if (attempt === this.attempt) {
          this.attempt++;
          this.lastAttemptAnswered = false;
          this.options.onAttemptFailed?.({ kind: 'Transient', message: 'lease request timed out' });
          this.checkDeadline();
        }
        resolve();
      }, this.renewDeadlineMs);
    });
    this.inFlight = Promise.race([this.tryAcquireOrRenew(attempt), timedOut]).finally(() => {
      if (timeout) this.options.timers.clearTimeout(timeout);
      this.inFlight = undefined;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    const delayMs = this.leading
      ? this.retryPeriodMs
      : Math.round(this.retryPeriodMs * (1 + CANDIDATE_JITTER * this.random()));
    this.nextTick = this.options.timers.setTimeout(() => {
      this.nextTick = undefined;
      this.tick();
    }, delayMs);
  }

  private async tryAcquireOrRenew(attempt: number): Promise<void> {
    const { api, identity, clock } = this.options;
    try {
      const record = await api.read();
      if (attempt !== this.attempt || this.stopped) return;
      this.lastAttemptAnswered = true;
      const now = clock.now();
      this.observed = record ? observeLease(this.observed, record, now) : undefined;
      const decision = decideLeaseAction({
        observed: this.observed,
        identity,
        now,
        leaseDurationMs: this.leaseDurationMs,
      });
      if (decision.action === 'Wait') {
        if (this.leading) this.loseLeadership();
        return;
      }
      const spec = claimedLease(decision.action, record, identity, now, this.leaseDurationMs);
      const written =
        decision.action === 'Create' || !record
          ? await api.create(spec)
          : await api.replace(spec, record.resourceVersion);
      if (attempt !== this.attempt || this.stopped) return;
      this.observed = observeLease(this.observed, written, clock.now());
      this.renewed(clock.now());
    } catch (error) {
      if (attempt !== this.attempt) return;
      // A 409 here means another candidate wrote first: we simply lost this round.
      const failure = classifyError(error);
      if (failure.kind !== 'Conflict') this.lastAttemptAnswered = false;
      this.options.onAttemptFailed?.(failure);
      this.checkDeadline();
    }
  }

  private renewed(at: Date): void {
    this.clearTimer('renewDeadline');
    this.renewDeadline = this.options.timers.setTimeout(() => {
      this.renewDeadline = undefined;
      this.checkDeadline();
    }, this.renewDeadlineMs);
    this.lastRenewedAt = at;
    if (!this.leading) {
      this.leading = true;
      this.options.onStartedLeading();
    }
  }

  private checkDeadline(): void {
    if (!this.leading || !this.lastRenewedAt) return;
    if (!isStillLeading(this.lastRenewedAt, this.options.clock.now(), this.renewDeadlineMs))
      this.loseLeadership();
  }

  private loseLeadership(): void {
    this.leading = false;
    this.clearTimer('renewDeadline');
    // The callback owns its own failures; leadership is gone either way.
    void Promise.resolve(this.options.onStoppedLeading()).catch(() => undefined);
  }

  private async release(): Promise<void> {
    const { api, identity, clock } = this.options;
    try {
      const record = await api.read();
      if (!record || record.holderIdentity !== identity) return;
      await api.replace(releasedLease(record, clock.now()), record.resourceVersion);
    } catch (error) {
      // Not releasing only delays the next leader by one lease duration.
      this.options.onAttemptFailed?.(classifyError(error));
    }
  }

  private clearTimer(name: 'nextTick' | 'renewDeadline'): void {
    const handle = this[name];
    if (handle) this.options.timers.clearTimeout(handle);
    this[name] = undefined;
  }
}
