import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { generateSigningKey, signingKeyPem } from '../../../src/bundle/signing.js';
import {
  generate,
  generateBatch,
  type BatchOutcome,
  type GenerateOptions,
} from '../../../src/cli/generate.js';
import { InvalidInputError } from '../../../src/errors.js';
import { createClientCa, createServerPki } from '../bundle/bundle-fixtures.js';

const CLUSTER_YAML = `apiVersion: scb-operator.io/v1alpha1
kind: CassandraClusterRef
metadata: {name: main, namespace: cassandra}
spec:
  connection: {contactPoints: [cassandra-0.example], localDatacenter: dc1}
  serverCA: {secretRef: {name: server-ca}}
  clientCA: {secretRef: {name: client-ca}}
  identity: {trustDomain: cluster.local}
`;
const bundle = (name: string, spec = 'platforms: [python]'): string =>
  `apiVersion: scb-operator.io/v1alpha1\nkind: SecureConnectionBundle\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  clusterRef: {name: main}\n  ${spec}\n`;

let dir: string;
let base: GenerateOptions;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scb-batch-'));
  const ca = await createClientCa();
  const file = (name: string, content: string): string => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  base = {
    cluster: file('cluster.yaml', CLUSTER_YAML),
    serverCa: file('server-ca.crt', createServerPki().caPem),
    clientCaCert: file('client-ca.crt', ca.intermediatePem.certificatePem),
    clientCaKey: file('client-ca.key', ca.intermediatePem.privateKeyPem),
    clientCaChain: file('client-ca-chain.crt', ca.rootPem.certificatePem),
    signingKey: file('signing.key', signingKeyPem(generateSigningKey())),
  };
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh folder of manifests and an output folder beside it. */
function batchInput(files: Record<string, string>): { manifests: string; outDir: string } {
  const root = mkdtempSync(join(dir, 'run-'));
  const manifests = join(root, 'manifests');
  mkdirSync(manifests);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(manifests, name), content);
  return { manifests, outDir: join(root, 'out') };
}

async function runBatch(options: GenerateOptions & { outDir: string }) {
  const outcomes: BatchOutcome[] = [];
  const result = await generateBatch(options, (outcome) => outcomes.push(outcome));
  const failures = outcomes.flatMap((outcome) =>
    'error' in outcome
      ? [
          {
            source: outcome.source,
            reason: (outcome.error as InvalidInputError).reason,
            message: outcome.error.message,
          },
        ]
      : [],
  );
  return { result, outcomes, failures };
}

