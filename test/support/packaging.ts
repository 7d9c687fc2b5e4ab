/**
 * The chart as tests use it: the pinned helm, promtool and Lua (built by tools/packaging/build.sh),
 * rendering charts/scb-operator, installing the Prometheus Operator's ServiceMonitor and
 * PrometheusRule CRDs (fetched by build.sh from its Go module), installing the chart's
 * ServiceAccount and RBAC into a test control plane so a process can run with exactly the
 * permissions the chart grants, and turning the chart's operator container into a command line
 * for such a process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1PodSpec, V1Secret } from '@kubernetes/client-node';
import {
  helmTemplateArgs,
  packagingBinDir as buildPackagingTools,
  parseManifests,
  toYamlStream,
  writeValuesFile,
  type Manifest,
  type RenderOptions,
} from '../../tools/packaging/chart-render.js';
import { controlPlaneConnection, kubectl } from './kube.js';
import { serviceAccountKubeconfig, type ControlPlaneConnection } from './control-plane-users.js';

export {
  chartDir,
  parseManifests,
  toYamlStream,
  type Manifest,
  type RenderOptions,
} from '../../tools/packaging/chart-render.js';

let cachedBinDir: string | undefined;

/** Folder with helm and promtool (asked of build.sh once per test file). */
export function packagingBinDir(): string {
  cachedBinDir ??= buildPackagingTools();
  return cachedBinDir;
}

/** The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs, as build.sh copies them. */
export function prometheusOperatorCrdDir(): string {
  return path.join(path.dirname(packagingBinDir()), 'prometheus-operator-crds');
}

/** The monitoring.coreos.com resources the chart renders, by the plural discovery lists. */
const prometheusOperatorResources = ['servicemonitors', 'prometheusrules'];

/**
 * Installs the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs on the integration
 * run's control plane and waits until both are Established and served by discovery. Test files
 * share the control plane, so this is a server-side apply: running it again, or from another
 * file, changes nothing and does not fail.
 */
export async function installPrometheusOperatorCrds(): Promise<void> {
  const dir = prometheusOperatorCrdDir();
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  if (files.length !== prometheusOperatorResources.length) {
    throw new Error(`${dir} holds ${files.join(', ') || 'no CRDs'}; run bash tools/packaging/build.sh`);
  }
  await kubectl([
    'apply',
    '--server-side',
    '--field-manager=scb-chart-test',
    ...files.flatMap((file) => ['-f', path.join(dir, file)]),
  ]);
  const names = prometheusOperatorResources.map((plural) => `crd/${plural}.monitoring.coreos.com`);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  // kubectl and the apiserver's own clients resolve kinds through discovery, which can lag.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const served = await kubectl(['get', '--raw', '/apis/monitoring.coreos.com/v1']).then(
      (body) => (JSON.parse(body) as { resources: { name: string }[] }).resources.map((r) => r.name),
      () => [] as string[],
    );
    if (prometheusOperatorResources.every((plural) => served.includes(plural))) return;
    if (Date.now() > deadline) {
      throw new Error(`discovery does not serve monitoring.coreos.com/v1 ${prometheusOperatorResources}`);
    }
    await sleep(100);
  }
}

export class ToolError extends Error {
  override readonly name = 'ToolError';

