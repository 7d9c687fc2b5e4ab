/**
 * `scbctl generate --out-dir` as a pipeline runs it: the CLI compiled by the build's own tsconfig,
 * started as `node dist/cli/scbctl.js` on a folder of manifests, and every zip it writes checked
 * by `scbctl verify` (signature, hashes, chain to the client root, keystore passwords).
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClientCa, createServerPki } from '../unit/bundle/bundle-fixtures.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let scbctlJs: string;
let secrets: string[];

async function scbctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [scbctlJs, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const bundle = (name: string, spec = ''): string =>
  `apiVersion: scb-operator.io/v1alpha1\nkind: SecureConnectionBundle\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  clusterRef: {name: main}\n${spec}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scbctl-batch-'));
  // The build's layout: dist/ beside package.json (read for the manifest's generator) and node_modules.
  const app = join(dir, 'app');
  mkdirSync(app);
  await run(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    join(app, 'dist'),
  ]);
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  scbctlJs = join(app, 'dist/cli/scbctl.js');

  const ca = await createClientCa();
  writeFileSync(
    join(dir, 'cluster.yaml'),
    'apiVersion: scb-operator.io/v1alpha1\nkind: CassandraClusterRef\nmetadata: {name: main, namespace: cassandra}\n' +
      'spec:\n  connection: {contactPoints: [cassandra-0.example], localDatacenter: dc1}\n' +
      '  serverCA: {secretRef: {name: server-ca}}\n  clientCA: {secretRef: {name: client-ca}}\n',
  );
  writeFileSync(join(dir, 'server-ca.crt'), createServerPki().caPem);
  writeFileSync(join(dir, 'client-ca.crt'), ca.intermediatePem.certificatePem);
  writeFileSync(join(dir, 'client-ca.key'), ca.intermediatePem.privateKeyPem);
  writeFileSync(join(dir, 'client-ca-chain.crt'), ca.rootPem.certificatePem);
  secrets = [ca.intermediatePem.privateKeyPem.split('\n')[1] as string];
  expect((await scbctl(['signing-key', 'generate', '--out', 'signing.key'])).code).toBe(0);
  writeFileSync(
    join(dir, 'signing.pub'),
    (await scbctl(['signing-key', 'public', '--key', 'signing.key'])).stdout,
  );
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generateArgs = [
  'generate',
  '--cluster',
  'cluster.yaml',
  '--server-ca',
  'server-ca.crt',
  '--client-ca-cert',
  'client-ca.crt',
  '--client-ca-key',
  'client-ca.key',
  '--client-ca-chain',
  'client-ca-chain.crt',
  '--signing-key',
  'signing.key',
];

it('generates one zip per bundle of a folder, each of which scbctl verify accepts', async () => {
  mkdirSync(join(dir, 'apps'));
  writeFileSync(
    join(dir, 'apps', 'shop.yaml'),
    `${bundle('orders')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-settings}\n---\n${bundle('billing', '  privateKey: {algorithm: RSA, size: 2048}\n')}`,
  );
  writeFileSync(join(dir, 'apps', 'ledger.yaml'), bundle('ledger', '  platforms: [java-driver-4, python]\n'));
  writeFileSync(join(dir, 'apps', 'legacy.yaml'), bundle('legacy', '  keystores: {profile: Legacy}\n'));

  const generated = await scbctl([...generateArgs, '--bundle', 'apps', '--out-dir', 'out']);
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);
  expect(generated.stdout).toContain(
    'not a SecureConnectionBundle, not generated: apps/shop.yaml#2 (ConfigMap)',
  );
  expect(generated.stdout).toContain('generated 4 of 4 bundles into out');

  const zips = readdirSync(join(dir, 'out')).sort();
  expect(zips).toEqual([
    'secure-connect-billing.zip',
    'secure-connect-ledger.zip',
    'secure-connect-legacy.zip',
    'secure-connect-orders.zip',
  ]);
  for (const zip of zips) {
    const path = join('out', zip);
    expect(statSync(join(dir, path)).mode & 0o777).toBe(0o600);
    const verified = await scbctl([
      'verify',
      path,
      '--public-key',
      'signing.pub',
      '--client-ca',
      'client-ca-chain.crt',
    ]);
    expect(verified.stdout).toContain(`${path}: verified`);
    expect(verified.code).toBe(0);
    const inspected = JSON.parse((await scbctl(['inspect', path, '--json'])).stdout) as {
      bundle: { name: string };
    };
    expect(`secure-connect-${inspected.bundle.name}.zip`).toBe(zip);
  }
  for (const secret of secrets) expect(generated.stdout + generated.stderr).not.toContain(secret);
}, 300_000);

it('exits 2 with a summary when some documents fail, naming each, and writes the others', async () => {
  mkdirSync(join(dir, 'mixed'));
  writeFileSync(
    join(dir, 'mixed', 'a.yaml'),
    `${bundle('fine')}---\n${bundle('short', '  duration: 30s\n')}`,
  );
  writeFileSync(join(dir, 'mixed', 'b.yaml'), bundle('fine'));

  const result = await scbctl([...generateArgs, '--bundle', 'mixed', '--out-dir', 'mixed-out']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    'scbctl: mixed/a.yaml#2: spec.duration "30s" is shorter than the 1m minimum',
  );
  expect(result.stderr).toContain(
    'scbctl: mixed/b.yaml#1: metadata.name "fine" is also the name of mixed/a.yaml#1',
  );
  expect(result.stdout).toContain('generated 1 of 3 bundles into mixed-out; 2 failed (listed above)');
  expect(readdirSync(join(dir, 'mixed-out'))).toEqual(['secure-connect-fine.zip']);
}, 120_000);
