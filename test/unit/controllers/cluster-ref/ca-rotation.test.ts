import {
  certificateSummary,
  planClientCaRotation,
  trustedCertificates,
  type CaCertificateFacts,
} from '../../../../src/controllers/cluster-ref/ca-rotation.js';
import { createManagedCaHierarchy } from '../../../../src/pki/certificate-authority.js';
import { sha256Hex } from '../../../../src/pki/fingerprint.js';
import { fixedClock } from '../../../../src/time/clock.js';

const DAY = 86_400_000;
const START = Date.parse('2025-01-01T00:00:00Z');
const day = (n: number): Date => new Date(START + n * DAY);

/** An intermediate of the default 8760h (365 days) issued on day `from`. */
function intermediate(name: string, from: number, lifetimeDays = 365): CaCertificateFacts {
  return {
    sha256Fingerprint: name.repeat(64).slice(0, 64),
    subject: `CN=${name} Intermediate CA`,
    serialNumber: name,
    notBefore: day(from),
    notAfter: day(from + lifetimeDays),
  };
}
const v1 = intermediate('a', 0);
const v2 = intermediate('b', 243);
const v3 = intermediate('c', 486);
const fingerprints = (list: CaCertificateFacts[]): string[] => list.map((ca) => ca.serialNumber);

describe('planClientCaRotation', () => {
  it.each<[string, CaCertificateFacts, string | undefined, Date, boolean, Date]>([
    [
      'fresh intermediate: renew at two thirds (day 243, 08:00)',
      v1,
      undefined,
      day(10),
      false,
      new Date(START + 243 * DAY + DAY / 3),
    ],
    ['renewal reached: rotate now', v1, undefined, day(244), true, new Date(START + 243 * DAY + DAY / 3)],
    ['renewBefore 720h: 30 days ahead', v1, '720h', day(10), false, day(335)],
    ['renewBefore 720h reached exactly: rotate now', v1, '720h', day(335), true, day(335)],
    [
      'renewBefore longer than the (root-shortened) lifetime falls back to two thirds',
      intermediate('d', 0, 30),
      '8000h',
      day(1),
      false,
      day(20),
    ],
  ])('%s', (_name, current, renewBefore, now, rotateNow, renewalTime) => {
    const plan = planClientCaRotation({ current, managed: renewBefore ? { renewBefore } : {}, now });
    expect(plan.rotateNow).toBe(rotateNow);
    expect(plan.renewal.renewalTime.toISOString()).toBe(renewalTime.toISOString());
  });

  it('status summaries carry whole-second timestamps', () => {
    expect(certificateSummary(v1)).toEqual({
      subject: 'CN=a Intermediate CA',
      serialNumber: 'a',
      sha256Fingerprint: 'a'.repeat(64),
      notBefore: '2025-01-01T00:00:00Z',
      notAfter: '2026-01-01T00:00:00Z',
    });
  });

  it('a real 8760h intermediate: renewal one third before its actual expiry', async () => {
    const { intermediate: ca } = await createManagedCaHierarchy(
      {
        commonName: 'rotation test',
        rootDurationSeconds: 87_600 * 3600,
        intermediateDurationSeconds: 8760 * 3600,
      },
      fixedClock(day(0)),
    );
    const facts: CaCertificateFacts = {
      sha256Fingerprint: sha256Hex(ca.certificate.rawData),
      subject: ca.certificate.subject,
      serialNumber: ca.certificate.serialNumber,
      notBefore: ca.certificate.notBefore,
      notAfter: ca.certificate.notAfter,
    };
    const plan = planClientCaRotation({ current: facts, managed: {}, now: day(1) });
    expect(plan.renewal.renewalTime.toISOString()).toBe(
      day(243).toISOString().replace('00:00:00', '08:00:00'),
    );
  });
});

describe('trustedCertificates', () => {
  it('drops expired ones, orders the rest by latest expiry then fingerprint, lists each once', () => {
    const twinA = { ...intermediate('e', 300), sha256Fingerprint: 'e'.repeat(64) };
    const twinB = { ...intermediate('f', 300), sha256Fingerprint: 'f'.repeat(64) };
    const list = trustedCertificates(v3, [v1, twinB, v2, twinA, v2, v3], day(366));
    expect(fingerprints(list)).toEqual(['c', 'e', 'f', 'b']);
  });
});