  constructor(
    readonly command: string,
    readonly exitCode: number | string | null | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} exited with ${exitCode}: ${stderr.trim() || stdout.trim()}`);
  }
}

/** Runs `file` with `args`; resolves to stdout, rejects with ToolError carrying both streams. */
export function runTool(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new ToolError(`${path.basename(file)} ${args.join(' ')}`, error.code, stdout, stderr));
        else resolve(stdout);
      },
    );
    // A tool that exits before reading its input would otherwise fail the call with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export function helm(args: readonly string[]): Promise<string> {
  return runTool(path.join(packagingBinDir(), 'helm'), args);
}

export function promtool(args: readonly string[]): Promise<string> {
  return runTool(path.join(packagingBinDir(), 'promtool'), args);
}

/** `helm template` of the chart; resolves to the rendered YAML stream. */
export async function renderChart(options: RenderOptions): Promise<string> {
  const { dir, file } = writeValuesFile(options.values);
  try {
    return await helm(helmTemplateArgs(options, file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const identityKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

export interface ChartIdentity {
  releaseName: string;
  /** Where the operator runs: the Lease and the signing-key Secret live here. */
  namespace: string;
  serviceAccount: string;
  /** Empty for a cluster-wide install. */
  watchNamespace: string;
  /** A kubeconfig that authenticates as the chart's ServiceAccount (a TokenRequest token). */
  kubeconfigPath: string;
  /** The ServiceAccount and RBAC objects applied. */
  objects: Manifest[];
  /** Everything the chart rendered with these values (the Deployment too), applied or not. */
  rendered: Manifest[];
}

export interface ChartIdentityOptions {
  /** The operator's namespace (the release namespace); must exist. */
  namespace: string;
  scope: 'cluster' | 'namespace';
  /** With scope namespace: the namespace to watch (default: `namespace`); must exist. */
  watchNamespace?: string;
  /** Cluster-scoped RBAC objects are named after it, so tests sharing a control plane need their own. */
  releaseName: string;
  /** More chart values (e.g. `{download: {enabled: true}}`), merged under `rbac`. */
  values?: Record<string, unknown>;
  /** Where to install; default the integration run's control plane. */
  controlPlane?: ControlPlaneConnection;
}

/**
 * Renders the chart and applies only its ServiceAccount and RBAC, so a test can run the operator
 * (or kubectl) with exactly the chart's permissions:
 *
 *   const identity = await installChartIdentity({ namespace, scope: 'namespace', releaseName: 'scb-e2e' });
 *   // start the operator with --kubeconfig=identity.kubeconfigPath --operator-namespace=namespace ...
 */
export async function installChartIdentity(options: ChartIdentityOptions): Promise<ChartIdentity> {
  const connection = options.controlPlane ?? controlPlaneConnection();
  const watchNamespace = options.scope === 'namespace' ? (options.watchNamespace ?? options.namespace) : '';
  const rendered = parseManifests(
    await renderChart({
      releaseName: options.releaseName,
      namespace: options.namespace,
      values: { ...options.values, rbac: { scope: options.scope, watchNamespace } },
    }),
  );
  const objects = rendered.filter((object) => identityKinds.has(object.kind));
  const serviceAccount = objects.find((object) => object.kind === 'ServiceAccount')?.metadata.name;
  if (!serviceAccount)
    throw new Error('the chart rendered no ServiceAccount; is serviceAccount.create false?');
  await kubectlAsAdmin(
    connection,
    ['apply', '--server-side', '--field-manager=scb-chart-test', '-f', '-'],
    toYamlStream(objects),
  );
  return {
    releaseName: options.releaseName,
    namespace: options.namespace,
    serviceAccount,
    watchNamespace,
    kubeconfigPath: await serviceAccountKubeconfig(connection, options.namespace, serviceAccount),
    objects,
    rendered,
  };
}

/** The pinned kubectl as the admin of `connection`'s control plane. */
function kubectlAsAdmin(
  connection: ControlPlaneConnection,
  args: readonly string[],
  input?: string,
): Promise<string> {
  return runTool(
    path.join(connection.binDir, 'kubectl'),
    [
      `--kubeconfig=${connection.kubeconfigPath}`,
      // A per-control-plane discovery cache: one from an earlier server on the same port would lie.
      `--cache-dir=${path.join(connection.workDir, 'kubectl-cache')}`,
      ...args,
    ],
    input,
  );
}

/** The operator container of the rendered Deployment, with its pod spec. */
export function chartOperatorContainer(objects: readonly Manifest[]): {
  container: V1Container;
  pod: V1PodSpec;
} {
  const deployment = objects.find((object) => object.kind === 'Deployment') as
    (Manifest & { spec: { template: { spec: V1PodSpec } } }) | undefined;
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers.find((candidate) => candidate.name === 'operator');
  if (!pod || !container) throw new Error('the chart rendered no Deployment with an "operator" container');
  return { container, pod };
}

/**
 * The operator container's args, made runnable by a local process the way the kubelet would run
 * them: every Secret volume the container mounts is projected into a folder under `root` (its
 * items, read with `readSecret`), paths under a mount point are moved to that folder, and the
 * listen addresses become 127.0.0.1:0. --metrics-address is dropped (startOperatorProcess sets it).
 */
export async function chartOperatorArgs(
  objects: readonly Manifest[],
  root: string,
  readSecret: (name: string) => Promise<V1Secret | undefined>,
): Promise<string[]> {
  const { container, pod } = chartOperatorContainer(objects);
  const mounts: Array<{ mountPath: string; folder: string }> = [];
  for (const mount of container.volumeMounts ?? []) {
    const source = pod.volumes?.find((volume) => volume.name === mount.name)?.secret;
    if (!source) continue;
    const secret = await readSecret(source.secretName ?? '');
    if (!secret) throw new Error(`Secret ${source.secretName} (volume ${mount.name}) does not exist`);
    const folder = path.join(root, mount.name);
    mkdirSync(folder, { recursive: true });
    const items = source.items ?? Object.keys(secret.data ?? {}).map((key) => ({ key, path: key }));
    for (const item of items) {
      const value = secret.data?.[item.key];
      if (value === undefined) {
        throw new Error(`Secret ${source.secretName} has no key ${item.key} (volume ${mount.name})`);
      }
      writeFileSync(path.join(folder, item.path), Buffer.from(value, 'base64'), { mode: 0o600 });
    }
    mounts.push({ mountPath: mount.mountPath, folder });
  }
  return (container.args ?? [])
    .filter((arg) => !arg.startsWith('--metrics-address='))
    .map((arg) => {
      if (arg.startsWith('--download-address=')) return '--download-address=127.0.0.1:0';
      for (const { mountPath, folder } of mounts) {
        arg = arg.replace(`=${mountPath}/`, `=${folder}/`);
      }
      return arg;
    });
}
