import { createManagedCaHierarchy } from '../../../src/pki/certificate-authority.js';
import { issueClientCertificate, type IssuedClientCertificate } from '../../../src/pki/client-certificate.js';
import { buildPkcs12, type KeystoreProfile, type Pkcs12Input } from '../../../src/keystore/pkcs12.js';
import { encodePem } from '../../../src/pki/pem.js';
import { fixedClock } from '../../../src/time/clock.js';
import { makeScratchDir, runTool, runToolOk, type ScratchDir } from '../pki/external-tools.js';

const clock = fixedClock(new Date('2031-05-04T10:20:30Z'));
const PASSWORD = 'Kx7pQ2mZ9vT4wR8sL3nB6yH1cF5dJ0gA';
const openssl = (args: string[]) => runToolOk('openssl', args);

let scratch: ScratchDir;
const certificates = new Map<string, IssuedClientCertificate>();

beforeAll(async () => {
  scratch = makeScratchDir('pkcs12');
  const hierarchy = await createManagedCaHierarchy(
    {
      commonName: 'Keystore Test',
      rootDurationSeconds: 3650 * 86_400,
      intermediateDurationSeconds: 365 * 86_400,
    },
    clock,
  );
  const request = { commonName: 'ledger', durationSeconds: 30 * 86_400 } as const;
  const [ecdsa, rsa] = await Promise.all([
    issueClientCertificate(
      hierarchy.intermediate,
      { ...request, privateKey: { algorithm: 'ECDSA', size: 256 } },
      clock,
    ),
    issueClientCertificate(
      hierarchy.intermediate,
      { ...request, privateKey: { algorithm: 'RSA', size: 2048 } },
      clock,
    ),
  ]);
  certificates.set('ECDSA', ecdsa);
  certificates.set('RSA', rsa);
}, 60_000);

afterAll(() => scratch.remove());

function writeKeystore(profile: KeystoreProfile, key: string, iterations?: number): string {
  const certificate = certificates.get(key)!;
  const pkcs12 = buildPkcs12({
    privateKeyPkcs8Der: certificate.privateKeyPkcs8Der,
    certificateDer: certificate.certificateDer,
    chainDer: certificate.chain.map((member) => Buffer.from(member.rawData)),
    friendlyName: 'Ledger-Client',
    password: PASSWORD,
    profile,
    ...(iterations === undefined ? {} : { iterations }),
  });
  return scratch.write(`${profile}-${key}-${iterations ?? 'default'}.p12`, pkcs12);
}

const PROFILES: { profile: KeystoreProfile; info: string[] }[] = [
  {
    profile: 'Modern',
    info: [
      'MAC: sha256, Iteration 2048',
      'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
    ],
  },
  {
    profile: 'Legacy',
    info: [
      'MAC: sha1, Iteration 2048',
      'PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
      'Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
    ],
  },
];

