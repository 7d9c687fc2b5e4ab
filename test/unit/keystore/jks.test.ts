import { InvalidInputError } from '../../../src/errors.js';
import { buildJksTrustStore } from '../../../src/keystore/jks.js';
import { createManagedCaHierarchy } from '../../../src/pki/certificate-authority.js';
import { sha256Hex } from '../../../src/pki/fingerprint.js';
import { fixedClock } from '../../../src/time/clock.js';
import { makeScratchDir, runTool, runToolOk, type ScratchDir } from '../pki/external-tools.js';

const CREATED = new Date('2031-05-04T10:20:30Z');
const clock = fixedClock(CREATED);
const PASSWORD = 'Tr7uStStoreP4ssw0rdGenerated0042';

let scratch: ScratchDir;
let certificates: { alias: string; der: Buffer }[];

beforeAll(async () => {
  scratch = makeScratchDir('jks');
  const options = { rootDurationSeconds: 3650 * 86_400, intermediateDurationSeconds: 365 * 86_400 };
  const [ecdsa, rsa] = await Promise.all([
    createManagedCaHierarchy({ ...options, commonName: 'Server CA' }, clock),
    createManagedCaHierarchy(
      { ...options, commonName: 'Old Server CA', privateKey: { algorithm: 'RSA', size: 2048 } },
      clock,
    ),
  ]);
  certificates = [
    { alias: 'Cassandra-CA', der: Buffer.from(ecdsa.root.certificate.rawData) },
    { alias: 'previous', der: Buffer.from(rsa.root.certificate.rawData) },
  ];
}, 60_000);

afterAll(() => scratch.remove());

const colonHex = (hex: string) => hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');

describe('buildJksTrustStore', () => {
  it('is a version 2 JKS file keytool lists with each trusted certificate and its fingerprint', () => {
    const store = buildJksTrustStore({ certificates, password: PASSWORD, createdAt: CREATED });
    expect(store.subarray(0, 12).toString('hex')).toBe('feedfeed0000000200000002');
    const file = scratch.write('trust.jks', store);
    const out = runToolOk('keytool', [
      '-list',
      '-v',
      '-keystore',
      file,
      '-storetype',
      'JKS',
      '-storepass',
      PASSWORD,
    ]);
    expect(out).toContain('Keystore type: JKS');
    expect(out).toContain('Your keystore contains 2 entries');
    const entries = out.split(/\*{20,}/).filter((part) => part.includes('Alias name:'));
    const listed = entries.map((entry) => ({
      alias: /Alias name: (.+)/.exec(entry)?.[1],
      type: /Entry type: (.+)/.exec(entry)?.[1],
      sha256: /SHA256: ([0-9A-F:]+)/.exec(entry)?.[1],
    }));
    // The JDK looks aliases up lower-cased, so they are stored that way.
    expect(listed).toEqual(
      expect.arrayContaining([
        {
          alias: 'cassandra-ca',
          type: 'trustedCertEntry',
          sha256: colonHex(sha256Hex(certificates[0]!.der)),
        },
        { alias: 'previous', type: 'trustedCertEntry', sha256: colonHex(sha256Hex(certificates[1]!.der)) },
      ]),
    );
    expect(listed).toHaveLength(2);
    expect(out).toContain('Creation date: May 4, 2031');
  });

  it('fails keytool integrity checking under a wrong password', () => {
    const file = scratch.write(
      'trust-wrong.jks',
      buildJksTrustStore({ certificates, password: PASSWORD, createdAt: CREATED }),
    );
    const result = runTool('keytool', [
      '-list',
      '-keystore',
      file,
      '-storetype',
      'JKS',
      '-storepass',
      'not-the-password',
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('Keystore was tampered with, or password was incorrect');
  });

  it('is byte-for-byte reproducible for the same input', () => {
    const input = { certificates, password: PASSWORD, createdAt: CREATED };
    expect(buildJksTrustStore(input).equals(buildJksTrustStore(input))).toBe(true);
  });

  it('refuses aliases that collide once lower-cased', () => {
    const der = certificates[0]!.der;
    const build = () =>
      buildJksTrustStore({
        certificates: [
          { alias: 'CA', der },
          { alias: 'ca', der },
        ],
        password: PASSWORD,
        createdAt: CREATED,
      });
    expect(build).toThrow(InvalidInputError);
    expect(build).toThrow(/alias "ca" is empty or used twice/);
  });
});
