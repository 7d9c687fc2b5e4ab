/**
 * The image built from the unchanged Dockerfile (tools/image/build.sh: buildah, from a local
 * stand-in for its base) run by a real kubelet and containerd: what the image promises its users.
 * The chart's pods running it read-only, as the chart sets them, are in chart.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { operatorImageDir, startNode, type TestNode } from '../support/node.js';
import { runPod } from '../support/node-pods.js';

const namespace = 'default';
let controlPlane: ControlPlane | undefined;
let node: TestNode | undefined;
let core: CoreV1Api;
let imageDir: string;
let image: string;

const log = (component: string) => (message: string) => console.log(`[${component}] ${message}`);

beforeAll(async () => {
  imageDir = operatorImageDir();
  image = readFileSync(path.join(imageDir, 'name'), 'utf8').trim();
  controlPlane = await startControlPlane({ serviceAccountAdmission: true, log: log('control plane') });
  node = await startNode(controlPlane, {
    imageArchives: [path.join(imageDir, 'image.tar')],
    log: log('node'),
  });
  core = controlPlane.adminKubeConfig().makeApiClient(CoreV1Api);
}, 300_000);

afterAll(async () => {
  await node?.stop();
  await controlPlane?.stop();
}, 60_000);

function nodeOrThrow(): TestNode {
  if (!node) throw new Error('the node did not start');
  return node;
}

function imageNode(name: string, script: string, securityContext = {}) {
  return runPod(core, nodeOrThrow(), namespace, name, {
    containers: [
      {
        name: 'main',
        image,
        imagePullPolicy: 'Never',
        command: ['node', '--input-type=module', '-e', script],
        securityContext,
      },
    ],
  });
}

/** The last output line, as JSON (what the pod's script printed). */
function result<T>(run: { phase: string; output: string[] }): T {
  expect(run.phase).toBe('Succeeded');
  return JSON.parse(run.output.at(-1) ?? 'null') as T;
}

describe('the image built from the Dockerfile, on a real node', () => {
  it("runs as the image's uid 65532; with the chart's pod securityContext, as gid 65532", async () => {
    const script =
      'console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), cwd: process.cwd() }))';
    // The image's USER 65532:65532 gives the user; this runtime (containerd 1.6) ignores its
    // group and runs the process with gid 0, which is why the chart sets runAsGroup (and
    // runAsUser with it: containerd refuses a group without a user).
    expect(result(await imageNode('ids-image-only', script))).toEqual({ uid: 65532, gid: 0, cwd: '/app' });
    const chartLike = await runPod(core, nodeOrThrow(), namespace, 'ids-chart', {
      // The chart's, from charts/scb-operator/templates/deployment.yaml.
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'Never',
          command: ['node', '--input-type=module', '-e', script],
        },
      ],
    });
    expect(result(chartLike)).toEqual({ uid: 65532, gid: 65532, cwd: '/app' });
  });

  it('works on a read-only root filesystem: the operator loads, and nothing can be written', async () => {
    const script = `
      import fs from 'node:fs';
      let write = 'written';
      try { fs.writeFileSync('/app/scratch', 'x'); } catch (error) { write = error.code; }
      const operator = await import('/app/dist/operator/operator.js');
      console.log(JSON.stringify({ write, startOperator: typeof operator.startOperator }));`;
    const run = await imageNode('read-only', script, { readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(result(run)).toEqual({ write: 'EROFS', startOperator: 'function' });
  });

  it('holds every production dependency of package-lock.json and no development-only one', async () => {
    const script = `
      import fs from 'node:fs';
      const names = fs.readdirSync('/app/node_modules').flatMap((name) =>
        name.startsWith('@') ? fs.readdirSync('/app/node_modules/' + name).map((scoped) => name + '/' + scoped)
        : name.startsWith('.') ? [] : [name]);
      console.log(JSON.stringify(names));`;
    const installed = new Set(result<string[]>(await imageNode('dependencies', script)));
    const lock = JSON.parse(readFileSync(path.join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
    };
    const topLevel = Object.entries(lock.packages)
      .filter(([key]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
      .map(([key, entry]) => ({ name: key.slice('node_modules/'.length), ...entry }));
    const devOnly = topLevel.filter((p) => p.dev).map((p) => p.name);
    const production = topLevel.filter((p) => !p.dev && !p.devOptional && !p.optional).map((p) => p.name);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((name) => installed.has(name))).toEqual([]);
    expect(production.filter((name) => !installed.has(name))).toEqual([]);
  });

  it('is at most 400 MiB unpacked, of which the operator adds at most 120 MiB to its base', () => {
    // docker-archive: one tar per layer; the first is the base's (the stand-in's single layer).
    const manifest = JSON.parse(
      execFileSync('tar', ['-xOf', path.join(imageDir, 'image.tar'), 'manifest.json'], { encoding: 'utf8' }),
    ) as Array<{ Layers: string[] }>;
    const sizes = new Map(
      execFileSync('tar', ['-tvf', path.join(imageDir, 'image.tar')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .map((fields) => [fields.at(-1) ?? '', Number(fields[2])]),
    );
    const layers = manifest[0]?.Layers.map((layer) => sizes.get(layer) ?? Number.NaN) ?? [];
    const mib = (bytes: number) => bytes / 1024 / 1024;
    const total = mib(layers.reduce((sum, size) => sum + size, 0));
    const added = mib(layers.slice(1).reduce((sum, size) => sum + size, 0));
    console.log(`[image] ${image}: ${total.toFixed(1)} MiB unpacked, ${added.toFixed(1)} MiB over its base`);
    expect(layers.length).toBeGreaterThanOrEqual(2);
    expect(total).toBeLessThanOrEqual(400);
    expect(added).toBeLessThanOrEqual(120);
  });
});
