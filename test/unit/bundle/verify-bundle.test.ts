import { fixedClock, systemClock } from '../../../src/time/clock.js';
import { packBundle, type BundleFile } from '../../../src/bundle/layout.js';
import { generateSigningKey } from '../../../src/bundle/signing.js';
import { verifyBundle, type VerificationReport } from '../../../src/bundle/verify-bundle.js';
import { inspectBundle } from '../../../src/bundle/inspect-bundle.js';
import type { BuiltBundle } from '../../../src/bundle/build-bundle.js';
import { build, createClientCa, createMaterial, type BundleMaterial } from './bundle-fixtures.js';

let material: BundleMaterial;
let bundle: BuiltBundle;
beforeAll(async () => {
  material = await createMaterial();
  bundle = await build(material);
});

function verify(zip: Buffer, options: Partial<Parameters<typeof verifyBundle>[1]> = {}): VerificationReport {
  return verifyBundle(zip, {
    publicKey: material.signingKey.publicKey,
    clientCaPem: material.clientCa.rootPem.certificatePem,
    clock: systemClock,
    ...options,
  });
}

function failed(report: VerificationReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

function repack(change: (files: BundleFile[]) => BundleFile[]): Buffer {
  return packBundle(change(bundle.files.map((f) => ({ ...f }))), bundle.certificate.notBefore);
}

describe('verifyBundle', () => {
  it('passes a good bundle on every check', () => {
    const report = verify(bundle.zip);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'no-duplicate-entries',
      'signature',
      'manifest',
      'no-missing-files',
      'no-unlisted-files',
      'file-hashes',
      'certificate-validity',
      'certificate-chain',
      'key-matches-certificate',
      'manifest-identity',
      'config-json',
      'keystore-password:identity.jks',
      'keystore-password:cert.pfx',
      'keystore-password:trustStore.jks',
    ]);
    expect(report.checks.find((c) => c.name === 'certificate-chain')?.detail).toContain('Test client CA');
  });

  it('fails file-hashes when a file was changed', () => {
    const zip = repack((files) =>
      files.map((f) =>
        f.path === 'ca.crt' ? { ...f, content: Buffer.concat([f.content, Buffer.from('\n')]) } : f,
      ),
    );
    const report = verify(zip);
    expect(failed(report)).toEqual(['file-hashes']);
    expect(report.checks.find((c) => c.name === 'file-hashes')?.detail).toContain('ca.crt');
  });

  it('fails no-missing-files when a file was removed', () => {
    const report = verify(repack((files) => files.filter((f) => f.path !== 'README.md')));
    expect(failed(report)).toEqual(['no-missing-files']);
  });

  it('fails no-unlisted-files when a file was added', () => {
    const report = verify(
      repack((files) => [...files, { path: 'evil.sh', content: Buffer.from('rm -rf /') }]),
    );
    expect(failed(report)).toEqual(['no-unlisted-files']);
    expect(report.checks.find((c) => c.name === 'no-unlisted-files')?.detail).toContain('evil.sh');
  });

  it('fails signature when manifest.json was edited', () => {
    const zip = repack((files) =>
      files.map((f) =>
        f.path === 'manifest.json'
          ? { ...f, content: Buffer.from(f.content.toString().replace('"version": 1', '"version": 7')) }
          : f,
      ),
    );
    const report = verify(zip);
    expect(failed(report)).toEqual(['signature']);
    expect(report.ok).toBe(false);
  });

  it('fails signature with another public key, saying which key signed it', () => {
    const other = generateSigningKey();
    const report = verify(bundle.zip, { publicKey: other.publicKey });
    expect(failed(report)).toEqual(['signature']);
    expect(report.checks.find((c) => c.name === 'signature')?.detail).toContain(material.signingKey.keyId);
  });

  it('fails certificate-validity once the certificate has expired', () => {
    const after = new Date(bundle.certificate.notAfter.getTime() + 1000);
    const report = verify(bundle.zip, { clock: fixedClock(after) });
    expect(failed(report)).toEqual(['certificate-validity']);
    expect(report.checks.find((c) => c.name === 'certificate-validity')?.detail).toContain('expired at');
  });

  it('fails certificate-chain against a different client CA, and checks the embedded chain without one', async () => {
    const other = await createClientCa(undefined, 'Other CA');
    expect(failed(verify(bundle.zip, { clientCaPem: other.rootPem.certificatePem }))).toEqual([
      'certificate-chain',
    ]);
    const noRoot = verify(bundle.zip, { clientCaPem: undefined });
    expect(noRoot.ok).toBe(true);
    expect(noRoot.checks.find((c) => c.name === 'certificate-chain')?.detail).toContain(
      'root was not checked',
    );
  });

  it('reports a duplicated entry, which a name-keyed zip reader would hide', () => {
    const zip = repack((files) => [...files, { path: 'config.json', content: Buffer.from('{}') }]);
    expect(failed(verify(zip))).toContain('no-duplicate-entries');
  });

  it('throws only on input it cannot read', () => {
    expect(() => verify(Buffer.from('nope'))).toThrow(/not a readable bundle zip/);
    expect(() => verify(bundle.zip, { clientCaPem: 'garbage' })).toThrow(/--client-ca/);
  });
});

describe('inspectBundle', () => {
  it('describes identity, validity, cluster and files without any secret', async () => {
    const withCredentials = await build(material, {
      credentials: { username: 'app', password: 'pw-secret-9' },
    });
    const view = inspectBundle(withCredentials.zip);
    expect(view.bundle).toEqual({
      name: 'orders-api',
      namespace: 'shop',
      version: 1,
      cluster: { name: 'main', namespace: 'cassandra' },
    });
    expect(view.certificate).toMatchObject({
      subject: 'CN=orders-api',
      serialNumber: withCredentials.certificate.serialNumber,
      sha256Fingerprint: withCredentials.certificate.sha256Fingerprint,
      notAfter: withCredentials.certificate.notAfter.toISOString(),
      key: { algorithm: 'ECDSA', size: 256 },
      subjectAltNames: {
        dns: ['orders.shop'],
        uri: ['spiffe://cluster.local/ns/shop/scb/orders-api'],
        ip: [],
        email: [],
      },
    });
    expect(view.chain).toHaveLength(1);
    expect(view.serverCa[0]?.subject).toBe('CN=Test Cassandra Server CA');
    expect(view.cluster).toMatchObject({
      contactPoints: ['127.0.0.1', 'cassandra-1.example'],
      port: 9142,
      localDatacenter: 'dc1',
    });
    expect(view.credentialsIncluded).toBe(true);
    expect(view.platforms).toEqual(['python', 'nodejs']);
    expect(view.files.map((f) => f.path)).toContain('identity.jks');

    const json = JSON.stringify(view);
    for (const secret of [
      ...Object.values(withCredentials.passwords),
      'pw-secret-9',
      withCredentials.privateKeyPem.split('\n')[1] as string,
    ]) {
      expect(json).not.toContain(secret);
    }
  });
});
