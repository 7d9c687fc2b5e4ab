import { InvalidInputError } from '../../../../src/errors.js';
import { bundleRenewal, type RenewalSpec } from '../../../../src/controllers/bundle/renewal.js';
import { createManagedCaHierarchy } from '../../../../src/pki/certificate-authority.js';
import { issueClientCertificate } from '../../../../src/pki/client-certificate.js';
import { fixedClock } from '../../../../src/time/clock.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ISSUED = new Date('2025-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(ISSUED.getTime() + ms);
const ninetyDays = { notBefore: ISSUED, notAfter: at(90 * DAY) };

describe('bundleRenewal', () => {
  it.each<[string, { notBefore: Date; notAfter: Date }, RenewalSpec, Date, string]>([
    ['default: two thirds of 90 days is day 60', ninetyDays, {}, at(60 * DAY), 'Default'],
    [
      'renewBefore 720h: 30 days before expiry',
      ninetyDays,
      { renewBefore: '720h' },
      at(60 * DAY),
      'RenewBefore',
    ],
    ['renewBefore 1h30m', ninetyDays, { renewBefore: '1h30m' }, at(90 * DAY - 1.5 * HOUR), 'RenewBefore'],
    [
      'renewBeforePercentage 25 of 90 days',
      ninetyDays,
      { renewBeforePercentage: 25 },
      at(67.5 * DAY),
      'RenewBeforePercentage',
    ],
    [
      'default on a 1h certificate: after 40 minutes',
      { notBefore: ISSUED, notAfter: at(HOUR) },
      {},
      at(40 * 60_000),
      'Default',
    ],
    [
      'an odd lifetime rounds renewBefore up to whole seconds (renew no later than asked)',
      { notBefore: ISSUED, notAfter: at(3_601_000) },
      {},
      at(2_400_000),
      'Default',
    ],
    [
      'renewBefore with a fraction of a second is rounded up',
      ninetyDays,
      { renewBefore: '1500ms' },
      at(90 * DAY - 2000),
      'RenewBefore',
    ],
    [
      'renewBefore equal to the lifetime falls back to two thirds',
      { notBefore: ISSUED, notAfter: at(30 * DAY) },
      { renewBefore: '720h' },
      at(20 * DAY),
      'RenewBeforeNotBelowLifetime',
    ],
    [
      'renewBefore longer than a CA-shortened certificate falls back to two thirds',
      { notBefore: ISSUED, notAfter: at(10 * DAY) },
      { renewBefore: '720h' },
      at(6 * DAY + 16 * HOUR),
      'RenewBeforeNotBelowLifetime',
    ],
    [
      'a zero lifetime renews at notBefore, never earlier',
      { notBefore: ISSUED, notAfter: ISSUED },
      {},
      ISSUED,
      'Default',
    ],
  ])('%s', (_name, validity, spec, expected, basis) => {
    const plan = bundleRenewal(validity, spec);
    expect(plan.renewalTime.toISOString()).toBe(expected.toISOString());
    expect(plan.basis).toBe(basis);
    expect(plan.renewalTime.getTime() % 1000).toBe(0);
  });

  it.each<[string, RenewalSpec, RegExp]>([
    ['both fields set', { renewBefore: '720h', renewBeforePercentage: 33 }, /keep only one/],
    ['percentage 0', { renewBeforePercentage: 0 }, /spec\.renewBeforePercentage.*1 to 99/],
    ['percentage 100', { renewBeforePercentage: 100 }, /spec\.renewBeforePercentage/],
    ['percentage with a fraction', { renewBeforePercentage: 33.3 }, /spec\.renewBeforePercentage/],
    ['not a duration', { renewBefore: '30d' }, /spec\.renewBefore: "30d" is not a duration/],
  ])('refuses %s with an error naming the field', (_name, spec, message) => {
    expect(() => bundleRenewal(ninetyDays, spec)).toThrow(InvalidInputError);
    expect(() => bundleRenewal(ninetyDays, spec)).toThrow(message);
  });

  it('a real certificate cut to its CA expiry: renewBefore 720h falls back to two thirds of what is left', async () => {
    const clock = fixedClock(ISSUED);
    const { intermediate } = await createManagedCaHierarchy(
      {
        commonName: 'renewal test',
        rootDurationSeconds: 3650 * 86_400,
        intermediateDurationSeconds: 10 * 86_400,
      },
      clock,
    );
    const issued = await issueClientCertificate(
      intermediate,
      {
        commonName: 'orders',
        privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' },
        durationSeconds: 2160 * 3600,
      },
      clock,
    );
    expect(issued.shortenedToCaExpiry).toBe(true);
    const plan = bundleRenewal(issued, { renewBefore: '720h' });
    expect(plan.basis).toBe('RenewBeforeNotBelowLifetime');
    expect(plan.renewalTime.toISOString()).toBe(at(6 * DAY + 16 * HOUR).toISOString());
  });
});
