import type { Condition } from '../../api/v1alpha1/index.js';
import type { FailureClass } from '../bundle/failure-backoff.js';

/** A missing Secret or ConfigMap often appears moments later (GitOps ordering, cert-manager). */
export const MISSING_REFERENCE_RETRY_MS = 15_000;

/**
 * When a cluster ref that failed is looked at again.
 * - MissingReference, Transient: soon; such objects are not watched and often appear moments later.
 * - NameConflict: the holder going away is not an event we see (it need not carry our label), so
 *   it is retried, backing off without a counter: after as long as the cluster ref has already
 *   not been Ready (the Ready condition's age, once its reason is NameConflict), at least 15 s, at
 *   most the resync. A conflict that lasts for hours costs a few reads per resync and no write.
 * - InvalidSpec and the rest: the resync; a spec edit arrives as a watch event anyway.
 */
export function clusterRefRetryMs(
  failure: FailureClass,
  previousReady: Pick<Condition, 'reason' | 'lastTransitionTime'> | undefined,
  now: Date,
  resyncMs: number,
): number {
  if (failure === 'MissingReference' || failure === 'Transient') return MISSING_REFERENCE_RETRY_MS;
  if (failure !== 'NameConflict') return resyncMs;
  const since =
    previousReady?.reason === 'NameConflict' ? Date.parse(previousReady.lastTransitionTime ?? '') : NaN;
  const lasted = Number.isNaN(since) ? 0 : now.getTime() - since;
  return Math.min(resyncMs, Math.max(MISSING_REFERENCE_RETRY_MS, lasted));
}
