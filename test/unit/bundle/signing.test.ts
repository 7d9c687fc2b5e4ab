import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateSigningKey,
  loadSigningKey,
  loadSigningPublicKey,
  signManifest,
  signingKeyPem,
  signingPublicKeyPem,
  verifyManifestSignature,
} from '../../../src/bundle/signing.js';

describe('manifest signing key', () => {
  it('signs so that the real openssl dgst -verify accepts the signature, and rejects other bytes', () => {
    const key = generateSigningKey();
    const manifest = Buffer.from('{\n  "schemaVersion": 1\n}\n');
    const dir = mkdtempSync(join(tmpdir(), 'scb-sig-'));
    try {
      writeFileSync(join(dir, 'manifest.json'), manifest);
      writeFileSync(join(dir, 'manifest.sig'), signManifest(manifest, key));
      writeFileSync(join(dir, 'signing.pub'), signingPublicKeyPem(key.publicKey));
      const args = ['dgst', '-sha256', '-verify', 'signing.pub', '-signature', 'manifest.sig'];
      expect(execFileSync('openssl', [...args, 'manifest.json'], { cwd: dir }).toString()).toContain(
        'Verified OK',
      );
      writeFileSync(join(dir, 'manifest.json'), Buffer.concat([manifest, Buffer.from(' ')]));
      expect(() =>
        execFileSync('openssl', [...args, 'manifest.json'], { cwd: dir, stdio: 'pipe' }),
      ).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reloads from its PEM with the same key id', () => {
    const key = generateSigningKey();
    const again = loadSigningKey(signingKeyPem(key), 'signing.key');
    expect(again.keyId).toBe(key.keyId);
    expect(key.keyId).toMatch(/^[0-9a-f]{64}$/);
    const publicKey = loadSigningPublicKey(signingPublicKeyPem(key.publicKey), 'signing.pub');
    const bytes = Buffer.from('x');
    expect(verifyManifestSignature(bytes, signManifest(bytes, again), publicKey)).toBe(true);
    expect(verifyManifestSignature(bytes, Buffer.from('garbage'), publicKey)).toBe(false);
  });

  it('refuses a malformed PEM and a non-P-256 key, naming the file', () => {
    expect(() => loadSigningKey('hello', 'keys/signing.key')).toThrow(
      /keys\/signing\.key: not a PEM private key/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() => loadSigningKey(rsa, 'rsa.key')).toThrow(
      /rsa\.key: the manifest signing key must be an ECDSA P-256 key/,
    );
    expect(() => loadSigningPublicKey('nope', 'pub.pem')).toThrow(/pub\.pem: not a PEM public key/);
  });
});
