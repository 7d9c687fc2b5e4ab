import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ASTRA_FILES, packBundle } from '../../../src/bundle/layout.js';
import { serializeManifest } from '../../../src/bundle/manifest.js';
import { signingPublicKeyPem } from '../../../src/bundle/signing.js';
import { unpackBundle } from '../../../src/bundle/unpack-bundle.js';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { build, bundleRequest, createMaterial, type BundleMaterial } from './bundle-fixtures.js';

let material: BundleMaterial;
let dir: string;
beforeAll(async () => {
  material = await createMaterial();
  dir = mkdtempSync(join(tmpdir(), 'scb-build-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(zip: Buffer): Map<string, Buffer> {
  return new Map(readZip(zip, 'test').map((e) => [e.path, e.content]));
}

function config(zip: Buffer): Record<string, unknown> {
  return JSON.parse((files(zip).get('config.json') as Buffer).toString('utf8')) as Record<string, unknown>;
}

describe('buildBundle', () => {
  it('holds exactly the Astra files, README, manifest, signature and the selected platforms', async () => {
    const bundle = await build(material, { platforms: ['nodejs'] });
    expect(readZip(bundle.zip, 'b').map((e) => e.path)).toEqual([
      ...ASTRA_FILES,
      'README.md',
      'manifest.json',
      'manifest.sig',
      'platforms/nodejs/connect.mjs',
    ]);
    expect(bundle.fileName).toBe('secure-connect-orders-api.zip');
    expect(bundle.manifest.platforms).toEqual(['nodejs']);
    expect(bundle.size).toBe(bundle.zip.length);
  });

  it('includes every registered platform by default, in registry order', async () => {
    const bundle = await build(material, {});
    const paths = readZip(bundle.zip, 'b').map((e) => e.path);
    expect(paths.filter((p) => p.startsWith('platforms/'))).toEqual([
      'platforms/nodejs/connect.mjs',
      'platforms/python/connect.py',
      'platforms/python/requirements.txt',
    ]);
    expect(bundle.manifest.platforms).toEqual(['python', 'nodejs']);
    const readme = (files(bundle.zip).get('README.md') as Buffer).toString();
    expect(readme).toContain('- Python driver: `platforms/python/`\n- Node.js driver: `platforms/nodejs/`\n');
    expect(readme).toContain('### Python driver\n\nRun `python connect.py`.');
    expect(readme).toContain('Run `node connect.mjs`.');
  });

  it('writes config.json with every field the drivers require, correctly typed, and no credentials', async () => {
    const bundle = await build(material);
    const cfg = config(bundle.zip);
    expect(cfg).toMatchObject({
      host: '127.0.0.1',
      port: 9142,
      cql_port: 9142,
      keyspace: 'orders',
      localDC: 'dc1',
      caCertLocation: './ca.crt',
      keyLocation: './key',
      certLocation: './cert',
      keyStoreLocation: './identity.jks',
      trustStoreLocation: './trustStore.jks',
      contactPoints: ['127.0.0.1', 'cassandra-1.example'],
      datacenters: { dc1: ['127.0.0.1', 'cassandra-1.example'], dc2: ['cassandra-dc2.example'] },
      tlsServerName: 'localhost',
      hostnameVerification: true,
    });
    for (const field of ['keyStorePassword', 'trustStorePassword', 'pfxCertPassword']) {
      expect(typeof cfg[field]).toBe('string');
      expect((cfg[field] as string).length).toBeGreaterThanOrEqual(24);
    }
    expect(cfg).not.toHaveProperty('username');
    expect(cfg).not.toHaveProperty('password');
    expect(cfg.keyStorePassword).toBe(bundle.passwords.keyStore);
    expect(cfg.trustStorePassword).toBe(bundle.passwords.trustStore);
  });

  it('with a cloud-mode gateway, names its metadata service in host/port and keeps every other field', async () => {
    const direct = config((await build(material)).zip);
    const cluster = {
      ...bundleRequest(material).cluster,
      metadataService: { host: 'cql-gw.example', port: 29080 },
    };
    const bundle = await build(material, { cluster });
    const cloud = config(bundle.zip);
    expect(cloud).toMatchObject({ host: 'cql-gw.example', port: 29080, cql_port: 9142 });
    const rest = (cfg: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(cfg).filter(([key]) => !/^(host|port|\w+Password)$/.test(key)));
    expect(rest(cloud)).toEqual(rest(direct));
    const cqlshrc = (files(bundle.zip).get('cqlshrc') as Buffer).toString();
    expect(cqlshrc).toContain('hostname = 127.0.0.1\nport = 9142\n');
  });

  it('adds username/password to config.json and cqlshrc only when credentials are given', async () => {
    const bundle = await build(material, { credentials: { username: 'app', password: 'pw-123' } });
    expect(config(bundle.zip)).toMatchObject({ username: 'app', password: 'pw-123' });
    const cqlshrc = (files(bundle.zip).get('cqlshrc') as Buffer).toString();
    expect(cqlshrc).toContain('[authentication]\nusername = app\npassword = pw-123\nkeyspace = orders\n');
    expect(cqlshrc).toContain(
      '[connection]\nhostname = 127.0.0.1\nport = 9142\nssl = true\n\n[ssl]\nvalidate = true\ncertfile = ./ca.crt\nuserkey = ./key\nusercert = ./cert\n',
    );
  });

  it('puts the leaf and the intermediate, not the root, in cert; the server CA in ca.crt', async () => {
    const bundle = await build(material);
    const out = join(dir, 'chain');
    unpackBundle(bundle.zip, out);
    const certText = readFileSync(join(out, 'cert'), 'utf8');
    expect(certText.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(certText).toContain(material.clientCa.intermediatePem.certificatePem.trim().split('\n')[1]);
    expect(certText).not.toContain(material.clientCa.rootPem.certificatePem.trim().split('\n')[1]);
    // openssl verifies the leaf against the client root with the intermediate from `cert`.
    writeFileSync(join(dir, 'client-root.crt'), material.clientCa.rootPem.certificatePem);
    const verified = execFileSync(
      'openssl',
      ['verify', '-CAfile', join(dir, 'client-root.crt'), '-untrusted', 'cert', 'cert'],
      {
        cwd: out,
      },
    );
    expect(verified.toString()).toContain('cert: OK');
    expect(readFileSync(join(out, 'ca.crt'), 'utf8').trim()).toBe(material.server.caPem.trim());
  });

  it.each([
    {
      name: 'a key instead of a certificate',
      pem: () => material.clientCa.rootPem.privateKeyPem,
      says: '"PRIVATE KEY" PEM block',
    },
    {
      name: 'a damaged certificate',
      pem: () => material.server.caPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n'),
      says: 'server CA certificate #1 is not a valid DER X.509 certificate',
    },
    { name: 'no PEM at all', pem: () => 'not a certificate', says: 'server CA contains no PEM certificate' },
  ])('refuses a server CA that is $name, naming it', async ({ pem, says }) => {
    await expect(build(material, { serverCaPem: pem() })).rejects.toMatchObject({
      reason: 'MalformedPem',
      message: expect.stringContaining(says),
    });
  });

  it('stores one PKCS#12 under both names when the passwords agree, and two otherwise', async () => {
    const generated = await build(material);
    expect(files(generated.zip).get('identity.jks')).toEqual(files(generated.zip).get('cert.pfx'));
    const supplied = await build(material, {
      passwords: {
        keyStore: 'keystore-password-1',
        trustStore: 'trust-password-1',
        pfxCert: 'pfx-password-1',
      },
    });
    expect(files(supplied.zip).get('identity.jks')).not.toEqual(files(supplied.zip).get('cert.pfx'));
    expect(config(supplied.zip)).toMatchObject({
      keyStorePassword: 'keystore-password-1',
      trustStorePassword: 'trust-password-1',
      pfxCertPassword: 'pfx-password-1',
    });
  });

  it('signs manifest.json so that the real openssl dgst -verify accepts manifest.sig', async () => {
    const bundle = await build(material);
    const out = join(dir, 'sig');
    unpackBundle(bundle.zip, out);
    const pub = join(dir, 'signing.pub');
    writeFileSync(pub, signingPublicKeyPem(material.signingKey.publicKey));
    const result = execFileSync(
      'openssl',
      ['dgst', '-sha256', '-verify', pub, '-signature', 'manifest.sig', 'manifest.json'],
      { cwd: out },
    );
    expect(result.toString()).toContain('Verified OK');
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(serializeManifest(bundle.manifest));
  });

  it('has keystores the real keytool and openssl open with the passwords from config.json', async () => {
    const bundle = await build(material, {
      passwords: {
        keyStore: 'keystore-password-1',
        trustStore: 'trust-password-1',
        pfxCert: 'pfx-password-1',
      },
    });
    const out = join(dir, 'keystores');
    unpackBundle(bundle.zip, out);
    const cfg = config(bundle.zip);
    const keytool = (file: string, password: unknown): string =>
      execFileSync(
        'keytool',
        ['-list', '-v', '-storetype', 'JKS', '-keystore', file, '-storepass', String(password)],
        {
          cwd: out,
        },
      ).toString();
    const identity = keytool('identity.jks', cfg.keyStorePassword);
    expect(identity).toMatch(/Entry type: PrivateKeyEntry/);
    expect(identity).toMatch(/Certificate chain length: 2/);
    expect(identity).toContain('CN=orders-api');
    const trust = keytool('trustStore.jks', cfg.trustStorePassword);
    expect(trust).toMatch(/Keystore type: JKS/);
    expect(trust).toMatch(/Entry type: trustedCertEntry/);
    expect(trust).toContain('CN=Test Cassandra Server CA');
    expect(() => keytool('trustStore.jks', 'wrong-password')).toThrow();

    const pkcs12 = execFileSync(
      'openssl',
      ['pkcs12', '-in', 'cert.pfx', '-passin', `pass:${String(cfg.pfxCertPassword)}`, '-nodes'],
      { cwd: out },
    ).toString();
    expect(pkcs12).toContain('BEGIN PRIVATE KEY');
    expect(pkcs12).toContain('subject=CN = orders-api');
  });

  it('re-packs its own files into byte-identical zips (deterministic packaging)', async () => {
    const bundle = await build(material);
    const again = packBundle(bundle.files, bundle.certificate.notBefore);
    expect(again.equals(bundle.zip)).toBe(true);
    const shuffled = packBundle([...bundle.files].reverse(), bundle.certificate.notBefore);
    expect(shuffled.equals(bundle.zip)).toBe(true);
  });

  it('never puts a password or key in manifest.json or README.md', async () => {
    const bundle = await build(material, { credentials: { username: 'app', password: 'pw-secret-123' } });
    const contents = files(bundle.zip);
    const keyBody = bundle.privateKeyPem.split('\n')[1] as string;
    for (const path of ['manifest.json', 'README.md']) {
      const text = (contents.get(path) as Buffer).toString();
      for (const secret of [
        bundle.passwords.keyStore,
        bundle.passwords.trustStore,
        'pw-secret-123',
        keyBody,
      ]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
