/**
 * scbctl fetch, rotate and versions as a user runs them (a separate process, a kubeconfig with a
 * ServiceAccount token and only the RBAC it needs), also as `kubectl scb` through the pinned
 * kubectl's plugin lookup, against the real apiserver and the download API.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { Registry } from 'prom-client';
import { startDownloadApi, type DownloadApi } from '../../../src/distribution/download-api/index.js';
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import { controlPlaneBinDir, repositoryRoot } from '../../support/control-plane-binaries.js';
import { createTestNamespace, kubeHttp, kubectl } from '../../support/kube.js';
import { getBundle } from '../../support/operator-fixtures.js';
import { capturedLogger, grantDownload, serviceAccountToken } from './distribution-support.js';
import { createPublishedBundle, type PublishedBundle } from './published-bundle.js';
import { secretValue } from '../../../src/observability/secret-value.js';

jest.setTimeout(120_000);

const TSX = pathToFileURL(path.join(repositoryRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const SCBCTL = path.join(repositoryRoot, 'src/cli/scbctl.ts');

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd: work, env, encoding: 'buffer', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr: stderr.toString(),
        });
      },
    );
  });
}

const scbctl = (args: readonly string[]) => run(process.execPath, ['--import', TSX, SCBCTL, ...args]);

let work: string;
let namespace: string;
let published: PublishedBundle;
/** A ServiceAccount that may read bundles and Secrets, patch bundles and download. */
let ci: string;
/** One that may do nothing. */
let nobody: string;
let api: DownloadApi;
let apiCa: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'scbctl-'));
  namespace = await createTestNamespace('scbctl');
  published = await createPublishedBundle(namespace, 'orders', { versions: 2 });
  ci = (await serviceAccountToken(namespace, 'ci')).kubeconfig;
  nobody = (await serviceAccountToken(namespace, 'nobody')).kubeconfig;
  await kubectl(['apply', '-f', '-'], {
    namespace,
    input: `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: scb-ci}
rules:
- {apiGroups: [scb-operator.io], resources: [secureconnectionbundles], verbs: [get, patch]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: scb-ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scb-ci}
subjects: [{kind: ServiceAccount, name: ci, namespace: ${namespace}}]
`,
  });
  await grantDownload(namespace, 'ci');
  api = await startDownloadApi({
    kube: new KubeObjects(kubeHttp()),
    port: 0,
    host: '127.0.0.1',
    tls: undefined,
    clock: { now: () => new Date() },
    logger: capturedLogger().logger,
    metrics: new OperatorMetrics(new Registry()),
    linkKey: secretValue(randomBytes(32)),
  });
  apiCa = path.join(work, 'download-api-ca.pem');
  writeFileSync(apiCa, api.certificatePem);
});

afterAll(async () => {
  await api?.close();
});

test('fetch writes the current zip from the Secret (mode 0600), or a kept version with --version', async () => {
  const current = await scbctl(['fetch', 'orders', '-n', namespace, '--kubeconfig', ci, '-o', 'current.zip']);
  expect(current.stderr).toBe('');
  expect(current.code).toBe(0);
  expect(current.stdout.toString()).toContain(
    `wrote current.zip (version 2, ${published.zips.get(2)?.length} bytes`,
  );
  expect(readFileSync(path.join(work, 'current.zip')).equals(published.zips.get(2)!)).toBe(true);
  expect(statSync(path.join(work, 'current.zip')).mode & 0o777).toBe(0o600);

  const first = await scbctl([
    'fetch',
    'orders',
    '-n',
    namespace,
    '--kubeconfig',
    ci,
    '--version',
    '1',
    '-o',
    '-',
  ]);
  expect(first.code).toBe(0);
  expect(first.stdout.equals(published.zips.get(1)!)).toBe(true);
});

test('fetch --via api downloads through the download API with the kubeconfig token', async () => {
  const viaApi = await scbctl([
    'fetch',
    'orders',
    '-n',
    namespace,
    '--kubeconfig',
    ci,
    '--via',
    'api',
    '--api-url',
    `https://127.0.0.1:${api.port}`,
    '--api-ca',
    apiCa,
    '-o',
    'api.zip',
  ]);
  expect(viaApi.stderr).toBe('');
  expect(viaApi.code).toBe(0);
  expect(readFileSync(path.join(work, 'api.zip')).equals(published.zips.get(2)!)).toBe(true);

  const refused = await scbctl([
    'fetch',
    'orders',
    '-n',
    namespace,
    '--kubeconfig',
    nobody,
    '--via',
    'api',
    '--api-url',
    `https://127.0.0.1:${api.port}`,
    '--api-ca',
    apiCa,
  ]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    /download API answered HTTP 403 .* may not get secureconnectionbundles\/download/,
  );
});

