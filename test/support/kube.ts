/**
 * What integration tests use to talk to the run's control plane (started by global-setup.ts): a
 * client-node KubeConfig, a fresh namespace per test, the pinned kubectl, and credentials for any
 * user or ServiceAccount.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { fromKubeconfigFile } from '../../src/kube/client/kube-connection.js';
import { KubeHttp } from '../../src/kube/client/kube-http.js';
import { controlPlaneBinDir } from './control-plane-binaries.js';
import {
  adminKubeConfig,
  kubeconfigFor,
  serviceAccountKubeconfig,
  type ControlPlaneConnection,
} from './control-plane-users.js';

/** Names the JSON file with the run's ControlPlaneConnection. */
export const controlPlaneConnectionEnv = 'SCB_TEST_CONTROL_PLANE';

let cachedConnection: ControlPlaneConnection | undefined;

export function controlPlaneConnection(): ControlPlaneConnection {
  if (!cachedConnection) {
    const file = process.env[controlPlaneConnectionEnv];
    if (!file) {
      throw new Error(
        `${controlPlaneConnectionEnv} is not set: run integration tests through the jest "integration" ` +
          'project (npm run test:integration), whose global setup starts the control plane',
      );
    }
    cachedConnection = JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneConnection;
  }
  return cachedConnection;
}

let cachedHttp: KubeHttp | undefined;

/** The operator's own API client (src/kube/client) with admin credentials, as KubeObjects takes it. */
export function kubeHttp(): KubeHttp {
  cachedHttp ??= new KubeHttp(fromKubeconfigFile(controlPlaneConnection().kubeconfigPath, process.env));
  return cachedHttp;
}

/** Admin (system:masters) credentials. */
export function kubeConfig(): KubeConfig {
  return adminKubeConfig(controlPlaneConnection());
}

/** Path of a kubeconfig that authenticates as `user` in `groups` (client certificate). */
export function kubeconfigForUser(user: string, groups: readonly string[] = []): Promise<string> {
  return kubeconfigFor(controlPlaneConnection(), user, groups);
}

/** Path of a kubeconfig holding a TokenRequest token of the ServiceAccount (created if needed). */
export function kubeconfigForServiceAccount(namespace: string, name: string): Promise<string> {
  return serviceAccountKubeconfig(controlPlaneConnection(), namespace, name);
}

/**
 * Creates a namespace with a unique name starting with `prefix`. Nothing deletes it: without
 * kube-controller-manager namespaces never finish terminating, and the whole etcd goes at teardown.
 */
export async function createTestNamespace(
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    throw new Error(
      `createTestNamespace: prefix "${prefix}" must be a lowercase DNS label of at most 56 characters`,
    );
  }
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

export interface KubectlOptions {
  namespace?: string;
  /** Written to kubectl's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Act as someone else than the admin (see kubeconfigForUser / kubeconfigForServiceAccount). */
  kubeconfig?: string;
}

export class KubectlError extends Error {
  override readonly name = 'KubectlError';

  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(' ')} exited with ${exitCode}: ${stderr.trim()}`);
  }
}

/** Runs the pinned kubectl against the control plane; resolves to stdout, rejects with KubectlError. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const connection = controlPlaneConnection();
  const fullArgs = [
    `--kubeconfig=${options.kubeconfig ?? connection.kubeconfigPath}`,
    // A per-run discovery cache: a stale one from an earlier server on the same port would lie.
    `--cache-dir=${path.join(connection.workDir, 'kubectl-cache')}`,
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(controlPlaneBinDir(), 'kubectl'), fullArgs, { timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new KubectlError(args, code, stdout, stderr)),
    );
    child.stdin.end(options.input ?? '');
  });
}
