import { InvalidInputError, NameConflictError } from '../../errors.js';
import { backoffDelayMs, type BackoffPolicy } from '../../kube/backoff.js';
import { classifyError } from '../../kube/errors.js';
import { statusTime } from '../status-time.js';

/**
 * What a failed issuance means for the next attempt (ENGINEERING lesson 8):
 * - InvalidSpec: the spec (or a referenced object's content) is wrong; only an edit helps.
 * - MissingReference: a referenced Secret, ConfigMap or CassandraClusterRef does not exist yet,
 *   or the CassandraClusterRef is not Ready. Retried with backoff like Transient: such objects
 *   often appear moments later (cert-manager, GitOps ordering), and they are not watched.
 * - AccessDenied: the cluster's spec.access does not allow this namespace.
 * - Transient: the API server, network or object store may recover; retry with backoff.
 * - NameConflict: a name the operator would write is held by an object it does not control for
 *   this resource. Stalled (someone must rename or remove), but retried with backoff like
 *   Transient, since the holder going away is not an event we watch.
 * - Conflict: someone wrote first (HTTP 409). Not a failure: re-read and retry at once, uncounted.
 */
export type FailureClass =
  'InvalidSpec' | 'MissingReference' | 'AccessDenied' | 'NameConflict' | 'Transient' | 'Conflict';

export interface IssuanceFailure {
  class: FailureClass;
  /** CamelCase, e.g. ServerCANotFound; becomes lastFailureReason and the condition reason. */
  reason: string;
  /** Safe to show: names the field or object to fix, never a secret value. */
  message: string;
}

/** Failures that are counted in status. */
export type CountedFailure = IssuanceFailure & { class: Exclude<FailureClass, 'Conflict'> };

/**
 * Transient retries: 5 s doubling to a 5 min cap. Issuance talks to the API server and maybe an
 * object store; most of their hiccups pass within seconds, and 5 min keeps a long outage from
 * costing more than a request per bundle every few minutes. Jitter (up to 20% shorter, never
 * longer) spreads the retries of many bundles that failed together, e.g. in an API server restart.
 */
export const ISSUANCE_BACKOFF: BackoffPolicy = { initialMs: 5_000, maxMs: 300_000, factor: 2, jitter: 0.2 };

/**
 * A Stalled bundle is retried when its inputs change, and otherwise every 10 minutes as a safety
 * net: a spec edit arrives as a watch event, but a created Secret or a relabelled namespace does
 * not (we watch only objects we own), so this bounds how long such a fix goes unnoticed.
 */
export const STALLED_RESYNC_MS = 600_000;

export interface FailureOutcome {
  /** The status fields to write. */
  status: { failedIssuanceAttempts: number; lastFailureReason: string; lastFailureTime: string };
  /** Stalled: someone must change something. Reconciling: the operator keeps trying. */
  condition: { type: 'Stalled' | 'Reconciling'; reason: string; message: string };
  retryAfterMs: number;
}

/**
 * Records a failed attempt and when to try again. `random` returns a number in [0, 1) for the
 * jitter (injected so tests choose it).
 */
export function recordIssuanceFailure(
  previousAttempts: number | undefined,
  failure: CountedFailure,
  now: Date,
  random: () => number,
): FailureOutcome {
  const attempts = (previousAttempts ?? 0) + 1;
  const status = {
    failedIssuanceAttempts: attempts,
    lastFailureReason: failure.reason,
    lastFailureTime: statusTime(now),
  };
  const detail = { reason: failure.reason, message: failure.message };
  if (failure.class === 'Transient' || failure.class === 'MissingReference') {
    return {
      status,
      condition: { type: 'Reconciling', ...detail },
      retryAfterMs: backoffDelayMs(attempts, ISSUANCE_BACKOFF, random),
    };
  }
  const retryAfterMs =
    failure.class === 'NameConflict' ? backoffDelayMs(attempts, ISSUANCE_BACKOFF, random) : STALLED_RESYNC_MS;
  return { status, condition: { type: 'Stalled', ...detail }, retryAfterMs };
}

/** What status says about the last failure, as the next pass reads it back. */
export interface RecordedFailure {
  failedIssuanceAttempts: number;
  lastFailureTime: Date;
  /** The Stalled condition is present. */
  stalled: boolean;
}

/**
 * The earliest instant another issuance attempt may start. Without this gate every watch event
 * (our own status write included) would retry at once and count another failure. Stalled: right
 * away when the inputs changed (the I/O compares generation and referenced objects), else after
 * the safety resync. Transient: after the shortest delay the jittered backoff could have chosen,
 * so a requeue that jitter made early is never turned away.
 */
export function issuanceRetryAt(recorded: RecordedFailure, inputsChanged: boolean): Date {
  const failedAt = recorded.lastFailureTime.getTime();
  if (recorded.stalled) return new Date(inputsChanged ? failedAt : failedAt + STALLED_RESYNC_MS);
  const shortest = backoffDelayMs(recorded.failedIssuanceAttempts, ISSUANCE_BACKOFF, () => 1);
  return new Date(failedAt + shortest);
}

/**
 * Classifies an error thrown while issuing. Our own InvalidInputError is an invalid spec unless
 * its reason ends in NotFound or NotReady (a referenced object is missing or not usable yet); Kubernetes errors follow
 * classifyError, where a 404 means an object we read does not exist. Only messages from sources
 * that never carry secrets reach status: ours, the API server's and socket errors'. Any other
 * error (a bug, a library failure) gets a generic message; its details belong in the log.
 */
export function classifyIssuanceError(error: unknown): IssuanceFailure {
  if (error instanceof NameConflictError) {
    return { class: 'NameConflict', reason: error.reason, message: error.message };
  }
  if (error instanceof InvalidInputError) {
    const missing = error.reason.endsWith('NotFound') || error.reason.endsWith('NotReady');
    return {
      class: missing ? 'MissingReference' : 'InvalidSpec',
      reason: error.reason,
      message: error.message,
    };
  }
  const classified = classifyError(error);
  const { kind, status } = classified;
  if (kind === 'Conflict') return { class: 'Conflict', reason: 'Conflict', message: classified.message };
  if (kind === 'NotFound')
    return { class: 'MissingReference', reason: 'NotFound', message: classified.message };
  const reason =
    classified.reason && CAMEL_CASE.test(classified.reason)
      ? classified.reason
      : status !== undefined
        ? `HTTP${status}`
        : classified.reason !== undefined
          ? 'NetworkError'
          : 'InternalError';
  const message =
    status === undefined && classified.reason === undefined
      ? 'unexpected error while issuing; see the operator log'
      : classified.message;
  return { class: kind === 'Invalid' ? 'InvalidSpec' : 'Transient', reason, message };
}

const CAMEL_CASE = /^[A-Z][a-z][A-Za-z0-9]*$/;
