import { backoffDelayMs, type BackoffPolicy } from './backoff.js';

/**
 * The state of one resilient watch, and the pure rules that decide when it is stalled and how long
 * to wait before the next restart. The informer feeds it signals; readiness and metrics read it.
 */
export interface WatchHealth {
  /** A complete list has been delivered at least once, so the cache can be trusted. */
  synced: boolean;
  /** The current attempt has listed and holds an open watch. */
  watching: boolean;
  /** Attempts abandoned after an error or a stall (a relist after 410 Gone is not a restart). */
  restarts: number;
  /** Failures since the watch last delivered an event; drives the restart backoff. */
  consecutiveFailures: number;
  /** Last sign of life: attempt start, (re)connect, event or bookmark. */
  lastActivityAt?: Date;
  lastError?: string;
}

export type WatchSignal =
  { type: 'AttemptStarted' } | { type: 'Connected' } | { type: 'Event' } | { type: 'Failed'; reason: string };

export const INITIAL_WATCH_HEALTH: WatchHealth = {
  synced: false,
  watching: false,
  restarts: 0,
  consecutiveFailures: 0,
};

export function nextWatchHealth(health: WatchHealth, signal: WatchSignal, now: Date): WatchHealth {
  switch (signal.type) {
    case 'AttemptStarted':
      // Starting counts as activity so a list that hangs is caught by the same watchdog.
      return { ...health, watching: false, lastActivityAt: now };
    case 'Connected':
      return { ...health, synced: true, watching: true, lastActivityAt: now };
    case 'Event':
      // Only delivered events prove the watch works: a watch that connects and fails at once
      // (e.g. RBAC allows list but not watch) keeps backing off instead of relisting every second.
      return { ...health, consecutiveFailures: 0, lastActivityAt: now };
    case 'Failed':
      return {
        ...health,
        watching: false,
        restarts: health.restarts + 1,
        consecutiveFailures: health.consecutiveFailures + 1,
        lastError: signal.reason,
      };
  }
}

export function restartDelayMs(health: WatchHealth, policy: BackoffPolicy, random: () => number): number {
  return backoffDelayMs(Math.max(1, health.consecutiveFailures), policy, random);
}

/** Milliseconds until the watchdog should declare the watch stalled; zero or less means now. */
export function watchdogRemainingMs(health: WatchHealth, now: Date, timeoutMs: number): number {
  if (!health.lastActivityAt) return timeoutMs;
  return health.lastActivityAt.getTime() + timeoutMs - now.getTime();
}

export function lastEventAgeMs(health: WatchHealth, now: Date): number | undefined {
  return health.lastActivityAt ? Math.max(0, now.getTime() - health.lastActivityAt.getTime()) : undefined;
}
