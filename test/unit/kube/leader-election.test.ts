import { ApiException } from '@kubernetes/client-node';
import { LeaderElector, type LeaderElectionOptions } from '../../../src/kube/leader-election.js';
import type { ClassifiedError } from '../../../src/kube/errors.js';
import { InMemoryLeaseApi } from './in-memory-lease-api.js';
import { ManualTime, settle } from './manual-time.js';

function candidate(
  identity: string,
  api: InMemoryLeaseApi,
  time: ManualTime,
  overrides: Partial<LeaderElectionOptions> = {},
) {
  const log: string[] = [];
  const failures: ClassifiedError[] = [];
  const elector = new LeaderElector({
    api,
    identity,
    clock: time,
    timers: time,
    random: () => 0,
    onStartedLeading: () => log.push('started'),
    onStoppedLeading: () => {
      log.push('stopped');
    },
    onAttemptFailed: (error) => failures.push(error),
    ...overrides,
  });
  return { elector, log, failures };
}

describe('LeaderElector', () => {
  it('creates the lease, leads, and renews it every retry period', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    a.elector.start();
    await settle();
    expect(a.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['started']);
    expect(api.stored).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });

    await time.advance(2000);
    expect(api.stored?.renewTime).toEqual(time.now());
    await time.advance(60_000);
    expect(a.log).toEqual(['started']);
    expect(api.writes).toBe(32);
  });

  it('two candidates started together: exactly one leads, the loser of the race sees a 409', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    const b = candidate('b', api, time);
    a.elector.start();
    b.elector.start();
    await settle();
    await time.advance(20_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(b.failures[0]).toMatchObject({ kind: 'Conflict', status: 409 });
    expect(b.log).toEqual([]);
  });

  it('on graceful stop the leader stops its controllers, then releases; the standby takes over at once', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const order: string[] = [];
    const a = candidate('a', api, time, {
      onStoppedLeading: async () => {
        order.push(`controllers stopped, lease held by ${api.stored?.holderIdentity}`);
      },
    });
    const b = candidate('b', api, time);
    a.elector.start();
    await settle();
    b.elector.start();
    await time.advance(10_000);

    await a.elector.stop({ release: true });
    expect(order).toEqual(['controllers stopped, lease held by a']);
    expect(api.stored?.holderIdentity).toBe('');

    await time.advance(2000);
    expect(b.elector.isLeader()).toBe(true);
    expect(api.stored).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that vanishes without releasing is replaced only after the lease duration', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    const b = candidate('b', api, time);
    a.elector.start();
    await settle();
    b.elector.start();
    await settle();
    await a.elector.stop({ release: false });
    const lastRenewal = time.now().getTime();

    await time.advance(14_000);
    expect(b.elector.isLeader()).toBe(false);
    await time.advance(4000);
    expect(b.elector.isLeader()).toBe(true);
    expect(time.now().getTime() - lastRenewal).toBeGreaterThanOrEqual(15_000);
  });

  it('stops leading when renewals keep failing past the renew deadline, and competes again after', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    a.elector.start();
    await settle();
    api.failure = new ApiException(503, 'Unavailable', undefined, {});

    expect(a.elector.reachesLease()).toBe(true);
    await time.advance(8000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.reachesLease()).toBe(false);
    await time.advance(2000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(a.failures.every((failure) => failure.kind === 'Transient')).toBe(true);

    api.failure = undefined;
    await time.advance(2000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.reachesLease()).toBe(true);
    expect(a.log).toEqual(['started', 'stopped', 'started']);
  });

  it('stops leading within the renew deadline even when the API call hangs', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    a.elector.start();
    await settle();
    api.hanging = true;

    await time.advance(9999);
    expect(a.elector.isLeader()).toBe(true);
    await time.advance(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);
    await time.advance(2000);
    expect(a.failures).toContainEqual({ kind: 'Transient', message: 'lease request timed out' });
  });

  it('stops leading at once when it sees someone else holding the lease', async () => {
    const time = new ManualTime();
    const api = new InMemoryLeaseApi();
    const a = candidate('a', api, time);
    a.elector.start();
    await settle();
    api.stored = { ...api.stored, holderIdentity: 'intruder', resourceVersion: 'x' };

    await time.advance(2000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);
  });

  it.each([
    [{ leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }, /leaseDurationMs/],
    [{ renewDeadlineMs: 2000, retryPeriodMs: 2000 }, /renewDeadlineMs/],
    [{ identity: ' ' }, /identity/],
  ])('rejects inconsistent settings %j, naming the field', (overrides, message) => {
    const time = new ManualTime();
    expect(() => candidate('a', new InMemoryLeaseApi(), time, overrides)).toThrow(message);
  });
});
