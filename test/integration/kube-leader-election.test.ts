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
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 250,
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
    expect(leaseBefore.spec?.leaseDurationSeconds).toBe(3);

    const releasedAt = Date.now();
    await leader.stop({ release: true });
    await eventually(() => standby.isLeader(), 'the standby to take over');
    // Well before the 3 s lease would have expired: the release let it in.
    expect(Date.now() - releasedAt).toBeLessThan(2500);
    const leaseAfter = await readLease(namespace);
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
    await eventually(() => b.isLeader(), 'replica-b to take over', 10_000);
    expect(Date.now() - vanishedAt).toBeGreaterThanOrEqual(2500);
    expect((await readLease(namespace)).spec?.holderIdentity).toBe('replica-b');
  });
});
