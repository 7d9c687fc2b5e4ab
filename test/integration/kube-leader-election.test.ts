/**
 * Leader election on a real coordination.k8s.io/v1 Lease: one of two candidates leads, the other
 * takes over when the leader releases on shutdown, or after the lease expires when it vanishes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { coordinationLeaseApi } from '../../src/kube/lease-api.js';
import { systemTimers } from '../../src/time/timers.js';
import { systemClock } from '../../src/time/clock.js';
import { createTestNamespace, kubeConfig, kubeHttp } from '../support/kube.js';

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('LeaderElector on the real apiserver', () => {
  const coordination = () => kubeConfig().makeApiClient(CoordinationV1Api);
  const electors: LeaderElector[] = [];

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((elector) => elector.stop({ release: false })));
  });

  function candidate(namespace: string, identity: string) {
    const elector = new LeaderElector({
      api: coordinationLeaseApi(kubeHttp(), namespace, 'scb-operator-leader'),
      identity,
      clock: systemClock,
      timers: systemTimers,
      // Long enough that a standby let in by the release (its next retry, under a second) is told
      // apart from one let in by expiry even when a busy machine delays timers by seconds.
      leaseDurationMs: 10_000,
      renewDeadlineMs: 6000,
      retryPeriodMs: 500,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
    electors.push(elector);
    return elector;
  }

  const readLease = (namespace: string) =>
    coordination().readNamespacedLease({ namespace, name: 'scb-operator-leader' });

  it('one of two candidates leads; the other takes over at once when the leader releases', async () => {
    const namespace = await createTestNamespace('leader-release');
    const a = candidate(namespace, 'replica-a');
    const b = candidate(namespace, 'replica-b');
    a.start();
    b.start();
    await eventually(() => a.isLeader() || b.isLeader(), 'a leader');
    await sleep(1000);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    const leaseBefore = await readLease(namespace);
    expect(leaseBefore.spec?.holderIdentity).toBe(a.isLeader() ? 'replica-a' : 'replica-b');
    expect(leaseBefore.spec?.leaseDurationSeconds).toBe(10);

    const releasedAt = Date.now();
    await leader.stop({ release: true });
    await eventually(() => standby.isLeader(), 'the standby to take over');
    const leaseAfter = await readLease(namespace);
    // The standby's own acquire time, not when this test noticed: before the 10 s lease of the
    // last renewal (at most one retry period before the stop) could have expired.
    const acquiredAt = new Date(leaseAfter.spec?.acquireTime ?? 0).getTime();
    expect(acquiredAt - releasedAt).toBeLessThan(9000);
    expect(leaseAfter.spec?.holderIdentity).toBe(a.isLeader() ? 'replica-a' : 'replica-b');
    expect(leaseAfter.spec?.leaseTransitions).toBe(1);
  });

  it('a leader that disappears without releasing is replaced after the lease expires', async () => {
    const namespace = await createTestNamespace('leader-expiry');
    const a = candidate(namespace, 'replica-a');
    a.start();
    await eventually(() => a.isLeader(), 'replica-a to lead');
    const b = candidate(namespace, 'replica-b');
    b.start();
    await sleep(500);
    expect(b.isLeader()).toBe(false);

    const vanishedAt = Date.now();
    await a.stop({ release: false });
    await eventually(() => b.isLeader(), 'replica-b to take over', 60_000);
    // Not before the lease of a's last renewal (at most one retry period before) expired.
    expect(Date.now() - vanishedAt).toBeGreaterThanOrEqual(9500);
    expect((await readLease(namespace)).spec?.holderIdentity).toBe('replica-b');
  });
});
