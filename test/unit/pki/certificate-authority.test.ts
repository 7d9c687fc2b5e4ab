import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../../src/errors.js';
import {
  createManagedCaHierarchy,
  issueIntermediateCa,
  loadCertificateAuthority,
  parseCertificatesPem,
  type CaPem,
  type ManagedCaHierarchy,
} from '../../../src/pki/certificate-authority.js';
import { readCertificatesDer } from '../../../src/pki/certificate-pem.js';
import { loadIssuingCa, type IssuerCertificate } from '../../../src/pki/issuing-ca.js';
import { issueClientCertificate } from '../../../src/pki/client-certificate.js';
import { fixedClock, type Clock } from '../../../src/time/clock.js';
import { expectNoKeyMaterial, makeScratchDir, runToolOk, type ScratchDir } from './external-tools.js';

const T0 = new Date('2031-05-04T10:20:30.000Z');
const clock = fixedClock(T0);
const DAY = 86_400;
const openssl = (args: string[]) => runToolOk('openssl', args);

let ecdsa: ManagedCaHierarchy;
let rsa: ManagedCaHierarchy;
let other: ManagedCaHierarchy;
let scratch: ScratchDir;

const managedOptions = {
  commonName: 'Test Cluster',
  organizations: ['Acme'],
  rootDurationSeconds: 3650 * DAY,
  intermediateDurationSeconds: 365 * DAY,
};

beforeAll(async () => {
  scratch = makeScratchDir('ca');
  [ecdsa, rsa, other] = await Promise.all([
    createManagedCaHierarchy(managedOptions, clock),
    createManagedCaHierarchy({ ...managedOptions, privateKey: { algorithm: 'RSA', size: 2048 } }, clock),
    createManagedCaHierarchy({ ...managedOptions, commonName: 'Other' }, clock),
  ]);
}, 60_000);

afterAll(() => scratch.remove());