test('fetch failures say what is wrong: exit 1 for the cluster side, 2 for bad input', async () => {
  const notKept = await scbctl(['fetch', 'orders', '-n', namespace, '--kubeconfig', ci, '--version', '9']);
  expect(notKept.code).toBe(1);
  expect(notKept.stderr).toContain(
    `the Secret of version 9 ${namespace}/orders-scb-v9 does not exist: that version is not kept`,
  );
  const missing = await scbctl(['fetch', 'nope', '-n', namespace, '--kubeconfig', ci]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`SecureConnectionBundle ${namespace}/nope not found`);
  const forbidden = await scbctl(['fetch', 'orders', '-n', namespace, '--kubeconfig', nobody]);
  expect(forbidden.code).toBe(1);
  expect(forbidden.stderr).toMatch(/forbidden.*ask for RBAC/i);
  const noUrl = await scbctl(['fetch', 'orders', '-n', namespace, '--kubeconfig', ci, '--via', 'api']);
  expect(noUrl.code).toBe(2);
  expect(noUrl.stderr).toContain('--via api needs --api-url');
});

test('versions prints status.versions with the current one marked; --json gives them whole', async () => {
  const table = await scbctl(['versions', 'orders', '-n', namespace, '--kubeconfig', ci]);
  expect(table.code).toBe(0);
  const lines = table.stdout.toString().trim().split('\n');
  expect(lines[0]).toMatch(/^VERSION\s+STATE\s+CREATED\s+EXPIRES\s+SHA256\s+SIZE\s+SECRET$/);
  const v2 = published.records.get(2)!;
  expect(lines[1]).toMatch(
    new RegExp(
      `^2\\*\\s+Active\\s+\\S+\\s+\\S+\\s+${v2.bundleSHA256.slice(0, 12)}\\s+${v2.size}\\s+orders-scb-v2$`,
    ),
  );
  expect(lines[2]).toMatch(/^1\s+Deprecated\s/);
  const json = JSON.parse(
    (await scbctl(['versions', 'orders', '-n', namespace, '--kubeconfig', ci, '--json'])).stdout.toString(),
  );
  expect(json.currentVersion).toBe(2);
  expect(json.versions.map((entry: { version: number }) => entry.version)).toEqual([2, 1]);
});

test('rotate sets a fresh scb-operator.io/rotate value each time', async () => {
  const first = await scbctl(['rotate', 'orders', '-n', namespace, '--kubeconfig', ci]);
  expect(first.code).toBe(0);
  const after1 = (await getBundle(namespace, 'orders')).metadata.annotations?.['scb-operator.io/rotate'];
  expect(after1).toBeDefined();
  expect(first.stdout.toString()).toContain(
    `rotation requested for ${namespace}/orders (scb-operator.io/rotate=${after1})`,
  );
  expect((await scbctl(['rotate', 'orders', '-n', namespace, '--kubeconfig', ci])).code).toBe(0);
  const after2 = (await getBundle(namespace, 'orders')).metadata.annotations?.['scb-operator.io/rotate'];
  expect(after2).not.toBe(after1);
  const forbidden = await scbctl(['rotate', 'orders', '-n', namespace, '--kubeconfig', nobody]);
  expect(forbidden.code).toBe(1);
});

test('kubectl scb runs scbctl as a plugin, with the namespace from the kubeconfig context', async () => {
  // What `npm install -g` puts on PATH as the kubectl-scb bin, pointing at the sources here.
  const bin = mkdtempSync(path.join(tmpdir(), 'kubectl-plugins-'));
  const plugin = path.join(bin, 'kubectl-scb');
  writeFileSync(plugin, `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${SCBCTL}" "$@"\n`);
  chmodSync(plugin, 0o755);
  const kubeconfig = path.join(work, 'ci-in-namespace.yaml');
  const config = yaml.load(readFileSync(ci, 'utf8')) as {
    contexts: Array<{ context: Record<string, string> }>;
  };
  for (const entry of config.contexts) entry.context['namespace'] = namespace;
  writeFileSync(kubeconfig, yaml.dump(config), { mode: 0o600 });
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, KUBECONFIG: kubeconfig };
  const kubectlBinary = path.join(controlPlaneBinDir(), 'kubectl');
  const versions = await run(kubectlBinary, ['scb', 'versions', 'orders'], env);
  expect(versions.stderr).toBe('');
  expect(versions.stdout.toString()).toMatch(/^2\*\s+Active/m);
});
