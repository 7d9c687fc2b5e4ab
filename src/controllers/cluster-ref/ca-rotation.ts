import type { CertificateSummary, ManagedClientCA } from '../../api/v1alpha1/index.js';
import { parseDuration } from '../../time/duration.js';
import { planRenewal, type CertificateValidity, type RenewalPlan } from '../certificate-renewal.js';
import { statusTime } from '../status-time.js';

/** One CA certificate as the gather step read it (never the key). */
export interface CaCertificateFacts extends CertificateValidity {
  sha256Fingerprint: string;
  subject: string;
  serialNumber: string;
}

export interface ClientCaRotationInput {
  /** The intermediate that signs client certificates now. */
  current: CaCertificateFacts;
  /** Earlier intermediates from status.previousClientCAs (any order, maybe expired, maybe repeated). */
  previous: readonly CaCertificateFacts[];
  managed: Pick<ManagedClientCA, 'renewBefore'>;
  now: Date;
}

export interface ClientCaRotationPlan {
  /** Make a new intermediate in this pass. */
  rotateNow: boolean;
  renewal: RenewalPlan;
  /** The trust bundle: current first, then still-valid previous ones, newest expiry first. */
  trusted: CaCertificateFacts[];
  /** status.previousClientCAs: `trusted` without the current one. */
  previousClientCAs: CertificateSummary[];
  /** Look again at the intermediate's renewal or when a previous CA leaves the trust bundle. */
  requeueAt: Date;
}

/**
 * Rotation of an operator-managed intermediate CA. The new intermediate is made renewBefore
 * ahead of expiry (default one third of its actual lifetime, like client certificates: the
 * lifetime may be shorter than spec intermediateDuration when the root's expiry cut it). Old
 * intermediates stay in the trust bundle until they expire: a client certificate never outlives
 * the CA that signed it, so by then nothing they signed is valid either, and Cassandra nodes can
 * go on accepting every bundle issued before the rotation (overlapping trust, no outage).
 */
export function planClientCaRotation(input: ClientCaRotationInput): ClientCaRotationPlan {
  const { current, now } = input;
  const renewBefore = input.managed.renewBefore;
  const renewal = planRenewal(
    current,
    renewBefore === undefined
      ? undefined
      : {
          renewBeforeSeconds: parseDuration(renewBefore, 'spec.clientCA.managed.renewBefore'),
          basis: 'RenewBefore',
        },
  );
  const rotateNow = now.getTime() >= renewal.renewalTime.getTime();
  const trusted = trustedCertificates(current, input.previous, now);
  const nextExpiry = trusted
    .slice(1)
    .map((ca) => ca.notAfter.getTime())
    .reduce((earliest, t) => Math.min(earliest, t), Number.POSITIVE_INFINITY);
  const requeueAt = rotateNow ? now : new Date(Math.min(renewal.renewalTime.getTime(), nextExpiry));
  return {
    rotateNow,
    renewal,
    trusted,
    previousClientCAs: trusted.slice(1).map(summary),
    requeueAt,
  };
}

/**
 * The CA certificates to publish: the current one first (it is what new bundles chain to), then
 * previous ones still valid at `now`, latest expiry first and by fingerprint on ties, so the
 * ConfigMap's content changes only when the set does. A certificate appears once however often
 * it is listed.
 */
export function trustedCertificates(
  current: CaCertificateFacts,
  previous: readonly CaCertificateFacts[],
  now: Date,
): CaCertificateFacts[] {
  const seen = new Set([current.sha256Fingerprint]);
  const stillValid = previous.filter((ca) => {
    if (seen.has(ca.sha256Fingerprint) || ca.notAfter.getTime() <= now.getTime()) return false;
    seen.add(ca.sha256Fingerprint);
    return true;
  });
  stillValid.sort(
    (a, b) =>
      b.notAfter.getTime() - a.notAfter.getTime() ||
      (a.sha256Fingerprint < b.sha256Fingerprint ? -1 : a.sha256Fingerprint > b.sha256Fingerprint ? 1 : 0),
  );
  return [current, ...stillValid];
}

function summary(ca: CaCertificateFacts): CertificateSummary {
  return {
    subject: ca.subject,
    serialNumber: ca.serialNumber,
    sha256Fingerprint: ca.sha256Fingerprint,
    notBefore: statusTime(ca.notBefore),
    notAfter: statusTime(ca.notAfter),
  };
}