/** A CA made by openssl itself, for shapes our own code never produces. */
function opensslCa(name: string, args: string[]): CaPem {
  const keyFile = `${scratch.path}/${name}.key`;
  const certFile = `${scratch.path}/${name}.crt`;
  openssl([
    'req',
    '-x509',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    `/CN=${name}`,
    ...args,
  ]);
  return { certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') };
}

const verifyAt = String(T0.getTime() / 1000 + 60);

describe.each([
  { name: 'ECDSA', hierarchy: () => ecdsa, keyText: 'ASN1 OID: prime256v1', signature: 'ecdsa-with-SHA256' },
  {
    name: 'RSA 2048',
    hierarchy: () => rsa,
    keyText: 'Public-Key: (2048 bit)',
    signature: 'sha256WithRSAEncryption',
  },
])('a managed $name hierarchy', ({ hierarchy, keyText, signature }) => {
  let rootFile: string;
  let intermediateFile: string;
  beforeAll(() => {
    rootFile = scratch.write(`root-${keyText.length}.pem`, hierarchy().rootPem.certificatePem);
    intermediateFile = scratch.write(`int-${keyText.length}.pem`, hierarchy().intermediatePem.certificatePem);
  });

  it('has a self-signed root CA with pathLen 1 and critical certificate-signing usages', () => {
    const text = openssl(['x509', '-in', rootFile, '-noout', '-text']);
    expect(text).toContain('Subject: O = Acme, CN = Test Cluster Root CA');
    expect(text).toContain('Issuer: O = Acme, CN = Test Cluster Root CA');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n *CA:TRUE, pathlen:1\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n *Certificate Sign, CRL Sign\n/);
    expect(text).toContain(keyText);
    expect(text).toContain(`Signature Algorithm: ${signature}`);
    expect(openssl(['verify', '-attime', verifyAt, '-CAfile', rootFile, rootFile])).toBe(`${rootFile}: OK\n`);
  });

  it('has an intermediate with pathLen 0 whose authority key id is the root subject key id', () => {
    const text = openssl(['x509', '-in', intermediateFile, '-noout', '-text']);
    const rootText = openssl(['x509', '-in', rootFile, '-noout', '-text']);
    expect(text).toContain('Subject: O = Acme, CN = Test Cluster Intermediate CA');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n *CA:TRUE, pathlen:0\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n *Certificate Sign, CRL Sign\n/);
    const rootSki = /Subject Key Identifier: *\n *([0-9A-F:]+)/.exec(rootText)?.[1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier: *\\n *(keyid:)?${rootSki}\\n`));
    expect(openssl(['verify', '-attime', verifyAt, '-CAfile', rootFile, intermediateFile])).toBe(
      `${intermediateFile}: OK\n`,
    );
  });

  it('writes CA keys that openssl reads and that match their certificates', () => {
    for (const pem of [hierarchy().rootPem, hierarchy().intermediatePem]) {
      const keyFile = scratch.write('ca.key', pem.privateKeyPem);
      const certFile = scratch.write('ca.crt', pem.certificatePem);
      expect(openssl(['pkey', '-in', keyFile, '-pubout'])).toBe(
        openssl(['x509', '-in', certFile, '-noout', '-pubkey']),
      );
    }
    expect(hierarchy().intermediatePem.chainPem).toBe(hierarchy().rootPem.certificatePem);
  });

  it('loads back from its PEM with the chain ordered up to the root', async () => {
    const intermediate = await loadCertificateAuthority(hierarchy().intermediatePem, clock);
    expect(intermediate.certificate.subject).toBe('O=Acme, CN=Test Cluster Intermediate CA');
    expect(intermediate.chain.map((member) => member.subject)).toEqual(['O=Acme, CN=Test Cluster Root CA']);
    const root = await loadCertificateAuthority(hierarchy().rootPem, clock);
    expect(root.chain).toEqual([]);
  });
});

describe('loading a CA', () => {
  it('takes the chain from certificatePem (the tls.crt layout) as well as from chainPem', async () => {
    const { certificatePem, privateKeyPem, chainPem = '' } = ecdsa.intermediatePem;
    const ca = await loadCertificateAuthority(
      { certificatePem: certificatePem + chainPem, privateKeyPem },
      clock,
    );
    expect(ca.chain.map((member) => member.subject)).toEqual(['O=Acme, CN=Test Cluster Root CA']);
  });

  it('signs with the loaded key: certificates from a reloaded CA verify with openssl', async () => {
    const ca = await loadCertificateAuthority(ecdsa.intermediatePem, clock);
    const leaf = await issueClientCertificate(
      ca,
      { commonName: 'app', privateKey: { algorithm: 'ECDSA', size: 256 }, durationSeconds: DAY },
      clock,
    );
    const rootFile = scratch.write('reload-root.pem', ecdsa.rootPem.certificatePem);
    const intermediateFile = scratch.write('reload-int.pem', ecdsa.intermediatePem.certificatePem);
    const leafFile = scratch.write('reload-leaf.pem', leaf.certificatePem);
    expect(
      openssl([
        'verify',
        '-attime',
        verifyAt,
        '-purpose',
        'sslclient',
        '-CAfile',
        rootFile,
        '-untrusted',
        intermediateFile,
        leafFile,
      ]),
    ).toBe(`${leafFile}: OK\n`);
  });
});

describe('loading a CA without @peculiar/x509 (scbctl generate)', () => {
  it('gives the certificates, subjects and chain the operator loader gives', async () => {
    const { certificatePem, privateKeyPem, chainPem = '' } = ecdsa.intermediatePem;
    const light = loadIssuingCa({ certificatePem: certificatePem + chainPem, privateKeyPem }, clock);
    const full = await loadCertificateAuthority(ecdsa.intermediatePem, clock);
    const facts = (certificate: IssuerCertificate) => ({
      der: Buffer.from(certificate.rawData),
      subject: certificate.subject,
      issuer: certificate.issuer,
      notAfter: certificate.notAfter,
    });
    expect(facts(light.certificate)).toEqual(facts(full.certificate));
    expect(light.chain.map(facts)).toEqual(full.chain.map(facts));
  });

  it('signs certificates that openssl verifies up to the root', async () => {
    const leaf = await issueClientCertificate(
      loadIssuingCa(rsa.intermediatePem, clock),
      { commonName: 'app', privateKey: { algorithm: 'ECDSA', size: 256 }, durationSeconds: DAY },
      clock,
    );
    const rootFile = scratch.write('light-root.pem', rsa.rootPem.certificatePem);
    const intermediateFile = scratch.write('light-int.pem', rsa.intermediatePem.certificatePem);
    const leafFile = scratch.write('light-leaf.pem', leaf.certificatePem);
    expect(
      openssl(['verify', '-attime', verifyAt, '-CAfile', rootFile, '-untrusted', intermediateFile, leafFile]),
    ).toBe(`${leafFile}: OK\n`);
  });
});

describe('rotating the intermediate', () => {
  it('issues a new intermediate under the same root with a new key', async () => {
    const rotated = await issueIntermediateCa(ecdsa.root, managedOptions, clock);
    expect(rotated.ca.certificate.serialNumber).not.toBe(ecdsa.intermediate.certificate.serialNumber);
    expect(rotated.pem.privateKeyPem).not.toBe(ecdsa.intermediatePem.privateKeyPem);
    expect(rotated.ca.chain).toEqual([ecdsa.root.certificate]);
    const rootFile = scratch.write('rot-root.pem', ecdsa.rootPem.certificatePem);
    const intermediateFile = scratch.write('rot-int.pem', rotated.pem.certificatePem);
    expect(openssl(['verify', '-attime', verifyAt, '-CAfile', rootFile, intermediateFile])).toBe(
      `${intermediateFile}: OK\n`,
    );
  });

  it('never lets the intermediate outlive the root', async () => {
    const late = fixedClock(new Date(ecdsa.root.certificate.notAfter.getTime() - 100 * DAY * 1000));
    const rotated = await issueIntermediateCa(ecdsa.root, managedOptions, late);
    expect(rotated.shortenedToCaExpiry).toBe(true);
    expect(rotated.ca.certificate.notAfter).toEqual(ecdsa.root.certificate.notAfter);
  });
});

describe('bad CA input', () => {
  const leafPem = async (): Promise<CaPem> => {
    const leaf = await issueClientCertificate(
      ecdsa.intermediate,
      { commonName: 'leaf', privateKey: { algorithm: 'ECDSA', size: 256 }, durationSeconds: DAY },
      clock,
    );
    return { certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem };
  };
  const at = (date: Date): Clock => fixedClock(date);

  it.each<{ name: string; pem: () => Promise<CaPem> | CaPem; clock?: Clock; reason: string; says: string[] }>(
    [
      {
        name: 'certificate that is not PEM',
        pem: () => ({ ...ecdsa.intermediatePem, certificatePem: 'MIIB...not pem' }),
        reason: 'MalformedPem',
        says: ['CA certificate contains no PEM certificate', 'BEGIN CERTIFICATE'],
      },
      {
        name: 'key pasted where the certificate goes',
        pem: () => ({ ...ecdsa.intermediatePem, certificatePem: ecdsa.intermediatePem.privateKeyPem }),
        reason: 'MalformedPem',
        says: ['CA certificate contains a "PRIVATE KEY" PEM block', 'only CERTIFICATE blocks'],
      },
      {
        name: 'certificate block with broken DER',
        pem: () => ({
          ...ecdsa.intermediatePem,
          certificatePem: '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n',
        }),
        reason: 'MalformedPem',
        says: [
          'CA certificate certificate #1 is not a valid DER X.509 certificate',
          'openssl x509 -outform PEM',
        ],
      },
      {
        name: 'key that is not PEM',
        pem: () => ({ ...ecdsa.intermediatePem, privateKeyPem: 'secret-looking-garbage' }),
        reason: 'MalformedPem',
        says: ['CA private key is not a readable PEM private key', 'PKCS#8'],
      },
      {
        name: 'encrypted key',
        pem: () => {
          const keyFile = scratch.write('plain.key', ecdsa.intermediatePem.privateKeyPem);
          const encrypted = openssl(['pkey', '-in', keyFile, '-aes256', '-passout', 'pass:hunter22']);
          return { ...ecdsa.intermediatePem, privateKeyPem: encrypted };
        },
        reason: 'MalformedPem',
        says: ['CA private key is encrypted', 'openssl pkey'],
      },
      {
        name: 'leaf certificate',
        pem: leafPem,
        reason: 'NotACertificateAuthority',
        says: ['"CN=leaf" is not a CA', 'basicConstraints CA:TRUE'],
      },
      {
        name: 'CA whose keyUsage lacks keyCertSign',
        pem: () =>
          opensslCa('NoCertSign', [
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-addext',
            'keyUsage=critical,digitalSignature',
          ]),
        clock: fixedClock(new Date()),
        reason: 'NotACertificateAuthority',
        says: ['"CN=NoCertSign" has a keyUsage without keyCertSign'],
      },
      {
        name: 'key of another CA',
        pem: () => ({ ...ecdsa.intermediatePem, privateKeyPem: ecdsa.rootPem.privateKeyPem }),
        reason: 'KeyMismatch',
        says: ['does not belong to CA certificate "O=Acme, CN=Test Cluster Intermediate CA"'],
      },
      {
        name: 'expired CA',
        pem: () => ecdsa.intermediatePem,
        clock: at(new Date(T0.getTime() + 366 * DAY * 1000)),
        reason: 'CaExpired',
        says: [
          '"O=Acme, CN=Test Cluster Intermediate CA" expired at 2032-05-03T10:20:30.000Z',
          'renew the CA',
        ],
      },
      {
        name: 'CA not valid yet',
        pem: () => ecdsa.intermediatePem,
        clock: at(new Date(T0.getTime() - 1000)),
        reason: 'CaNotYetValid',
        says: ['not valid before 2031-05-04T10:20:30.000Z'],
      },
      {
        name: 'Ed25519 CA',
        pem: () => opensslCa('Edwards', ['-newkey', 'ed25519']),
        clock: fixedClock(new Date()),
        reason: 'UnsupportedKeyAlgorithm',
        says: ['CA private key is a ed25519 key', 'ECDSA (P-256, P-384, P-521) or RSA of at least 2048 bits'],
      },
      {
        name: 'RSA 1024 CA',
        pem: () => opensslCa('Weak', ['-newkey', 'rsa:1024']),
        clock: fixedClock(new Date()),
        reason: 'UnsupportedKeyAlgorithm',
        says: ['CA private key is a rsa 1024 key'],
      },
      {
        name: 'chain with an unrelated certificate',
        pem: () => ({ ...ecdsa.intermediatePem, chainPem: other.rootPem.certificatePem }),
        reason: 'BrokenCaChain',
        says: ['"O=Acme, CN=Other Root CA" is not an issuer on the path'],
      },
    ],
  )('$name', async ({ pem, clock: loadClock = clock, reason, says }) => {
    const input = await pem();
    const error = await captureRejection(loadCertificateAuthority(input, loadClock));
    expect(error.reason).toBe(reason);
    for (const text of says) expect(error.message).toContain(text);
    expectNoKeyMaterial(
      error.message,
      input.privateKeyPem,
      ecdsa.rootPem.privateKeyPem,
      ecdsa.intermediatePem.privateKeyPem,
    );
  });
});

describe('reading certificates only to pass them on', () => {
  it('gives the DER openssl writes, in order, for certificates of any key type', () => {
    const pem = ecdsa.rootPem.certificatePem + rsa.intermediatePem.certificatePem;
    const file = scratch.write('two.pem', pem);
    const firstDer = execFileSync('openssl', ['x509', '-in', file, '-outform', 'DER']);
    const ders = readCertificatesDer(`comment line\n${pem}`, 'server CA');
    expect(ders).toHaveLength(2);
    expect(ders[0]).toEqual(firstDer);
    expect(ders.map((der) => new X509Certificate(der).subject)).toEqual([
      'O=Acme\nCN=Test Cluster Root CA',
      'O=Acme\nCN=Test Cluster Intermediate CA',
    ]);
  });

  it.each([
    { name: 'broken DER', body: 'MIIBAAAA' },
    { name: 'a key', body: () => ecdsa.rootPem.privateKeyPem.split('\n').slice(1, -2).join('\n') },
    { name: 'trailing bytes', body: () => certificateBody(Buffer.from([0x05, 0x00])) },
    {
      name: 'a SEQUENCE of three INTEGERs',
      body: Buffer.from('3009020101020101020101', 'hex').toString('base64'),
    },
  ])('refuses a CERTIFICATE block holding $name, as a full parse does', ({ body }) => {
    const pem = `-----BEGIN CERTIFICATE-----\n${typeof body === 'function' ? body() : body}\n-----END CERTIFICATE-----\n`;
    for (const read of [readCertificatesDer, parseCertificatesPem]) {
      expect(() => read(pem, 'server CA')).toThrow(
        expect.objectContaining({
          reason: 'MalformedPem',
          message: expect.stringContaining('server CA certificate #1 is not a valid DER X.509 certificate'),
        }),
      );
    }
  });
});

function certificateBody(trailer: Buffer): string {
  const der = Buffer.from(ecdsa.rootPem.certificatePem.split('\n').slice(1, -2).join(''), 'base64');
  return Buffer.concat([der, trailer]).toString('base64');
}

async function captureRejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
