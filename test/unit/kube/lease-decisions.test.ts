import {
  claimedLease,
  decideLeaseAction,
  isStillLeading,
  observeLease,
  releasedLease,
  type LeaseAction,
  type LeaseRecord,
  type ObservedLease,
} from '../../../src/kube/lease-decisions.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const held = (holderIdentity: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  renewTime: T0,
  acquireTime: T0,
  leaseTransitions: 2,
  resourceVersion: '7',
  ...extra,
});
const seen = (record: LeaseRecord, observedAt = T0): ObservedLease => ({ record, observedAt });

describe('decideLeaseAction', () => {
  it.each<[string, ObservedLease | undefined, Date, LeaseAction]>([
    ['no lease yet: create it', undefined, T0, { action: 'Create' }],
    ['we hold it: renew', seen(held('me')), at(100), { action: 'Renew' }],
    [
      'holder released it: take over at once',
      seen(held('')),
      at(0),
      { action: 'TakeOver', because: 'Released' },
    ],
    [
      'no holder field at all: take over',
      seen(held('', { holderIdentity: undefined })),
      T0,
      { action: 'TakeOver', because: 'Released' },
    ],
    [
      'other holder, lease still valid: wait',
      seen(held('other')),
      at(14.999),
      { action: 'Wait', holder: 'other', expiresAt: at(15) },
    ],
    [
      'other holder, lease expired on our clock: take over',
      seen(held('other')),
      at(15),
      { action: 'TakeOver', because: 'Expired' },
    ],
    [
      "holder's renewTime is in the far past (skewed clock) but we saw it change just now: wait",
      seen(held('other', { renewTime: new Date('2020-01-01T00:00:00Z') }), at(100)),
      at(101),
      { action: 'Wait', holder: 'other', expiresAt: at(115) },
    ],
    [
      'the lease says how long it lasts; that wins over our default',
      seen(held('other', { leaseDurationSeconds: 60 })),
      at(59),
      { action: 'Wait', holder: 'other', expiresAt: at(60) },
    ],
    [
      'no duration in the lease: our default applies',
      seen(held('other', { leaseDurationSeconds: undefined })),
      at(30),
      { action: 'TakeOver', because: 'Expired' },
    ],
  ])('%s', (_name, observed, now, expected) => {
    expect(decideLeaseAction({ observed, identity: 'me', now, leaseDurationMs: 30_000 })).toEqual(expected);
  });
});

describe('observeLease', () => {
  it('keeps the first sighting of an unchanged version, so a dead leader expires', () => {
    const first = observeLease(undefined, held('other'), T0);
    expect(observeLease(first, held('other'), at(10)).observedAt).toEqual(T0);
  });

  it('restarts the expiry clock when the version changes (the holder renewed)', () => {
    const first = observeLease(undefined, held('other'), T0);
    expect(observeLease(first, held('other', { resourceVersion: '8' }), at(10)).observedAt).toEqual(at(10));
  });
});

describe('claimedLease', () => {
  it('a new lease starts with zero transitions', () => {
    expect(claimedLease('Create', undefined, 'me', T0, 15_000)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: T0,
      renewTime: T0,
      leaseTransitions: 0,
    });
  });

  it('renewing keeps acquireTime and transitions and moves renewTime', () => {
    expect(claimedLease('Renew', held('me'), 'me', at(2), 15_000)).toMatchObject({
      acquireTime: T0,
      renewTime: at(2),
      leaseTransitions: 2,
    });
  });

  it('taking over counts a transition and restarts acquireTime', () => {
    expect(claimedLease('TakeOver', held('other'), 'me', at(20), 15_500)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 16,
      acquireTime: at(20),
      renewTime: at(20),
      leaseTransitions: 3,
    });
  });

  it('a released lease has no holder and keeps the transition count', () => {
    expect(releasedLease(held('me'), at(5))).toMatchObject({ holderIdentity: '', leaseTransitions: 2 });
  });
});

describe('isStillLeading', () => {
  it.each([
    [9.999, true],
    [10, false],
    [60, false],
  ])('%ss after the last renewal with a 10s deadline -> %s', (seconds, leading) => {
    expect(isStillLeading(T0, at(seconds), 10_000)).toBe(leading);
  });
});
