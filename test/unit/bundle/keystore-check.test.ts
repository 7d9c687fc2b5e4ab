import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkKeystorePassword } from '../../../src/bundle/keystore-check.js';

// Keystores written by the real tools, so the checks are proven against OpenSSL and the JDK,
// not against our own writers.
describe('checkKeystorePassword', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scb-ks-'));
    const run = (cmd: string, args: string[]): void =>
      void execFileSync(cmd, args, { cwd: dir, stdio: 'pipe' });
    run(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
        '-subj',
        '/CN=t',
        '-days',
        '2',
      ]),
    );
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      'c.pem',
      '-inkey',
      'k.pem',
      '-out',
      'modern.p12',
      '-passout',
      'pass:s3cret-Ü',
    ]);
    run('openssl', [
      'pkcs12',
      '-export',
      '-legacy',
      '-in',
      'c.pem',
      '-inkey',
      'k.pem',
      '-out',
      'legacy.p12',
      '-passout',
      'pass:s3cret-Ü',
    ]);
    run('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      'c.pem',
      '-keystore',
      't.jks',
      '-storetype',
      'JKS',
      '-storepass',
      'changeit',
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['modern.p12', 'legacy.p12'])(
    'verifies the MAC of an openssl %s with its password only',
    (file) => {
      const bytes = readFileSync(join(dir, file));
      expect(checkKeystorePassword(bytes, 's3cret-Ü')).toEqual({ format: 'PKCS12', opens: true });
      const wrong = checkKeystorePassword(bytes, 's3cret-U');
      expect(wrong.opens).toBe(false);
      expect(wrong.problem).toContain('MAC does not verify');
      expect(wrong.problem).not.toContain('s3cret');
    },
  );

  it('verifies the digest of a keytool JKS with its password only', () => {
    const bytes = readFileSync(join(dir, 't.jks'));
    expect(checkKeystorePassword(bytes, 'changeit')).toEqual({ format: 'JKS', opens: true });
    expect(checkKeystorePassword(bytes, 'changeiT').opens).toBe(false);
  });

  it('reports bytes that are no keystore', () => {
    expect(checkKeystorePassword(Buffer.from('hello'), 'x')).toEqual({
      opens: false,
      problem: 'neither a JKS nor a PKCS#12 keystore',
    });
  });
});
