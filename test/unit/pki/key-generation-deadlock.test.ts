/**
 * Regression test for a Node 20 deadlock that hung `scbctl generate` about once in 150 runs:
 * exporting a freshly generated EC KeyObject as JWK holds the key's mutex while allocating, the
 * allocation can run a GC, and the GC destroys the finished KeyGenJob, whose destructor takes
 * the same mutex. A deadlocked main thread cannot time out a Jest test, so the keys are made in
 * a child process that spawnSync kills. A 1 MB young generation makes scavenges frequent: the
 * JWK export hung within 2,500 keys there in every trial.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const PRIVATE_KEY_MODULE = pathToFileURL(join(ROOT, 'src/pki/private-key.ts')).href;
const KEYS = 10_000;

it(`generates ${KEYS} ECDSA keys under constant GC pressure without deadlocking`, () => {
  const script = [
    `const { generateKeyMaterial } = await import(${JSON.stringify(PRIVATE_KEY_MODULE)});`,
    `for (let i = 0; i < ${KEYS}; i++) await generateKeyMaterial({ algorithm: 'ECDSA', size: 256 });`,
    `console.log('generated');`,
  ].join('\n');
  const result = spawnSync(
    process.execPath,
    ['--max-semi-space-size=1', '--import', TSX, '--input-type=module', '--eval', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
  // A deadlock ends as ETIMEDOUT here; without one the keys take about 4 s.
  expect(result.error).toBeUndefined();
  expect({ status: result.status, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({
    status: 0,
    stdout: 'generated',
    stderr: '',
  });
}, 60_000);
