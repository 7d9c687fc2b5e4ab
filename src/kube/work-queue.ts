import type { Clock } from '../time/clock.js';
import { InvalidInputError } from '../errors.js';
import { backoffDelayMs, validateBackoffPolicy, type BackoffPolicy } from './backoff.js';
import { classifyError, type ClassifiedError, type KubeErrorKind } from './errors.js';
import type { TimerHandle, Timers } from '../time/timers.js';

/** What a reconcile asks for: nothing (done until the next event) or a look again after a delay. */
export type ReconcileResult = { requeueAfterMs?: number } | void;

export type Reconcile = (key: string) => Promise<ReconcileResult>;

/** How one reconcile ended: the metric `result` label and the log line both use this. */
export type ReconcileOutcome = 'Success' | 'Requeue' | KubeErrorKind;

export interface ReconcileReport {
  key: string;
  outcome: ReconcileOutcome;
  durationMs: number;
  /** Set when the reconcile threw. */
  error?: ClassifiedError;
  /** When the key runs again because of this outcome (requeue or retry). */
  retryInMs?: number;
}

export interface WorkQueueOptions {
  reconcile: Reconcile;
  /** Reconciles running at once, each on a different key. */
  concurrency: number;
  clock: Clock;
  timers: Timers;
  /** Per-key retry delays after transient failures. */
  backoff?: BackoffPolicy;
  /** Consecutive conflicts retried at once before a key falls back to backoff (two writers fighting). */
  maxImmediateConflictRetries?: number;
  random?: () => number;
  /** Called after every reconcile; feed metrics and logs from here. */
  onReconciled?: (report: ReconcileReport) => void;
}

export const DEFAULT_RECONCILE_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  maxMs: 5 * 60_000,
  factor: 2,
  jitter: 0.2,
};

interface DelayedAdd {
  dueAtMs: number;
  timer: TimerHandle;
}

/**
 * A keyed work queue in the manner of client-go's: a key waiting to run is held once however often
 * it is added; a key is reconciled by at most one worker at a time, and a key added while it runs
 * is run once more after it finishes; delayed adds keep the earliest due time; failures back off
 * per key. Informer callbacks only call `add`, so all real work happens here, serialised per key.
 */
export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly failures = new Map<string, number>();
  private readonly conflicts = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly backoff: BackoffPolicy;
  private readonly maxImmediateConflictRetries: number;
  private readonly random: () => number;
  private started = false;
  private shuttingDown = false;

  constructor(private readonly options: WorkQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new InvalidInputError(
        'InvalidConcurrency',
        `concurrency must be a whole number >= 1 (got ${options.concurrency})`,
        'concurrency',
      );
    }
    this.backoff = validateBackoffPolicy(options.backoff ?? DEFAULT_RECONCILE_BACKOFF, 'backoff');
    this.maxImmediateConflictRetries = options.maxImmediateConflictRetries ?? 3;
    this.random = options.random ?? Math.random;
  }

  /** Begin running reconciles; keys added before this wait (e.g. until leadership is won). */
  start(): void {
    if (this.shuttingDown) return;
    this.started = true;
    this.pump();
  }

  /**
   * Stop starting reconciles until `start` again (leadership lost). Keys added meanwhile are kept;
   * delayed adds and backoff are dropped, since the caller re-adds every key when it resumes.
   * Reconciles in flight run on: the caller fences their writes.
   */
  pause(): void {
    this.started = false;
    for (const { timer } of this.delayed.values()) this.options.timers.clearTimeout(timer);
    this.delayed.clear();
    this.failures.clear();
    this.conflicts.clear();
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) {
      this.ready.push(key);
      this.pump();
    }
  }

  /** Add `key` after `delayMs`; an earlier pending due time for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueAtMs = this.options.clock.now().getTime() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.dueAtMs <= dueAtMs) return;
    if (pending) this.options.timers.clearTimeout(pending.timer);
    const timer = this.options.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { dueAtMs, timer });
  }

  /** Add `key` after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delayMs = backoffDelayMs(failures, this.backoff, this.random);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Reset the key's backoff (after a success, or when the object is gone). */
  forget(key: string): void {
    this.failures.delete(key);
    this.conflicts.delete(key);
  }

  /** Keys waiting for a worker (the queue-depth metric). */
  depth(): number {
    return this.ready.length;
  }

  /**
   * Stop accepting keys and drop delayed ones. With `drain`, resolves once in-flight reconciles
   * have finished (keys still waiting are not started); without, resolves at once.
   */
  async shutdown(options: { drain: boolean }): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.options.timers.clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    this.dirty.clear();
    if (!options.drain || this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (
      this.started &&
      !this.shuttingDown &&
      this.processing.size < this.options.concurrency &&
      this.ready.length > 0
    ) {
      const key = this.ready.shift() as string;
      this.dirty.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    const startedAtMs = this.options.clock.now().getTime();
    let report: Omit<ReconcileReport, 'durationMs'>;
    try {
      const result = await this.options.reconcile(key);
      report = this.afterSuccess(key, result);
    } catch (error) {
      report = this.afterFailure(key, classifyError(error));
    }
    const durationMs = this.options.clock.now().getTime() - startedAtMs;
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.ready.push(key);
    try {
      this.options.onReconciled?.({ ...report, durationMs });
    } finally {
      // A throwing report hook must not stall the queue or a draining shutdown.
      if (this.shuttingDown && this.processing.size === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      this.pump();
    }
  }

  private afterSuccess(key: string, result: ReconcileResult): Omit<ReconcileReport, 'durationMs'> {
    this.forget(key);
    const requeueAfterMs = result?.requeueAfterMs;
    if (requeueAfterMs === undefined) return { key, outcome: 'Success' };
    this.addAfter(key, requeueAfterMs);
    return { key, outcome: 'Requeue', retryInMs: Math.max(0, requeueAfterMs) };
  }

  private afterFailure(key: string, error: ClassifiedError): Omit<ReconcileReport, 'durationMs'> {
    switch (error.kind) {
      case 'Conflict': {
        const conflicts = (this.conflicts.get(key) ?? 0) + 1;
        this.conflicts.set(key, conflicts);
        if (conflicts <= this.maxImmediateConflictRetries) {
          this.add(key);
          return { key, outcome: error.kind, error, retryInMs: 0 };
        }
        return { key, outcome: error.kind, error, retryInMs: this.addRateLimited(key) };
      }
      case 'Transient':
        return { key, outcome: error.kind, error, retryInMs: this.addRateLimited(key) };
      case 'NotFound':
      case 'Invalid':
        // Retrying the same input cannot help; the next change to the object brings the key back.
        this.forget(key);
        return { key, outcome: error.kind, error };
    }
  }
}
