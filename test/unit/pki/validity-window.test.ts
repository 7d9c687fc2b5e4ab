import { InvalidInputError } from '../../../src/errors.js';
import {
  MINIMUM_CA_REMAINING_SECONDS,
  MINIMUM_CERTIFICATE_SECONDS,
  planValidity,
} from '../../../src/pki/validity-window.js';

const NOW = new Date('2030-03-01T12:00:00.750Z');
const NOW_WHOLE = new Date('2030-03-01T12:00:00.000Z');
const HOUR = 3600;
const DAY = 24 * HOUR;
const at = (secondsFromNow: number) => new Date(NOW_WHOLE.getTime() + secondsFromNow * 1000);

describe('planValidity', () => {
  it.each([
    {
      name: 'no issuers: full duration',
      duration: 90 * DAY,
      issuers: [],
      notAfter: at(90 * DAY),
      shortened: false,
    },
    {
      name: 'issuers outlive the request: full duration',
      duration: 30 * DAY,
      issuers: [{ subject: 'CN=int', notAfter: at(60 * DAY) }],
      notAfter: at(30 * DAY),
      shortened: false,
    },
    {
      name: 'ending exactly at the CA expiry is not a cut',
      duration: 60 * DAY,
      issuers: [{ subject: 'CN=int', notAfter: at(60 * DAY) }],
      notAfter: at(60 * DAY),
      shortened: false,
    },
    {
      name: 'cut to the earliest issuer, not the nearest one',
      duration: 365 * DAY,
      issuers: [
        { subject: 'CN=int', notAfter: at(200 * DAY) },
        { subject: 'CN=root', notAfter: at(100 * DAY) },
      ],
      notAfter: at(100 * DAY),
      shortened: true,
    },
    {
      name: 'cut leaving exactly the minimum is allowed',
      duration: 30 * DAY,
      issuers: [{ subject: 'CN=int', notAfter: at(MINIMUM_CA_REMAINING_SECONDS) }],
      notAfter: at(MINIMUM_CA_REMAINING_SECONDS),
      shortened: true,
    },
    {
      name: 'a two-minute certificate from a CA with ten minutes left is not cut',
      duration: 120,
      issuers: [{ subject: 'CN=int', notAfter: at(600) }],
      notAfter: at(120),
      shortened: false,
    },
    {
      name: 'a short request is cut only below its own length',
      duration: 600,
      issuers: [{ subject: 'CN=int', notAfter: at(600) }],
      notAfter: at(600),
      shortened: false,
    },
  ])('$name', ({ duration, issuers, notAfter, shortened }) => {
    const window = planValidity(NOW, duration, issuers);
    expect(window).toEqual({ notBefore: NOW_WHOLE, notAfter, shortenedToCaExpiry: shortened });
  });

  it.each([
    {
      name: 'less than the minimum left',
      duration: 30 * DAY,
      left: MINIMUM_CA_REMAINING_SECONDS - 1,
      shown: '3599 s',
    },
    { name: 'issuer already expired', duration: 30 * DAY, left: -DAY, shown: 'leaving 0 s' },
    { name: 'a short request the chain cannot cover', duration: 600, left: 599, shown: 'at least 600 s' },
  ])('refuses when the chain cannot cover the minimum: $name', ({ duration, left, shown }) => {
    const issuers = [{ subject: 'CN=Issuing CA', notAfter: at(left) }];
    const error = captureError(() => planValidity(NOW, duration, issuers));
    expect(error.reason).toBe('DurationExceedsCaValidity');
    expect(error.message).toContain('"CN=Issuing CA"');
    expect(error.message).toContain(shown);
    expect(error.message).toMatch(/renew or rotate/);
  });

  it.each([
    { name: 'below the minimum', duration: MINIMUM_CERTIFICATE_SECONDS - 1 },
    { name: 'fractional', duration: DAY + 0.5 },
    { name: 'negative', duration: -DAY },
    { name: 'NaN', duration: Number.NaN },
  ])('rejects a $name duration with a fix', ({ duration }) => {
    const error = captureError(() => planValidity(NOW, duration, []));
    expect(error.reason).toBe('InvalidDuration');
    expect(error.field).toBe('duration');
    expect(error.message).toMatch(/whole number of seconds, at least 60 \(1m\)/);
  });
});

function captureError(action: () => unknown): InvalidInputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
