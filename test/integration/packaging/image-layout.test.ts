/**
 * The image's final stage, laid out without an image build (the fast check; the image itself is
 * built with buildah and run by a real kubelet in test/node/): `npm ci --omit=dev`, the compiled
 * dist/, crds/ and package.json, as the Dockerfile assembles them. The real operator starts from
 * that layout on the image's Node.js (the
 * Dockerfile's NODE_IMAGE version, not the one running Jest) as a numeric non-root user, with the
 * chart's Deployment args and only the chart's namespace-scoped RBAC, creates its signing key,
 * becomes ready, and exits 0 on SIGTERM.
 */
import { jest } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { imageEnvironment, imageNodeBinDir, imageNodeVersion } from '../../support/image-runtime.js';
import { createTestNamespace, kubectl } from '../../support/kube.js';
import { installChartIdentity, parseManifests, renderChart, type Manifest } from '../../support/packaging.js';

jest.setTimeout(300_000);

const run = promisify(execFile);
/** The Dockerfile's USER. */
const imageUser = 65532;

let appDir: string;
/** The image's node, copied where the image user can run it (the cache is under root's home). */
let imageNode: string;

beforeAll(async () => {
  appDir = mkdtempSync(path.join(os.tmpdir(), 'scb-image-'));
  chmodSync(appDir, 0o755);
  imageNode = path.join(appDir, '.node-runtime/node');
  mkdirSync(path.dirname(imageNode), { mode: 0o755 });
  copyFileSync(path.join(imageNodeBinDir(), 'node'), imageNode);
  await run(process.execPath, [
    path.join(repositoryRoot, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(repositoryRoot, 'tsconfig.build.json'),
    '--outDir',
    path.join(appDir, 'dist'),
  ]);
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(path.join(repositoryRoot, file), path.join(appDir, file));
  }
  cpSync(path.join(repositoryRoot, 'crds'), path.join(appDir, 'crds'), { recursive: true });
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: appDir,
  });
  // The final stage copies node_modules and package.json, not the lock file.
  rmSync(path.join(appDir, 'package-lock.json'));
});

it("runs on the Node.js of the Dockerfile's base image", async () => {
  const { stdout } = await run(imageNode, ['--version']);
  expect(stdout.trim()).toBe(`v${imageNodeVersion()}`);
});

afterAll(() => rmSync(appDir, { recursive: true, force: true }));

it('holds the production dependency tree and nothing npm marks development-only', () => {
  const lock = JSON.parse(readFileSync(path.join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  const topLevel = Object.entries(lock.packages).filter(([key]) =>
    /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key),
  );
  const installed = (key: string) => existsSync(path.join(appDir, key, 'package.json'));
  const devOnly = topLevel.filter(([, entry]) => entry.dev).map(([key]) => key);
  const production = topLevel.filter(([, entry]) => !entry.dev && !entry.optional).map(([key]) => key);
  expect(devOnly).toEqual(
    expect.arrayContaining(['node_modules/typescript', 'node_modules/jest', 'node_modules/eslint']),
  );
  expect(devOnly.filter(installed)).toEqual([]);
  expect(production.filter((key) => !installed(key))).toEqual([]);
});

it('runs the operator as the image user with the chart args and RBAC: ready, then a clean SIGTERM exit', async () => {
  const namespace = await createTestNamespace('image');
  const identity = await installChartIdentity({
    namespace,
    scope: 'namespace',
    releaseName: `image-${namespace.split('-').at(-1)}`,
  });
  const deployment = parseManifests(
    await renderChart({
      releaseName: identity.releaseName,
      namespace,
      values: { rbac: { scope: 'namespace' } },
    }),
  ).find((object) => object.kind === 'Deployment') as Manifest & {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const chartArgs = deployment.spec.template.spec.containers[0]?.args ?? [];
  expect(chartArgs).toContain(`--watch-namespace=${namespace}`);

  // The image user cannot read the test harness's own files: give it a copy of the credentials.
  const kubeconfig = path.join(appDir, 'kubeconfig');
  copyFileSync(identity.kubeconfigPath, kubeconfig);
  chmodSync(kubeconfig, 0o644);
  const asImageUser = process.getuid?.() === 0 ? { uid: imageUser, gid: imageUser } : {};
  const child = spawn(
    imageNode,
    // The image's ENTRYPOINT (pinned by test/unit/packaging/dockerfile.test.ts), then the chart's args.
    [
      '--max-semi-space-size=4',
      '--max-old-space-size=128',
      'dist/operator/main.js',
      ...chartArgs,
      '--metrics-address=127.0.0.1:0',
      `--kubeconfig=${kubeconfig}`,
    ],
    {
      cwd: appDir,
      env: {
        ...imageEnvironment(),
        PATH: process.env['PATH'] ?? '',
        HOME: '/tmp',
        POD_NAMESPACE: namespace,
        POD_NAME: 'image-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asImageUser,
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  try {
    const port = await waitFor(
      async () => {
        const started = output
          .split('\n')
          .map((line) =>
            line.startsWith('{') ? (JSON.parse(line) as { message?: string; metricsPort?: number }) : {},
          )
          .find((line) => line.message === 'operator started');
        return started?.metricsPort;
      },
      () => `operator start-up; output:\n${output.slice(-3000)}`,
    );
    await waitFor(
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined),
      () => `/readyz; output:\n${output.slice(-3000)}`,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // Created on first start, in the operator's namespace, with the chart's RBAC only.
    expect(
      await kubectl(
        ['get', 'secret/scb-operator-signing-key', 'configmap/scb-operator-signing-key', '--output=name'],
        { namespace },
      ),
    ).toBe('secret/scb-operator-signing-key\nconfigmap/scb-operator-signing-key\n');
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000, 'still running after 30 s', { ref: false })]);
    expect({ code, output: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, output: '' });
  } finally {
    child.kill('SIGKILL');
  }
});

async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: () => string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(200);
  }
}
