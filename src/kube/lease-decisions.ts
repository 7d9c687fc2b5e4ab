/**
 * Pure rules of Lease-based leader election, in the manner of client-go's leaderelection package.
 * Expiry is judged by when *we* last saw the lease change on our own clock, never by the holder's
 * `renewTime`, so clock skew between nodes cannot make a live leader look expired.
 */

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions?: number;
  /** For optimistic concurrency: a write with a stale version fails with 409. */
  resourceVersion: string;
}

export type LeaseSpec = Omit<LeaseRecord, 'resourceVersion'>;

/** A lease as we saw it, and when (local clock) we first saw this version of it. */
export interface ObservedLease {
  record: LeaseRecord;
  observedAt: Date;
}

export type LeaseAction =
  | { action: 'Create' }
  | { action: 'Renew' }
  | { action: 'TakeOver'; because: 'Released' | 'Expired' }
  | { action: 'Wait'; holder: string; expiresAt: Date };

/** Keep the time we first saw a version; a new resourceVersion restarts the expiry clock. */
export function observeLease(
  previous: ObservedLease | undefined,
  record: LeaseRecord,
  now: Date,
): ObservedLease {
  return previous && previous.record.resourceVersion === record.resourceVersion
    ? previous
    : { record, observedAt: now };
}

/** Should this candidate create, renew or take over the lease, or wait for the holder? */
export function decideLeaseAction(input: {
  observed: ObservedLease | undefined;
  identity: string;
  now: Date;
  leaseDurationMs: number;
}): LeaseAction {
  const { observed, identity, now } = input;
  if (!observed) return { action: 'Create' };
  const holder = observed.record.holderIdentity ?? '';
  if (holder === identity) return { action: 'Renew' };
  if (holder === '') return { action: 'TakeOver', because: 'Released' };
  const durationMs =
    observed.record.leaseDurationSeconds !== undefined
      ? observed.record.leaseDurationSeconds * 1000
      : input.leaseDurationMs;
  const expiresAt = new Date(observed.observedAt.getTime() + durationMs);
  if (expiresAt.getTime() <= now.getTime()) return { action: 'TakeOver', because: 'Expired' };
  return { action: 'Wait', holder, expiresAt };
}

/** The lease spec to write for an action that claims the lease. */
export function claimedLease(
  action: 'Create' | 'Renew' | 'TakeOver',
  current: LeaseRecord | undefined,
  identity: string,
  now: Date,
  leaseDurationMs: number,
): LeaseSpec {
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  if (action === 'Renew' && current) {
    return {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: current.acquireTime ?? now,
      renewTime: now,
      leaseTransitions: current.leaseTransitions ?? 0,
    };
  }
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: action === 'Create' ? 0 : (current?.leaseTransitions ?? 0) + 1,
  };
}

/** On graceful shutdown: an empty holder lets the next candidate take over without waiting. */
export function releasedLease(current: LeaseRecord, now: Date): LeaseSpec {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}

/** A leader that has not renewed within the renew deadline must stop acting as leader. */
export function isStillLeading(lastRenewedAt: Date, now: Date, renewDeadlineMs: number): boolean {
  return now.getTime() - lastRenewedAt.getTime() < renewDeadlineMs;
}
