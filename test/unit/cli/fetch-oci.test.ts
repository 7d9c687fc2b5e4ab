/**
 * `scbctl fetch oci://` input handling, before any registry is asked (the round trips against a
 * real registry are in test/integration/operator/oci-repository.test.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

async function scbctl(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(
      'node',
      ['--import', TSX, join(ROOT, 'src/cli/scbctl.ts'), ...args],
      { cwd },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('scbctl fetch oci://', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scb-fetch-oci-'));
  writeFileSync(join(dir, 'kek'), Buffer.alloc(32, 9).toString('base64'));
  writeFileSync(join(dir, 'short-kek'), 'not a key');
  execFileSync('openssl', [
    'ecparam',
    '-name',
    'prime256v1',
    '-genkey',
    '-noout',
    '-out',
    join(dir, 'signing.key'),
  ]);
  execFileSync(
    'openssl',
    ['ec', '-in', join(dir, 'signing.key'), '-pubout', '-out', join(dir, 'signing.pub')],
    {
      stdio: 'ignore',
    },
  );

  it('needs the key-encryption key and the signing public key, naming the flags', async () => {
    const noKey = await scbctl(['fetch', 'oci://registry.example.com/team/app:v1'], dir);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--encryption-key');
    const noPublicKey = await scbctl(
      ['fetch', 'oci://registry.example.com/team/app:v1', '--encryption-key', 'kek'],
      dir,
    );
    expect(noPublicKey.code).toBe(2);
    expect(noPublicKey.stderr).toContain('--public-key');
  });

  it('refuses a key that is not 32 bytes or their base64, and a reference without a tag', async () => {
    const badKey = await scbctl(
      [
        'fetch',
        'oci://registry.example.com/team/app:v1',
        '--encryption-key',
        'short-kek',
        '--public-key',
        'x',
      ],
      dir,
    );
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('256-bit key-encryption key');
    const noTag = await scbctl(
      [
        'fetch',
        'oci://registry.example.com/team/app',
        '--encryption-key',
        'kek',
        '--public-key',
        'signing.pub',
      ],
      dir,
    );
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toContain('names no tag or digest');
  });
});
