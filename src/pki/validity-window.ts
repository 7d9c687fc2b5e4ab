import { InvalidInputError } from '../errors.js';

/** Shorter certificates are refused: they would be due for renewal almost as soon as issued. */
export const MINIMUM_CERTIFICATE_SECONDS = 60;

/**
 * How much of the issuing chain's life a cut certificate must keep, unless less was asked for:
 * a CA that expires within the hour has to be renewed, not used for a string of ever shorter
 * certificates.
 */
export const MINIMUM_CA_REMAINING_SECONDS = 3600;

export interface ValidityWindow {
  notBefore: Date;
  notAfter: Date;
  /** notAfter was cut to the earliest expiry in the issuing chain. */
  shortenedToCaExpiry: boolean;
}

/** What the policy needs to know about each certificate above the one being issued. */
export interface IssuerValidity {
  subject: string;
  notAfter: Date;
}

/**
 * Validity policy for every certificate we sign.
 *
 * - notBefore is `now` truncated to whole seconds (X.509 times have no fractions). We do not
 *   backdate: renewal times are computed from notBefore/notAfter and reported in status, and a
 *   backdated window would claim validity before the certificate existed. Clients and Cassandra
 *   nodes are expected to run NTP; the seconds it takes to publish a bundle exceed usual skew.
 * - A certificate never outlives its issuers: a TLS peer rejects the chain once any issuer has
 *   expired, so validity beyond that would only mislead renewal scheduling. notAfter is cut to
 *   the earliest issuer expiry and the cut is reported.
 * - If the cut leaves less than MINIMUM_CA_REMAINING_SECONDS (or the requested duration, when
 *   that is shorter), issuing is refused: the CA has to be renewed first.
 */
export function planValidity(
  now: Date,
  durationSeconds: number,
  issuers: readonly IssuerValidity[],
): ValidityWindow {
  if (!Number.isInteger(durationSeconds) || durationSeconds < MINIMUM_CERTIFICATE_SECONDS) {
    throw new InvalidInputError(
      'InvalidDuration',
      `duration ${String(durationSeconds)} s is not allowed: use a whole number of seconds, at least ${MINIMUM_CERTIFICATE_SECONDS} (1m)`,
      'duration',
    );
  }
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const requested = new Date(notBefore.getTime() + durationSeconds * 1000);
  const earliest = issuers.reduce<IssuerValidity | undefined>(
    (soonest, issuer) => (soonest && soonest.notAfter <= issuer.notAfter ? soonest : issuer),
    undefined,
  );
  if (!earliest || requested <= earliest.notAfter) {
    return { notBefore, notAfter: requested, shortenedToCaExpiry: false };
  }
  const remainingSeconds = Math.floor((earliest.notAfter.getTime() - notBefore.getTime()) / 1000);
  const required = Math.min(durationSeconds, MINIMUM_CA_REMAINING_SECONDS);
  if (remainingSeconds < required) {
    throw new InvalidInputError(
      'DurationExceedsCaValidity',
      `the issuing CA chain expires too soon: "${earliest.subject}" expires at ${earliest.notAfter.toISOString()}, ` +
        `leaving ${Math.max(remainingSeconds, 0)} s where at least ${required} s are required; renew or rotate that CA`,
      'duration',
    );
  }
  return { notBefore, notAfter: new Date(earliest.notAfter), shortenedToCaExpiry: true };
}
