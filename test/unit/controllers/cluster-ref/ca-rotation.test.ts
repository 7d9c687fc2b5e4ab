import {
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
  it.each<
    [string, CaCertificateFacts, CaCertificateFacts[], string | undefined, Date, boolean, string[], Date]
  >([
    [
      'fresh intermediate: renew at two thirds (day 243, 08:00)',
      v1,
      [],
      undefined,
      day(10),
      false,
      ['a'],
      new Date(START + 243 * DAY + DAY / 3),
    ],
    ['renewal reached: rotate now', v1, [], undefined, day(244), true, ['a'], day(244)],
    ['renewBefore 720h: 30 days ahead', v1, [], '720h', day(10), false, ['a'], day(335)],
    [
      'after a rotation the old one stays trusted until its expiry, the next event',
      v2,
      [v1],
      undefined,
      day(250),
      false,
      ['b', 'a'],
      day(365),
    ],
    [
      'an old one leaves the trust bundle at its expiry, which comes first',
      v3,
      [v2],
      undefined,
      day(500),
      false,
      ['c', 'b'],
      day(608),
    ],
    ['expired previous CAs are dropped', v3, [v1, v2], undefined, day(500), false, ['c', 'b'], day(608)],
    [
      'renewBefore longer than the (root-shortened) lifetime falls back to two thirds',
      intermediate('d', 0, 30),
      [],
      '8000h',
      day(1),
      false,
      ['d'],
      day(20),
    ],
  ])('%s', (_name, current, previous, renewBefore, now, rotateNow, trusted, requeueAt) => {
    const plan = planClientCaRotation({
      current,
      previous,
      managed: renewBefore ? { renewBefore } : {},
      now,
    });
    expect(plan.rotateNow).toBe(rotateNow);
    expect(fingerprints(plan.trusted)).toEqual(trusted);
    expect(plan.requeueAt.toISOString()).toBe(requeueAt.toISOString());
    expect(plan.previousClientCAs.map((ca) => ca.serialNumber)).toEqual(trusted.slice(1));
  });

  it('status summaries carry whole-second timestamps', () => {
    const plan = planClientCaRotation({ current: v2, previous: [v1], managed: {}, now: day(250) });
    expect(plan.previousClientCAs).toEqual([
      {
        subject: 'CN=a Intermediate CA',
        serialNumber: 'a',
        sha256Fingerprint: 'a'.repeat(64),
        notBefore: '2025-01-01T00:00:00Z',
        notAfter: '2026-01-01T00:00:00Z',
      },
    ]);
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
    const plan = planClientCaRotation({ current: facts, previous: [facts], managed: {}, now: day(1) });
    expect(plan.renewal.renewalTime.toISOString()).toBe(
      day(243).toISOString().replace('00:00:00', '08:00:00'),
    );
    expect(plan.trusted).toHaveLength(1);
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
