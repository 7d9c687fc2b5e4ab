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
  managed: Pick<ManagedClientCA, 'renewBefore'>;
  now: Date;
}

export interface ClientCaRotationPlan {
  /** Make a new intermediate in this pass. */
  rotateNow: boolean;
  renewal: RenewalPlan;
}

/**
 * Rotation of an operator-managed intermediate CA. The new intermediate is made renewBefore
 * ahead of expiry (default one third of its actual lifetime, like client certificates: the
 * lifetime may be shorter than spec intermediateDuration when the root's expiry cut it). Old
 * intermediates stay in the trust bundle until they expire (planTrustBundle): a client certificate
 * never outlives the CA that signed it, so by then nothing they signed is valid either, and
 * Cassandra nodes go on accepting every bundle issued before the rotation (no outage).
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
  return { rotateNow: now.getTime() >= renewal.renewalTime.getTime(), renewal };
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

/** One entry of status.clientCA or status.previousClientCAs, with whole-second timestamps. */
export function certificateSummary(ca: CaCertificateFacts): CertificateSummary {
  return {
    subject: ca.subject,
    serialNumber: ca.serialNumber,
    sha256Fingerprint: ca.sha256Fingerprint,
    notBefore: statusTime(ca.notBefore),
    notAfter: statusTime(ca.notAfter),
  };
}
