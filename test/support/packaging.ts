/**
 * The chart as tests use it: the pinned helm, promtool and Lua (built by tools/packaging/build.sh),
 * rendering charts/scb-operator, and installing the chart's ServiceAccount and RBAC into the test
 * control plane so a process can run with exactly the permissions the chart grants.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import {
  helmTemplateArgs,
  packagingBinDir as buildPackagingTools,
  parseManifests,
  toYamlStream,
  writeValuesFile,
  type Manifest,
  type RenderOptions,
} from '../../tools/packaging/chart-render.js';
import { kubeconfigForServiceAccount, kubectl } from './kube.js';

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
}

export interface ChartIdentityOptions {
  /** The operator's namespace (the release namespace); must exist. */
  namespace: string;
  scope: 'cluster' | 'namespace';
  /** With scope namespace: the namespace to watch (default: `namespace`); must exist. */
  watchNamespace?: string;
  /** Cluster-scoped RBAC objects are named after it, so tests sharing a control plane need their own. */
  releaseName: string;
}

/**
 * Renders the chart and applies only its ServiceAccount and RBAC, so a test can run the operator
 * (or kubectl) with exactly the chart's permissions:
 *
 *   const identity = await installChartIdentity({ namespace, scope: 'namespace', releaseName: 'scb-e2e' });
 *   // start the operator with --kubeconfig=identity.kubeconfigPath --operator-namespace=namespace ...
 */
export async function installChartIdentity(options: ChartIdentityOptions): Promise<ChartIdentity> {
  const watchNamespace = options.scope === 'namespace' ? (options.watchNamespace ?? options.namespace) : '';
  const rendered = parseManifests(
    await renderChart({
      releaseName: options.releaseName,
      namespace: options.namespace,
      values: { rbac: { scope: options.scope, watchNamespace } },
    }),
  );
  const objects = rendered.filter((object) => identityKinds.has(object.kind));
  const serviceAccount = objects.find((object) => object.kind === 'ServiceAccount')?.metadata.name;
  if (!serviceAccount)
    throw new Error('the chart rendered no ServiceAccount; is serviceAccount.create false?');
  await kubectl(['apply', '--server-side', '--field-manager=scb-chart-test', '-f', '-'], {
    input: toYamlStream(objects),
  });
  return {
    releaseName: options.releaseName,
    namespace: options.namespace,
    serviceAccount,
    watchNamespace,
    kubeconfigPath: await kubeconfigForServiceAccount(options.namespace, serviceAccount),
    objects,
  };
}
