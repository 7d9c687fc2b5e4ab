/**
 * When to replace a certificate, shared by client certificates (bundle versions) and the managed
 * intermediate CA. Whole seconds throughout: renewalTime is written to status and the requeue is
 * scheduled for exactly that second (ENGINEERING lesson 4).
 */
export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
}

export type RenewalBasis =
  'RenewBefore' | 'RenewBeforePercentage' | 'Default' | 'RenewBeforeNotBelowLifetime';

export interface RenewalPlan {
  renewalTime: Date;
  /** How renewalTime was chosen; RenewBeforeNotBelowLifetime means the request was ignored. */
  basis: RenewalBasis;
  /** Seconds before notAfter that renewalTime lies. */
  renewBeforeSeconds: number;
}

/** Whole seconds of validity (X.509 times have no fractions; floor keeps us on the safe side). */
export function lifetimeSeconds(validity: CertificateValidity): number {
  return Math.max(0, Math.floor((validity.notAfter.getTime() - validity.notBefore.getTime()) / 1000));
}

/** One third of the lifetime before expiry: renew when two thirds have passed (cert-manager's default). */
export function defaultRenewBeforeSeconds(lifetime: number): number {
  return Math.ceil(lifetime / 3);
}

/**
 * renewalTime = notAfter - renewBefore, in whole seconds. A requested renewBefore that is not
 * shorter than the actual lifetime (e.g. the CA cut the certificate to its own expiry) would put
 * renewal at or before notBefore and re-issue in a loop, so it falls back to the default; the
 * basis says so, for a status message. renewBefore is rounded up so renewal is never later than
 * asked for.
 */
export function planRenewal(
  validity: CertificateValidity,
  requested: { renewBeforeSeconds: number; basis: 'RenewBefore' | 'RenewBeforePercentage' } | undefined,
): RenewalPlan {
  const lifetime = lifetimeSeconds(validity);
  const notAfterSeconds = Math.floor(validity.notAfter.getTime() / 1000);
  const asked = requested && Math.ceil(requested.renewBeforeSeconds);
  const usable = requested && asked !== undefined && asked > 0 && asked < lifetime;
  const renewBeforeSeconds = usable ? asked : defaultRenewBeforeSeconds(lifetime);
  const basis: RenewalBasis = usable
    ? requested.basis
    : requested
      ? 'RenewBeforeNotBelowLifetime'
      : 'Default';
  // Never before notBefore: with a zero or negative lifetime renew at once, at notBefore.
  const notBeforeSeconds = Math.ceil(validity.notBefore.getTime() / 1000);
  const renewalSeconds = Math.max(notBeforeSeconds, notAfterSeconds - renewBeforeSeconds);
  return { renewalTime: new Date(renewalSeconds * 1000), basis, renewBeforeSeconds };
}
