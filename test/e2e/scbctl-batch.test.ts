/**
 * `scbctl generate --out-dir` as a pipeline runs it: the CLI built as `npm run build` builds it,
 * started as its bin (`node dist/cli/scbctl.cjs`) on a folder of manifests, and every zip it writes
 * checked by `scbctl verify` (signature, hashes, chain to the client root, keystore passwords).
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtScbctl, generateFromWorkspace, type BuiltScbctl } from '../support/built-scbctl.js';

let workspace: BuiltScbctl;
let dir: string;
let secrets: string[];

const scbctl = (args: string[]) => workspace.scbctl(args);

const bundle = (name: string, spec = ''): string =>
  `apiVersion: scb-operator.io/v1alpha1\nkind: SecureConnectionBundle\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  clusterRef: {name: main}\n${spec}`;

beforeAll(async () => {
  workspace = await builtScbctl('scbctl-batch-');
  dir = workspace.dir;
  secrets = [workspace.clientCaKeyPem.split('\n')[1] as string];
}, 300_000);
afterAll(() => workspace.remove());

it('generates one zip per bundle of a folder, each of which scbctl verify accepts', async () => {
  mkdirSync(join(dir, 'apps'));
  writeFileSync(
    join(dir, 'apps', 'shop.yaml'),
    `${bundle('orders')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-settings}\n---\n${bundle('billing', '  privateKey: {algorithm: RSA, size: 2048}\n')}`,
  );
  writeFileSync(join(dir, 'apps', 'ledger.yaml'), bundle('ledger', '  platforms: [java-driver-4, python]\n'));
  writeFileSync(join(dir, 'apps', 'legacy.yaml'), bundle('legacy', '  keystores: {profile: Legacy}\n'));

  const generated = await scbctl([...generateFromWorkspace, '--bundle', 'apps', '--out-dir', 'out']);
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

  const result = await scbctl([...generateFromWorkspace, '--bundle', 'mixed', '--out-dir', 'mixed-out']);
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
