import type { SecureConnectionBundleSpec } from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import { parseDuration } from '../../time/duration.js';
import {
  lifetimeSeconds,
  planRenewal,
  type CertificateValidity,
  type RenewalPlan,
} from '../certificate-renewal.js';

/** The two spec fields that choose when a bundle's certificate is renewed. */
export type RenewalSpec = Pick<SecureConnectionBundleSpec, 'renewBefore' | 'renewBeforePercentage'>;

/**
 * When the operator issues the next version of a bundle whose current certificate has `validity`:
 * spec.renewBefore before notAfter, or spec.renewBeforePercentage of the lifetime before notAfter,
 * or (neither set) once two thirds of the lifetime have passed. Percentages apply to the actual
 * lifetime, which is shorter than spec.duration when the CA's own expiry cut the certificate.
 * A renewBefore not shorter than that lifetime falls back to the default (see planRenewal).
 * The CRD's CEL rules already refuse bad values; they are checked again here because a stored
 * object can predate a rule, and a clear error beats a renewal loop.
 */
export function bundleRenewal(validity: CertificateValidity, spec: RenewalSpec): RenewalPlan {
  if (spec.renewBefore !== undefined && spec.renewBeforePercentage !== undefined) {
    throw new InvalidInputError(
      'InvalidRenewBefore',
      'spec.renewBefore and spec.renewBeforePercentage are both set: keep only one of them',
      'spec.renewBefore',
    );
  }
  if (spec.renewBefore !== undefined) {
    const renewBeforeSeconds = parseDuration(spec.renewBefore, 'spec.renewBefore');
    return planRenewal(validity, { renewBeforeSeconds, basis: 'RenewBefore' });
  }
  const percentage = spec.renewBeforePercentage;
  if (percentage === undefined) return planRenewal(validity, undefined);
  if (!Number.isInteger(percentage) || percentage < 1 || percentage > 99) {
    throw new InvalidInputError(
      'InvalidRenewBefore',
      `spec.renewBeforePercentage: ${String(percentage)} is not a whole percentage from 1 to 99; use e.g. 33`,
      'spec.renewBeforePercentage',
    );
  }
  return planRenewal(validity, {
    renewBeforeSeconds: Math.ceil((lifetimeSeconds(validity) * percentage) / 100),
    basis: 'RenewBeforePercentage',
  });
}