describe.each(PROFILES)('a $profile PKCS#12', ({ profile, info }) => {
  describe.each(['ECDSA', 'RSA'])('with an %s key, read by OpenSSL 3 without -legacy', (key) => {
    let file: string;
    beforeAll(() => {
      file = writeKeystore(profile, key);
    });

    it('uses the profile algorithms', () => {
      // `-info` writes the algorithm details to stderr.
      const result = runTool('openssl', [
        'pkcs12',
        '-in',
        file,
        '-passin',
        `pass:${PASSWORD}`,
        '-info',
        '-noout',
      ]);
      expect(result.status).toBe(0);
      const details = result.stdout + result.stderr;
      for (const line of info) expect(details).toContain(line);
      // Modern keeps certificates in plain PKCS7 Data (they are public): no second encryption.
      if (profile === 'Modern') expect(details).not.toContain('PKCS7 Encrypted data');
    });

    it('holds the certificate first, then its chain, with the alias attributes on the leaf', () => {
      const out = openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nokeys']);
      const pems = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
      const certificate = certificates.get(key)!;
      expect(pems[0]).toBe(certificate.certificatePem);
      expect(pems.slice(1)).toEqual(
        certificate.chain.map((member) => encodePem('CERTIFICATE', new Uint8Array(member.rawData))),
      );
      const leafAttributes = /Bag Attributes\n((?: +.*\n)+)subject=CN = ledger\n/.exec(out)?.[1];
      expect(leafAttributes).toMatch(/friendlyName: Ledger-Client\n/);
      expect(leafAttributes).toMatch(/localKeyID: [0-9A-F ]+\n/);
    });

    it('holds the private key that matches the certificate', () => {
      const keyPem = openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nocerts', '-nodes']);
      const keyFile = scratch.write(`${profile}-${key}.key`, keyPem);
      const certFile = scratch.write(`${profile}-${key}.crt`, certificates.get(key)!.certificatePem);
      expect(openssl(['pkey', '-in', keyFile, '-pubout'])).toBe(
        openssl(['x509', '-in', certFile, '-noout', '-pubkey']),
      );
      expect(keyPem).toMatch(/friendlyName: Ledger-Client/);
    });

    it('rejects a wrong password at the MAC', () => {
      const result = runTool('openssl', ['pkcs12', '-in', file, '-passin', 'pass:wrong-password', '-nokeys']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/Mac verify error/);
    });
  });

  describe('read by Java 17 keytool', () => {
    let file: string;
    beforeAll(() => {
      file = writeKeystore(profile, 'ECDSA');
    });
    const fingerprint = () =>
      certificates
        .get('ECDSA')!
        .sha256Fingerprint.toUpperCase()
        .replace(/(..)(?!$)/g, '$1:');

    it('lists the key entry with its whole chain as PKCS12', () => {
      const out = runToolOk('keytool', [
        '-list',
        '-v',
        '-keystore',
        file,
        '-storetype',
        'PKCS12',
        '-storepass',
        PASSWORD,
      ]);
      expect(out).toContain('Your keystore contains 1 entry');
      expect(out).toContain('Alias name: ledger-client');
      expect(out).toContain('Entry type: PrivateKeyEntry');
      expect(out).toContain('Certificate chain length: 3');
      expect(out).toContain(`SHA256: ${fingerprint()}`);
    });

    it('opens as storetype JKS too, as Java drivers open identity.jks', () => {
      const out = runToolOk('keytool', [
        '-list',
        '-keystore',
        file,
        '-storetype',
        'JKS',
        '-storepass',
        PASSWORD,
      ]);
      expect(out).toMatch(/ledger-client, .*PrivateKeyEntry/);
      expect(out).toContain(fingerprint());
    });

    it('refuses a wrong password', () => {
      const result = runTool('keytool', [
        '-list',
        '-keystore',
        file,
        '-storetype',
        'PKCS12',
        '-storepass',
        'wrong-password',
      ]);
      expect(result.status).not.toBe(0);
      // Java words it by MAC: SHA-1 "password was incorrect", SHA-256 "Integrity check failed".
      expect(result.stdout + result.stderr).toMatch(
        /password was incorrect|Failed PKCS12 integrity checking/,
      );
    });
  });
});

it('lists an RSA key entry in a Modern PKCS#12 with keytool', () => {
  const file = writeKeystore('Modern', 'RSA');
  const out = runToolOk('keytool', [
    '-list',
    '-v',
    '-keystore',
    file,
    '-storetype',
    'PKCS12',
    '-storepass',
    PASSWORD,
  ]);
  expect(out).toContain('Entry type: PrivateKeyEntry');
  expect(out).toContain('Subject Public Key Algorithm: 2048-bit RSA key');
});

it('writes the requested iteration count for both the key and the MAC', () => {
  const file = writeKeystore('Modern', 'ECDSA', 10_000);
  const details = runTool('openssl', [
    'pkcs12',
    '-in',
    file,
    '-passin',
    `pass:${PASSWORD}`,
    '-info',
    '-noout',
  ]);
  expect(details.status).toBe(0);
  expect(details.stdout + details.stderr).toContain('MAC: sha256, Iteration 10000');
  expect(details.stdout + details.stderr).toContain('AES-256-CBC, Iteration 10000');
});

it('encrypts afresh each time: two builds of the same input differ', () => {
  const certificate = certificates.get('ECDSA')!;
  const input: Pkcs12Input = {
    privateKeyPkcs8Der: certificate.privateKeyPkcs8Der,
    certificateDer: certificate.certificateDer,
    chainDer: [],
    friendlyName: 'x',
    password: PASSWORD,
    profile: 'Modern',
  };
  expect(buildPkcs12(input).equals(buildPkcs12(input))).toBe(false);
});
