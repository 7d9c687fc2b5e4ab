import type {
  BundleVersion,
  Condition,
  SecureConnectionBundle,
  SecureConnectionBundleStatus,
} from '../../api/v1alpha1/index.js';
import type { NullableFields } from '../../kube/kube-objects.js';
import { buildConditions, type ObservedConditions } from '../kstatus/conditions.js';
import { statusTime } from '../status-time.js';
import type { FailureOutcome } from './failure-backoff.js';
import type { IssuanceTrigger } from './issuance-policy.js';
import type { VersionRecord } from './bundle-secrets.js';
import { OBJECT_STORE_CONDITION } from './object-store-sync.js';
import { OCI_REPOSITORY_CONDITION } from '../../distribution/oci/oci-sync.js';

/** The version pods have now, as this pass leaves it. */
export interface PublishedVersion {
  record: VersionRecord;
  secretName: string;
  renewalTime: Date;
}

type Status = NullableFields<SecureConnectionBundleStatus>;

/** Clears a recorded failure: merge-patch null removes the field. */
const NO_FAILURE = { failedIssuanceAttempts: null, lastFailureReason: null, lastFailureTime: null } as const;

/** Status after a pass that left a valid version published (whether or not it issued one). */
export function publishedStatus(
  bundle: SecureConnectionBundle,
  published: PublishedVersion,
  versions: BundleVersion[],
  now: Date,
  /** spec.target.objectStore's state, when one is set. */
  objectStore?: Pick<Condition, 'status' | 'reason' | 'message'>,
  /** spec.target.ociRepository's state, when one is set. */
  ociRepository?: Pick<Condition, 'status' | 'reason' | 'message'>,
): Status {
  const { record, secretName, renewalTime } = published;
  const extra = [
    ...(objectStore ? [{ type: OBJECT_STORE_CONDITION, ...objectStore }] : []),
    ...(ociRepository ? [{ type: OCI_REPOSITORY_CONDITION, ...ociRepository }] : []),
  ];
  return {
    ...common(bundle, now, {
      ...(extra.length > 0 ? { extra } : {}),
      ready: {
        status: 'True',
        reason: 'BundleReady',
        message: `version ${record.version} is published in Secret ${secretName}; valid until ${statusTime(record.notAfter)}, renews at ${statusTime(renewalTime)}`,
      },
    }),
    ...versionFields(published),
    versions,
    ...NO_FAILURE,
  };
}

/**
 * Status while spec.suspend is true: nothing is written but status. Ready stays True while a
 * version is published (pods keep working), and the message says what is on hold.
 */
export function suspendedStatus(
  bundle: SecureConnectionBundle,
  published: PublishedVersion | undefined,
  pending: IssuanceTrigger | undefined,
  now: Date,
): Status {
  const onHold = pending ? `; on hold: ${pending.message}` : '';
  return {
    ...common(bundle, now, {
      ready: {
        status: published ? 'True' : 'False',
        reason: 'Suspended',
        message: `spec.suspend is true, so no version is issued or published${onHold}`,
      },
    }),
    ...(published ? versionFields(published) : {}),
  };
}

/** Status after a failed pass: what was published stays recorded; the failure is added. */
export function failedStatus(bundle: SecureConnectionBundle, outcome: FailureOutcome, now: Date): Status {
  const { condition } = outcome;
  const detail = { reason: condition.reason, message: condition.message };
  return {
    ...common(bundle, now, {
      ready: { status: 'False', ...detail },
      ...(condition.type === 'Stalled' ? { stalled: detail } : { reconciling: detail }),
    }),
    ...outcome.status,
  };
}

function common(bundle: SecureConnectionBundle, now: Date, observed: ObservedConditions): Status {
  const generation = bundle.metadata.generation ?? 0;
  return {
    observedGeneration: generation,
    conditions: buildConditions(bundle.status?.conditions, observed, generation, now),
  };
}

function versionFields({ record, secretName, renewalTime }: PublishedVersion): Status {
  return {
    currentVersion: record.version,
    secretName,
    notBefore: statusTime(record.notBefore),
    notAfter: statusTime(record.notAfter),
    renewalTime: statusTime(renewalTime),
  };
}
