import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { writeZip } from '../../../src/bundle/zip.js';
import { PLATFORM_IDS } from '../../../src/bundle/platforms/platform.js';
import { createClientCa, createServerPki } from '../bundle/bundle-fixtures.js';

/** Runs the CLI as a user would: a separate node process on the TypeScript entry point. */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// `--import tsx` resolves from the working directory, and the tests run in a temporary one.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
async function scbctl(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
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

const CLUSTER_YAML = `apiVersion: scb-operator.io/v1alpha1
kind: CassandraClusterRef
metadata:
  name: main
  namespace: cassandra
spec:
  connection:
    contactPoints: [cassandra-0.example, cassandra-1.example]
    localDatacenter: dc1
    keyspace: orders
  serverCA:
    secretRef: {name: server-ca}
  clientCA:
    secretRef: {name: client-ca}
  identity:
    trustDomain: cluster.local
`;

const BUNDLE_YAML = `apiVersion: scb-operator.io/v1alpha1
kind: SecureConnectionBundle
metadata:
  name: orders-api
  namespace: shop
spec:
  clusterRef: {name: main, namespace: cassandra}
  identity:
    dnsNames: [orders.shop]
  privateKey: {algorithm: ECDSA, size: 384}
  duration: 720h
  platforms: [python, nodejs, cqlsh]
`;

let dir: string;
let secrets: string[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scbctl-'));
  const ca = await createClientCa();
  const server = createServerPki();
  writeFileSync(join(dir, 'cluster.yaml'), CLUSTER_YAML);
  writeFileSync(join(dir, 'bundle.yaml'), BUNDLE_YAML);
  writeFileSync(join(dir, 'server-ca.crt'), server.caPem);
  writeFileSync(join(dir, 'client-ca.crt'), ca.intermediatePem.certificatePem);
  writeFileSync(join(dir, 'client-ca.key'), ca.intermediatePem.privateKeyPem);
  writeFileSync(join(dir, 'client-ca-chain.crt'), ca.rootPem.certificatePem);
  writeFileSync(join(dir, 'client-root.crt'), ca.rootPem.certificatePem);
  secrets = [ca.intermediatePem.privateKeyPem.split('\n')[1] as string];
}, 30000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generateArgs = (extra: string[] = []): string[] => [
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
  ...extra,
];

describe('scbctl signing-key', () => {
  it('generates a 0600 key, refuses to overwrite it, and prints its public key', async () => {
    const generated = await scbctl(['signing-key', 'generate', '--out', 'signing.key'], dir);
    expect(generated.code).toBe(0);
    expect(statSync(join(dir, 'signing.key')).mode & 0o777).toBe(0o600);
    expect(generated.stdout).not.toContain('PRIVATE KEY');

    const again = await scbctl(['signing-key', 'generate', '--out', 'signing.key'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--out signing.key: already exists');

    const pub = await scbctl(['signing-key', 'public', '--key', 'signing.key'], dir);
    expect(pub.code).toBe(0);
    expect(pub.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    writeFileSync(join(dir, 'signing.pub'), pub.stdout);
  }, 30000);
});

describe('scbctl generate -> verify -> inspect -> unpack', () => {
  it('round-trips a bundle with every platform', async () => {
    const generated = await scbctl(
      generateArgs(['--name', 'billing', '--namespace', 'shop', '--version', '3']),
      dir,
    );
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    expect(generated.stdout).toContain('wrote ./secure-connect-billing.zip');
    const zipPath = join(dir, 'secure-connect-billing.zip');
    expect(statSync(zipPath).mode & 0o777).toBe(0o600);
    // Size with all platforms; the bound is the Kubernetes-friendly goal, not a tight benchmark.
    expect(statSync(zipPath).size).toBeLessThan(64 * 1024);

    const verified = await scbctl(
      [
        'verify',
        'secure-connect-billing.zip',
        '--public-key',
        'signing.pub',
        '--client-ca',
        'client-root.crt',
      ],
      dir,
    );
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('ok   signature:');
    expect(verified.stdout).toContain('secure-connect-billing.zip: verified');

    const inspected = await scbctl(['inspect', 'secure-connect-billing.zip', '--json'], dir);
    expect(inspected.code).toBe(0);
    const view = JSON.parse(inspected.stdout) as {
      bundle: unknown;
      platforms: string[];
      certificate: { subjectAltNames: { uri: string[] } };
    };
    expect(view.bundle).toEqual({
      name: 'billing',
      namespace: 'shop',
      version: 3,
      cluster: { name: 'main', namespace: 'cassandra' },
    });
    expect(view.platforms).toEqual([...PLATFORM_IDS]);
    expect(view.certificate.subjectAltNames.uri).toEqual(['spiffe://cluster.local/ns/shop/scb/billing']);

    const unpacked = await scbctl(['unpack', 'secure-connect-billing.zip', '--out', 'billing'], dir);
    expect(unpacked.code).toBe(0);
    expect(statSync(join(dir, 'billing/key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'billing/identity.jks')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'billing/ca.crt')).mode & 0o777).toBe(0o644);
    const config = JSON.parse(readFileSync(join(dir, 'billing/config.json'), 'utf8')) as Record<
      string,
      string
    >;

    for (const output of [generated, verified, inspected, unpacked]) {
      for (const secret of [
        ...secrets,
        config.keyStorePassword as string,
        config.trustStorePassword as string,
      ]) {
        expect(output.stdout + output.stderr).not.toContain(secret);
      }
    }
  }, 60000);

  it('takes identity, key, duration and platforms from a --bundle manifest', async () => {
    const generated = await scbctl(
      generateArgs(['--bundle', 'bundle.yaml', '--now', new Date().toISOString()]),
      dir,
    );
    expect(generated.code).toBe(0);
    const inspected = await scbctl(['inspect', 'secure-connect-orders-api.zip'], dir);
    expect(inspected.stdout).toMatch(/key\s+ECDSA 384/);
    expect(inspected.stdout).toMatch(/platforms\s+python, nodejs, cqlsh/);
    expect(inspected.stdout).toMatch(/DNS names\s+orders\.shop/);
    const view = JSON.parse(
      (await scbctl(['inspect', 'secure-connect-orders-api.zip', '--json'], dir)).stdout,
    ) as {
      certificate: { notBefore: string; notAfter: string };
    };
    const lifetime = Date.parse(view.certificate.notAfter) - Date.parse(view.certificate.notBefore);
    expect(lifetime).toBe(720 * 3600 * 1000);
  }, 60000);

  it('exits 1 naming file-hashes for an edited file, and 2 for bytes that are no zip', async () => {
    const zip = readFileSync(join(dir, 'secure-connect-billing.zip'));
    const edited = readZip(zip, 'billing').map((entry) =>
      entry.path === 'ca.crt'
        ? { ...entry, content: Buffer.concat([entry.content, Buffer.from('#')]) }
        : entry,
    );
    writeFileSync(join(dir, 'edited.zip'), writeZip(edited, new Date()));
    const result = await scbctl(['verify', 'edited.zip', '--public-key', 'signing.pub'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL file-hashes: .*ca\.crt/);
    expect(result.stdout).toContain('edited.zip: verification FAILED');

    writeFileSync(join(dir, 'garbage.zip'), 'not a zip');
    const garbage = await scbctl(['verify', 'garbage.zip', '--public-key', 'signing.pub'], dir);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('garbage.zip: not a readable bundle zip');
  }, 60000);

  it('exits 1 naming the signature check for another signing key', async () => {
    const other = await scbctl(['signing-key', 'generate', '--out', 'other.key'], dir);
    expect(other.code).toBe(0);
    writeFileSync(
      join(dir, 'other.pub'),
      (await scbctl(['signing-key', 'public', '--key', 'other.key'], dir)).stdout,
    );
    const wrongKey = await scbctl(
      ['verify', 'secure-connect-billing.zip', '--public-key', 'other.pub', '--json'],
      dir,
    );
    expect(wrongKey.code).toBe(1);
    const report = JSON.parse(wrongKey.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['signature']);
  }, 60000);
});

describe('scbctl input errors exit 2 and name the flag, file or field', () => {
  it.each([
    ['a missing file', ['--server-ca', 'nope.crt'], '--server-ca nope.crt: no such file'],
    [
      'an unknown platform',
      ['--platform', 'python', '--platform', 'cobol'],
      '--platform unknown platform "cobol"',
    ],
    ['a bad duration', ['--duration', '90 days'], '--duration: "90 days" is not a duration'],
    ['a too short duration', ['--duration', '30s'], '--duration "30s" is shorter than the 1m minimum'],
    [
      'a bad key size',
      ['--key-algorithm', 'RSA', '--key-size', '1024'],
      '--key-size 1024 is not supported for RSA',
    ],
    ['a bad --now', ['--now', 'yesterday'], '--now "yesterday" is not an ISO 8601 time'],
  ])(
    '%s',
    async (_what, flags, message) => {
      const args = generateArgs(['--name', 'x']);
      for (let i = 0; i < flags.length; i += 2) {
        const at = args.indexOf(flags[i] as string);
        if (at >= 0 && flags[i] !== '--platform') args.splice(at, 2);
      }
      const result = await scbctl([...args, ...flags], dir);
      expect(result.stderr).toContain(message);
      expect(result.code).toBe(2);
    },
    30000,
  );

  it('malformed YAML names the file and the line', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'spec:\n  connection: [unclosed\n');
    const result = await scbctl(
      [
        'generate',
        ...generateArgs(['--name', 'x'])
          .slice(1)
          .map((a) => (a === 'cluster.yaml' ? 'broken.yaml' : a)),
      ],
      dir,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--cluster broken\.yaml: not valid YAML at line \d+/);
  }, 30000);

  it('a cluster manifest without a required field names the field path', async () => {
    writeFileSync(join(dir, 'no-dc.yaml'), CLUSTER_YAML.replace('    localDatacenter: dc1\n', ''));
    const args = generateArgs(['--name', 'x']).map((a) => (a === 'cluster.yaml' ? 'no-dc.yaml' : a));
    const result = await scbctl(args, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--cluster no-dc.yaml: spec.connection.localDatacenter is required');
  }, 30000);

  it('takes the CassandraClusterRef out of a multi-document file, as kubectl apply -f accepts', async () => {
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: server-ca\ndata: {}\n';
    writeFileSync(join(dir, 'with-configmap.yaml'), `${configMap}---\n${CLUSTER_YAML}`);
    const args = generateArgs(['--name', 'multi']).map((a) =>
      a === 'cluster.yaml' ? 'with-configmap.yaml' : a,
    );
    const result = await scbctl(args, dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const view = JSON.parse(
      (await scbctl(['inspect', 'secure-connect-multi.zip', '--json'], dir)).stdout,
    ) as {
      cluster: { contactPoints: string[] };
    };
    expect(view.cluster.contactPoints).toEqual(['cassandra-0.example', 'cassandra-1.example']);
  }, 30000);

  it('a multi-document file without exactly one CassandraClusterRef names the file and the fix', async () => {
    writeFileSync(join(dir, 'two-clusters.yaml'), `${CLUSTER_YAML}---\n${CLUSTER_YAML}`);
    const args = generateArgs(['--name', 'x']).map((a) => (a === 'cluster.yaml' ? 'two-clusters.yaml' : a));
    const result = await scbctl(args, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--cluster two-clusters.yaml: holds 2 documents and 2 of kind CassandraClusterRef; give a file with exactly one CassandraClusterRef',
    );
  }, 30000);

  it('a missing --signing-key is a usage error naming the flag', async () => {
    const args = generateArgs(['--name', 'x']);
    args.splice(args.indexOf('--signing-key'), 2);
    const result = await scbctl(args, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--signing-key <file>' not specified");
  }, 30000);

  it('unpack refuses a zip with a path-traversal entry and writes nothing', async () => {
    const evil = writeZip(
      [
        { path: 'README.md', content: Buffer.from('hi') },
        { path: '../escaped.txt', content: Buffer.from('pwned') },
      ],
      new Date('2030-01-01T00:00:00Z'),
    );
    writeFileSync(join(dir, 'evil.zip'), evil);
    const result = await scbctl(['unpack', 'evil.zip', '--out', 'evil-out'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('entry "../escaped.txt" would be written outside the output folder');
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dir, 'evil-out'))).toBe(false);
  }, 30000);
});
