import {
  INITIAL_WATCH_HEALTH,
  lastEventAgeMs,
  nextWatchHealth,
  restartDelayMs,
  watchdogRemainingMs,
  type WatchHealth,
  type WatchSignal,
} from '../../../src/kube/watch-health.js';

const NOW = new Date('2026-01-01T00:10:00Z');
const EARLIER = new Date('2026-01-01T00:00:00Z');
const policy = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0 };

describe('nextWatchHealth', () => {
  const failing: WatchHealth = { ...INITIAL_WATCH_HEALTH, synced: true, restarts: 4, consecutiveFailures: 3 };
  it.each<[string, WatchHealth, WatchSignal, Partial<WatchHealth>]>([
    [
      'starting an attempt counts as activity',
      INITIAL_WATCH_HEALTH,
      { type: 'AttemptStarted' },
      { lastActivityAt: NOW, watching: false },
    ],
    [
      'connecting marks synced and watching',
      INITIAL_WATCH_HEALTH,
      { type: 'Connected' },
      { synced: true, watching: true },
    ],
    [
      'connecting does not forgive earlier failures',
      failing,
      { type: 'Connected' },
      { consecutiveFailures: 3 },
    ],
    [
      'an event forgives earlier failures',
      failing,
      { type: 'Event' },
      { consecutiveFailures: 0, restarts: 4 },
    ],
    [
      'a failure counts a restart and keeps the reason',
      { ...failing, watching: true },
      { type: 'Failed', reason: 'ECONNRESET' },
      { watching: false, restarts: 5, consecutiveFailures: 4, lastError: 'ECONNRESET', synced: true },
    ],
  ])('%s', (_name, health, signal, expected) => {
    expect(nextWatchHealth(health, signal, NOW)).toMatchObject(expected);
  });
});

describe('restartDelayMs', () => {
  it.each([
    [0, 1000],
    [1, 1000],
    [2, 2000],
    [4, 8000],
    [20, 60_000],
  ])('after %i consecutive failures waits %i ms', (consecutiveFailures, delay) => {
    expect(restartDelayMs({ ...INITIAL_WATCH_HEALTH, consecutiveFailures }, policy, () => 0.5)).toBe(delay);
  });
});

describe('watchdogRemainingMs', () => {
  it.each([
    ['nothing seen yet: a full timeout', undefined, 600_000, 600_000],
    ['last activity 10 minutes ago with a 15 minute timeout', EARLIER, 900_000, 300_000],
    ['exactly at the timeout: stalled', EARLIER, 600_000, 0],
    ['past the timeout: stalled', EARLIER, 60_000, -540_000],
  ])('%s', (_name, lastActivityAt, timeoutMs, remaining) => {
    const health = lastActivityAt ? { ...INITIAL_WATCH_HEALTH, lastActivityAt } : INITIAL_WATCH_HEALTH;
    expect(watchdogRemainingMs(health, NOW, timeoutMs)).toBe(remaining);
  });
});

describe('lastEventAgeMs', () => {
  it('is unknown before any activity and measured from the injected clock after', () => {
    expect(lastEventAgeMs(INITIAL_WATCH_HEALTH, NOW)).toBeUndefined();
    expect(lastEventAgeMs({ ...INITIAL_WATCH_HEALTH, lastActivityAt: EARLIER }, NOW)).toBe(600_000);
  });
});
