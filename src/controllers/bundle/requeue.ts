import type { BundleVersion } from '../../api/v1alpha1/index.js';
import { parseStatusTime } from '../status-time.js';

/** The longest a bundle goes unseen: a safety net for missed events, not the schedule. */
export const SAFETY_RESYNC_MS = 10 * 3_600_000;

export interface RequeueInput {
  now: Date;
  /** status.renewalTime of the current version (none while suspended or before the first). */
  renewalTime: Date | undefined;
  /** status.versions after this pass: Deprecated versions turn Expired at expiresAt. */
  versions: readonly BundleVersion[];
  /** When a failed issuance may be retried (from failure-backoff), if one failed. */
  retryAt: Date | undefined;
}

export type RequeueCause = 'Renewal' | 'VersionExpiry' | 'Retry' | 'SafetyResync';

export interface Requeue {
  delayMs: number;
  cause: RequeueCause;
}

/**
 * When to look at the bundle again: the earliest of its renewal time, a Deprecated version's
 * expiry and a pending retry, capped by the safety resync. Scheduled instants that are not in
 * the future were already acted on in this pass (or are blocked, e.g. by suspend), so they do
 * not count: counting them would spin the reconcile in a loop. A retry at or before now means
 * "again at once" and gives 0. Delays are rounded up to whole seconds, so the pass wakes at or
 * just after the instant and finds it due, never a few milliseconds early.
 */
export function nextRequeue(input: RequeueInput): Requeue {
  const now = input.now.getTime();
  const candidates: Array<[RequeueCause, number]> = [];
  if (input.retryAt) candidates.push(['Retry', Math.max(now, input.retryAt.getTime())]);
  const renewal = input.renewalTime?.getTime();
  if (renewal !== undefined && renewal > now) candidates.push(['Renewal', renewal]);
  const expiry = nextDeprecatedExpiry(input.versions, now);
  if (expiry !== undefined) candidates.push(['VersionExpiry', expiry]);
  // Last, so a scheduled instant that coincides with the cap keeps its own cause.
  candidates.push(['SafetyResync', now + SAFETY_RESYNC_MS]);
  const [cause, at] = candidates.reduce((earliest, candidate) =>
    candidate[1] < earliest[1] ? candidate : earliest,
  );
  return { delayMs: Math.ceil((at - now) / 1000) * 1000, cause };
}

function nextDeprecatedExpiry(versions: readonly BundleVersion[], now: number): number | undefined {
  let earliest: number | undefined;
  for (const entry of versions) {
    if (entry.state !== 'Deprecated' || entry.expiresAt === undefined) continue;
    const at = parseStatusTime(
      entry.expiresAt,
      `status.versions[version=${entry.version}].expiresAt`,
    ).getTime();
    if (at > now && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}
