/**
 * `scbctl check` and `scbctl inspect` as a user runs them: the CLI built as `npm run build`
 * builds it, started as its bin (`node dist/cli/scbctl.cjs`), on bundles it generated, and on the
 * same bundle re-signed as a writer from before `formatVersion` (format 1) and from a newer one (format 3).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, SIGNATURE_FILE, packBundle } from '../../src/bundle/layout.js';
import { loadSigningKey, signManifest } from '../../src/bundle/signing.js';
import { readZip } from '../../src/bundle/zip-reader.js';
import { builtScbctl, generateFromWorkspace, type BuiltScbctl } from '../support/built-scbctl.js';

let workspace: BuiltScbctl;
let dir: string;

const scbctl = (args: string[]) => workspace.scbctl(args);

/** The generated bundle with its manifest changed by `edit` and signed again with the same key. */
function resigned(edit: (manifest: Record<string, unknown>) => void, out: string): string {
  const files = readZip(readFileSync(join(dir, 'orders.zip')), 'orders.zip');
  const manifest = JSON.parse(
    (files.find((f) => f.path === MANIFEST_FILE)?.content ?? Buffer.alloc(0)).toString('utf8'),
  ) as Record<string, unknown>;
  edit(manifest);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const key = loadSigningKey(readFileSync(join(dir, 'signing.key'), 'utf8'), 'signing key');
  const zip = packBundle(
    files.map((f) =>
      f.path === MANIFEST_FILE
        ? { path: f.path, content: bytes }
        : f.path === SIGNATURE_FILE
          ? { path: f.path, content: signManifest(bytes, key) }
          : { path: f.path, content: f.content },
    ),
    new Date('2026-01-01T00:00:00Z'),
  );
  writeFileSync(join(dir, out), zip, { mode: 0o600 });
  return out;
}

beforeAll(async () => {
  workspace = await builtScbctl('scbctl-check-');
  dir = workspace.dir;
  // Flags only: a bundle named orders in shop, with the Node.js and gocql configurations.
  const generated = await scbctl([
    ...generateFromWorkspace,
    '--name',
    'orders',
    '--namespace',
    'shop',
    '--platform',
    'nodejs',
    '--platform',
    'go-gocql',
    '--out',
    'orders.zip',
  ]);
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);
}, 300_000);
afterAll(() => workspace.remove());

const check = (zip: string, platform: string, version: string) =>
  scbctl(['check', zip, '--platform', platform, '--driver-version', version]);

it('inspect shows the format version and, per platform, the driver versions and which the e2e tests run', async () => {
  const inspected = await scbctl(['inspect', 'orders.zip']);
  expect(inspected.code).toBe(0);
  expect(inspected.stdout).toContain('format version       2\n');
  expect(inspected.stdout).toContain(
    'driver versions:\n' +
      '  nodejs             cassandra-driver (npm) >=4.0.0 <5.0.0; end-to-end tested: 4.10.0\n' +
      '  go-gocql           github.com/apache/cassandra-gocql-driver/v2 (Go module) >=2.0.0 <3.0.0; end-to-end tested: 2.1.2\n',
  );
  const json = JSON.parse((await scbctl(['inspect', 'orders.zip', '--json'])).stdout) as {
    format: unknown;
    compatibility: Record<string, { versions: string; e2eTested: string[] }>;
  };
  expect(json.format).toEqual({ version: 2, recorded: true });
  expect(json.compatibility.nodejs).toMatchObject({ versions: '>=4.0.0 <5.0.0', e2eTested: ['4.10.0'] });
}, 60_000);

it('check answers with an exit code and a reason naming platform, version and range', async () => {
  const tested = await check('orders.zip', 'nodejs', '4.10.0');
  expect(tested).toEqual({
    code: 0,
    stdout:
      "nodejs cassandra-driver (npm) 4.10.0 can use this bundle: scb-operator's end-to-end tests connect with exactly this version\n",
    stderr: '',
  });

  const within = await check('orders.zip', 'go-gocql', 'v2.0.0');
  expect(within.code).toBe(0);
  expect(within.stdout).toContain('within >=2.0.0 <3.0.0 (the end-to-end tests run 2.1.2)');

  const old = await check('orders.zip', 'nodejs', '3.6.0');
  expect(old.code).toBe(1);
  expect(old.stdout).toBe(
    'nodejs cassandra-driver (npm) 3.6.0 is older than 4.0.0, the first version that reads localDataCenter from the client options\n',
  );

  const next = await check('orders.zip', 'nodejs', '5.1.0');
  expect(next.code).toBe(1);
  expect(next.stdout).toContain('5.1.0 is outside >=4.0.0 <5.0.0');
}, 60_000);

it('check exits 4 for an unknown platform or one the bundle lacks, and 2 for a malformed version', async () => {
  const absent = await check('orders.zip', 'python', '3.30.1');
  expect(absent.code).toBe(4);
  expect(absent.stderr).toBe(
    'scbctl: orders.zip: the bundle has no configuration for python; it has nodejs, go-gocql\n',
  );
  const unknown = await check('orders.zip', 'cobol', '1.0.0');
  expect(unknown.code).toBe(4);
  expect(unknown.stderr).toContain('unknown platform "cobol"; platforms are java-driver-4, python, nodejs');
  const malformed = await check('orders.zip', 'nodejs', 'latest');
  expect(malformed.code).toBe(2);
  expect(malformed.stderr).toContain('--driver-version "latest" is not a version such as 4.10.0');
}, 60_000);

it('a format 1 bundle still verifies and inspects; check exits 5 saying it records nothing', async () => {
  const zip = resigned((manifest) => {
    delete manifest.formatVersion;
    delete manifest.compatibility;
  }, 'format-1.zip');
  const verified = await scbctl([
    'verify',
    zip,
    '--public-key',
    'signing.pub',
    '--client-ca',
    'client-ca-chain.crt',
  ]);
  expect(verified.stdout).toContain(`${zip}: verified`);
  expect(verified.code).toBe(0);
  const inspected = await scbctl(['inspect', zip]);
  expect(inspected.stdout).toContain('format version       1 (unrecorded)\n');
  const checked = await check(zip, 'nodejs', '4.10.0');
  expect(checked.code).toBe(5);
  expect(checked.stderr).toBe(
    `scbctl: ${zip}: the bundle is format version 1 (unrecorded), which records no driver versions; ` +
      'issue a new version of it to have them recorded\n',
  );
}, 60_000);

it('a bundle of a newer format still verifies; check exits 5 asking for a newer scbctl', async () => {
  const zip = resigned((manifest) => {
    manifest.formatVersion = 3;
  }, 'format-3.zip');
  const verified = await scbctl([
    'verify',
    zip,
    '--public-key',
    'signing.pub',
    '--client-ca',
    'client-ca-chain.crt',
  ]);
  expect(verified.code).toBe(0);
  const checked = await check(zip, 'nodejs', '4.10.0');
  expect(checked.code).toBe(5);
  expect(checked.stderr).toBe(
    `scbctl: ${zip}: the bundle is format version 3; this scbctl understands up to 2: use a newer scbctl\n`,
  );
}, 60_000);
