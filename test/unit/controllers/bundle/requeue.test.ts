import type { BundleVersion } from '../../../../src/api/v1alpha1/index.js';
import { nextRequeue, type RequeueInput } from '../../../../src/controllers/bundle/requeue.js';

const NOW = new Date('2025-03-01T12:00:00.250Z');
const later = (ms: number): Date => new Date(NOW.getTime() + ms);
const HOUR = 3_600_000;
const deprecated = (expiresAt: string): BundleVersion => ({ version: 1, state: 'Deprecated', expiresAt });

describe('nextRequeue', () => {
  it.each<[string, Partial<RequeueInput>, number, string]>([
    ['nothing scheduled: the 10 h safety resync', {}, 10 * HOUR, 'SafetyResync'],
    ['renewal in 2 h', { renewalTime: new Date('2025-03-01T14:00:00Z') }, 2 * HOUR, 'Renewal'],
    ['renewal in 30 days: capped at 10 h', { renewalTime: later(720 * HOUR) }, 10 * HOUR, 'SafetyResync'],
    [
      'a Deprecated version expiring first',
      { renewalTime: later(5 * HOUR), versions: [deprecated('2025-03-01T13:00:00Z')] },
      HOUR,
      'VersionExpiry',
    ],
    [
      'an already Expired or Archived version is no event',
      { versions: [{ version: 1, state: 'Expired', expiresAt: '2025-03-01T13:00:00Z' }] },
      10 * HOUR,
      'SafetyResync',
    ],
    ['a backoff retry in 20 s', { renewalTime: later(HOUR), retryAt: later(20_000) }, 20_000, 'Retry'],
    ['a retry due now: at once, never negative', { retryAt: later(-5_000) }, 0, 'Retry'],
    [
      'a past renewal (blocked by suspend) is ignored rather than looped on',
      { renewalTime: later(-HOUR), versions: [deprecated('2025-02-01T00:00:00Z')] },
      10 * HOUR,
      'SafetyResync',
    ],
    [
      'rounded up to whole seconds: wakes at or after the instant',
      { renewalTime: later(1_500) },
      2_000,
      'Renewal',
    ],
  ])('%s', (_name, input, delayMs, cause) => {
    expect(
      nextRequeue({ now: NOW, renewalTime: undefined, versions: [], retryAt: undefined, ...input }),
    ).toEqual({
      delayMs,
      cause,
    });
  });
});