describe('scbctl generate --out-dir', () => {
  it('writes one zip per bundle, named after it, and lists documents of other kinds', async () => {
    const { manifests, outDir } = batchInput({
      'a.yaml': `${bundle('orders')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${bundle('billing')}`,
      'b.yaml': bundle('ledger', 'platforms: [nodejs, cqlsh]'),
    });
    const { result, failures } = await runBatch({ ...base, bundle: [manifests], outDir });
    expect(failures).toEqual([]);
    expect(result).toEqual({
      generated: 3,
      failed: 0,
      otherKinds: [`${join(manifests, 'a.yaml')}#2 (ConfigMap)`],
    });
    expect(readdirSync(outDir).sort()).toEqual([
      'secure-connect-billing.zip',
      'secure-connect-ledger.zip',
      'secure-connect-orders.zip',
    ]);
    // Each bundle keeps its own spec: ledger asked for nodejs and cqlsh only.
    const ledger = readZip(readFileSync(join(outDir, 'secure-connect-ledger.zip')), 'ledger');
    const platforms = new Set(ledger.flatMap((entry) => /^platforms\/([^/]+)\//.exec(entry.path)?.[1] ?? []));
    expect([...platforms].sort()).toEqual(['cqlsh', 'nodejs']);
  }, 60_000);

  it('reports each bad document by file and position, and still writes the good ones', async () => {
    const { manifests, outDir } = batchInput({
      'a.yaml': `${bundle('good-1')}---\n${bundle('bad-duration', 'duration: 90 days')}---\n${bundle('Bad_Name')}`,
      'b.yaml': `${bundle('good-1')}---\n${bundle('good-2')}`,
      'c.yaml': 'spec: [unclosed\n',
    });
    const { result, failures } = await runBatch({ ...base, bundle: [manifests], outDir });
    const at = (file: string) => join(manifests, file);
    expect(failures).toEqual([
      {
        source: `${at('a.yaml')}#2`,
        reason: 'InvalidDuration',
        message: expect.stringContaining('spec.duration'),
      },
      {
        source: `${at('a.yaml')}#3`,
        reason: 'InvalidName',
        message: expect.stringContaining('metadata.name "Bad_Name" is not a Kubernetes object name'),
      },
      {
        source: `${at('b.yaml')}#1`,
        reason: 'DuplicateBundleName',
        message: expect.stringContaining(
          `is also the name of ${at('a.yaml')}#1, and both would write secure-connect-good-1.zip`,
        ),
      },
      {
        source: at('c.yaml'),
        reason: 'MalformedYaml',
        message: expect.stringContaining('not valid YAML at line'),
      },
    ]);
    expect(result).toEqual({ generated: 2, failed: 4, otherKinds: [] });
    expect(readdirSync(outDir).sort()).toEqual(['secure-connect-good-1.zip', 'secure-connect-good-2.zip']);
  }, 60_000);

  it('stops before writing anything when what every bundle shares is wrong', async () => {
    const { manifests, outDir } = batchInput({ 'a.yaml': bundle('orders') });
    const error = await rejection(
      runBatch({ ...base, clientCaKey: base.signingKey, bundle: [manifests], outDir }),
    );
    expect(error.reason).toBe('KeyMismatch');
    expect(error.message).toContain('--client-ca-cert/--client-ca-key');
    expect(existsSync(outDir)).toBe(false);
  }, 30_000);

  it('refuses a bad flag once, before any bundle, rather than once per bundle', async () => {
    const { manifests, outDir } = batchInput({ 'a.yaml': `${bundle('a')}---\n${bundle('b')}` });
    const error = await rejection(runBatch({ ...base, duration: '90 days', bundle: [manifests], outDir }));
    expect(error.message).toContain('--duration: "90 days" is not a duration');
    expect(existsSync(outDir)).toBe(false);
  });

  it.each([
    ['--name', { name: 'x' }],
    ['--out', { out: 'x.zip' }],
    ['--common-name', { commonName: 'x' }],
    ['--spiffe-id', { spiffeId: 'spiffe://a/b' }],
  ])('refuses %s, which names one bundle', async (flag, extra) => {
    const { manifests, outDir } = batchInput({ 'a.yaml': bundle('orders') });
    const error = await rejection(runBatch({ ...base, ...extra, bundle: [manifests], outDir }));
    expect(error.message).toBe(
      `${flag} names one bundle and cannot be used with --out-dir: set it in each manifest instead`,
    );
  });

  it('refuses --out-dir without --bundle', async () => {
    const error = await rejection(runBatch({ ...base, outDir: join(dir, 'never') }));
    expect(error.message).toContain('--out-dir needs --bundle FILE|DIR');
  });
});

describe('scbctl generate without --out-dir points at batch mode', () => {
  it.each([
    ['a folder', () => batchInput({ 'a.yaml': bundle('a') }).manifests, 'is a folder; add --out-dir DIR'],
    [
      'a file of two bundles',
      () => join(batchInput({ 'two.yaml': `${bundle('a')}---\n${bundle('b')}` }).manifests, 'two.yaml'),
      'holds 2 documents and 2 of kind SecureConnectionBundle; give a file with exactly one SecureConnectionBundle, or add --out-dir DIR',
    ],
  ])('%s', async (_what, path, says) => {
    const error = await rejection(generate({ ...base, bundle: [path()] }));
    expect(error.message).toContain(says);
  });

  it('refuses --bundle given twice', async () => {
    const error = await rejection(generate({ ...base, bundle: ['a.yaml', 'b.yaml'] }));
    expect(error.message).toBe(
      '--bundle is given more than once: add --out-dir DIR to generate one zip per bundle',
    );
  });
});

async function rejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
