import type { FailureClass } from '../../../../src/controllers/bundle/failure-backoff.js';
import {
  MISSING_REFERENCE_RETRY_MS,
  clusterRefRetryMs,
} from '../../../../src/controllers/cluster-ref/failure-retry.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const RESYNC = 300_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace('.000Z', 'Z');

describe('clusterRefRetryMs', () => {
  it.each<[string, FailureClass, { reason: string; lastTransitionTime: string } | undefined, number]>([
    ['a missing reference: soon', 'MissingReference', undefined, MISSING_REFERENCE_RETRY_MS],
    [
      'a transient error: soon',
      'Transient',
      { reason: 'HTTP503', lastTransitionTime: ago(3_600_000) },
      15_000,
    ],
    ['an invalid spec: the resync', 'InvalidSpec', undefined, RESYNC],
    [
      'a first NameConflict (was Ready): 15 s',
      'NameConflict',
      { reason: 'CAsReady', lastTransitionTime: ago(9e9) },
      15_000,
    ],
    ['a first NameConflict (never had status): 15 s', 'NameConflict', undefined, 15_000],
    [
      'a NameConflict 5 s old: still 15 s',
      'NameConflict',
      { reason: 'NameConflict', lastTransitionTime: ago(5_000) },
      15_000,
    ],
    [
      'a NameConflict 40 s old: 40 s',
      'NameConflict',
      { reason: 'NameConflict', lastTransitionTime: ago(40_000) },
      40_000,
    ],
    [
      'a NameConflict 2 min old: 2 min',
      'NameConflict',
      { reason: 'NameConflict', lastTransitionTime: ago(120_000) },
      120_000,
    ],
    [
      'a NameConflict a day old: the resync',
      'NameConflict',
      { reason: 'NameConflict', lastTransitionTime: ago(86_400_000) },
      RESYNC,
    ],
    [
      'a NameConflict with an unreadable time: 15 s',
      'NameConflict',
      { reason: 'NameConflict', lastTransitionTime: 'garbage' },
      15_000,
    ],
  ])('%s', (_name, failure, ready, expected) => {
    expect(clusterRefRetryMs(failure, ready, NOW, RESYNC)).toBe(expected);
  });

  it('backs off: each retry waits as long as the conflict has lasted, up to the resync', () => {
    const started = NOW.getTime();
    let at = started + 15_000;
    const delays: number[] = [];
    while (at < started + 3_600_000) {
      const delay = clusterRefRetryMs(
        'NameConflict',
        { reason: 'NameConflict', lastTransitionTime: new Date(started).toISOString() },
        new Date(at),
        RESYNC,
      );
      delays.push(delay);
      at += delay;
    }
    expect(delays.slice(0, 5)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000]);
    expect(delays.slice(5).every((delay) => delay === RESYNC)).toBe(true);
    // An hour of conflict costs fewer than 20 passes, not 240 at a fixed 15 s.
    expect(delays.length).toBeLessThan(20);
  });
});
