/**
 * A real Kubernetes control plane (etcd + kube-apiserver, the pinned builds) on loopback ports, in
 * a temp folder, for integration tests and the demo. What envtest does, in TypeScript: no kubelet,
 * no kube-controller-manager (so no garbage collection and no namespace deletion).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPorts, logTail } from './local-processes.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiRequest, type ApiTls } from './control-plane-api.js';
import { controlPlaneBinDir, controlPlaneCacheDir, repositoryRoot } from './control-plane-binaries.js';
import { installCustomResourceDefinitions } from './control-plane-crds.js';
import { createCertificateAuthority, createServiceAccountSigningKey } from './control-plane-pki.js';
import {
  killProcessGroup,
  reapStrayRuns,
  registerRun,
  type RunRegistration,
} from './control-plane-strays.js';
import {
  adminKubeConfig,
  kubeconfigFor,
  serviceAccountKubeconfig,
  writeKubeconfig,
  type ControlPlaneConnection,
} from './control-plane-users.js';

export type { ControlPlaneConnection } from './control-plane-users.js';

export interface ControlPlaneOptions {
  /** Folder with kube-apiserver, kubectl and etcd; default: `SCB_CONTROL_PLANE_BIN` or build.sh's. */
  binDir?: string;
  /** CRD manifests to install before returning; default `<repo>/crds` when it exists; null: none. */
  crdDir?: string | null;
  /** How long etcd, the apiserver and the CRDs may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
  /**
   * Admit pods through the ServiceAccount plugin (token volumes injected), as a cluster whose
   * controller-manager creates each namespace's `default` ServiceAccount does (the test node).
   */
  serviceAccountAdmission?: boolean;
  /** etcd's --quota-backend-bytes (etcd's default: 2 GiB). */
  etcdQuotaBackendBytes?: number;
  log?: (message: string) => void;
}

export interface ControlPlane {
  connection: ControlPlaneConnection;
  /** JSON file holding `connection`, for processes that did not start the control plane. */
  connectionPath: string;
  kubeconfigPath: string;
  server: string;
  /** Wall time from the call until the apiserver was ready and the CRDs were served. */
  startupMs: number;
  /** etcd and kube-apiserver, each the leader of its own process group (current pids). */
  readonly processes: { name: string; pid: number }[];
  adminKubeConfig(): KubeConfig;
  kubeconfigFor(user: string, groups: readonly string[]): Promise<string>;
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Graceful: SIGTERM, then SIGKILL after 5 s; removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
  /** Immediate and synchronous (SIGKILL), for `exit` and signal handlers. Safe to call twice. */
  kill(): void;
  /**
   * A fault for resilience tests: ends one component (SIGKILL by default) and waits for it to
   * exit. Its data, ports and the other component stay, so `startComponent` brings it back.
   */
  stopComponent(name: ControlPlaneComponent, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts a stopped component again with the same flags, ports and data folder; resolves once it
   * answers healthy (the apiserver's /readyz needs etcd up). A running one is left alone.
   */
  startComponent(name: ControlPlaneComponent, options?: { readyTimeoutMs?: number }): Promise<void>;
}

export type ControlPlaneComponent = 'etcd' | 'kube-apiserver';

/** A process of the control plane, or of a node the tests start beside it (test/support/node.ts). */
export interface Component<Name extends string = string> {
  name: Name;
  pid: number;
  logPath: string;
  exited: Promise<void>;
  exitStatus?: string;
}

const adminUser = 'scb-test-admin';
const serviceClusterIpRange = '10.0.0.0/24';
/** The kubernetes Service's ClusterIP: the first address of the Service range. */
export const kubernetesServiceAddress = '10.0.0.1';
const gracefulStopMs = 5000;

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Another process may take a port between our probe and the server binding it: retry once.
  try {
    return await startOnce(options);
  } catch (error) {
    if (!String(error).includes('address already in use')) throw error;
    options.log?.('a port was taken while starting; retrying on new ports');
    return startOnce(options);
  }
}

/**
 * Ctrl-C, `kill` and a closed terminal end a Node process without its `exit` event, and the
 * detached etcd and apiserver would outlive it. This turns them into a normal exit, on which every
 * control plane of this process is killed. Call it before starting, so an interrupted start-up
 * cleans up too.
 */
export function exitOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => process.exit(code));
  }
}

async function startOnce(options: ControlPlaneOptions): Promise<ControlPlane> {
  const startedAt = Date.now();
  const log = options.log ?? (() => {});
  const binDir = options.binDir ?? controlPlaneBinDir();
  for (const binary of ['etcd', 'kube-apiserver', 'kubectl']) {
    if (!existsSync(path.join(binDir, binary))) {
      throw new Error(`${binary} is missing from ${binDir}: run tools/control-plane/build.sh to build it`);
    }
  }
  const runsDir = path.join(controlPlaneCacheDir(), 'runs');
  const reaped = reapStrayRuns(runsDir);
  if (reaped > 0) log(`killed ${reaped} process(es) left by an interrupted run`);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-control-plane-'));
  const registration = registerRun(runsDir, workDir);
  const components: Component[] = [];
  const launched = new Map<ControlPlaneComponent, string[]>();
  const start = (name: ControlPlaneComponent, args: string[]): Component => {
    launched.set(name, args);
    const component = launch(registration, workDir, binDir, name, args);
    const at = components.findIndex((c) => c.name === name);
    if (at === -1) components.push(component);
    else components[at] = component;
    return component;
  };
  let stopped = false;
  const kill = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    for (const component of components) killProcessGroup(component.pid, 'SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };
  // However this process ends normally (or throws), the control plane goes with it.
  process.once('exit', kill);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    // The apiserver first, so it does not spend its last seconds reconnecting to a dead etcd.
    for (const component of [...components].reverse()) await stopGracefully(component, gracefulStopMs);
    kill();
  };

  try {
    const file = (name: string, content: string) => {
      const filePath = path.join(workDir, name);
      writeFileSync(filePath, content, { mode: 0o600 });
      return filePath;
    };
    const [etcdClientPort, etcdPeerPort, apiserverPort] = await freeLoopbackPorts(3);
    const server = `https://127.0.0.1:${apiserverPort}`;

    const ca = await createCertificateAuthority('scb-operator test control plane CA');
    // 10.0.0.1 and kubernetes.default.svc: the kubernetes Service, which in-cluster clients on the
    // test node dial (test/support/node.ts).
    const serving = await ca.issueServingCertificate(
      ['127.0.0.1', kubernetesServiceAddress],
      ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    );
    const admin = await ca.issueClientCertificate(adminUser, ['system:masters']);
    const serviceAccountKey = await createServiceAccountSigningKey();
    const caCertificatePath = file('ca.crt', ca.certificatePem);
    const caPrivateKeyPath = file('ca.key', ca.privateKeyPem);

    const etcdClientUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = start('etcd', [
      '--name=default',
      `--data-dir=${path.join(workDir, 'etcd-data')}`,
      `--listen-client-urls=${etcdClientUrl}`,
      `--advertise-client-urls=${etcdClientUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=default=${etcdPeerUrl}`,
      // Durability is worthless for a throwaway store; fsync dominates its latency otherwise.
      '--unsafe-no-fsync',
      ...(options.etcdQuotaBackendBytes ? [`--quota-backend-bytes=${options.etcdQuotaBackendBytes}`] : []),
    ]);
    const apiserver = start('kube-apiserver', [
      `--etcd-servers=${etcdClientUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${path.join(workDir, 'apiserver-certs')}`,
      `--tls-cert-file=${file('apiserver.crt', serving.certificatePem)}`,
      `--tls-private-key-file=${file('apiserver.key', serving.privateKeyPem)}`,
      `--client-ca-file=${caCertificatePath}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${file('sa.pub', serviceAccountKey.publicKeyPem)}`,
      `--service-account-signing-key-file=${file('sa.key', serviceAccountKey.privateKeyPem)}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      // Without a controller-manager no one creates default ServiceAccounts, so this plugin would
      // refuse every Pod.
      ...(options.serviceAccountAdmission ? [] : ['--disable-admission-plugins=ServiceAccount']),
      '--allow-privileged=true',
    ]);
    // Started together: the apiserver retries etcd while it boots, which overlaps the two start-ups.
    const deadline = startedAt + (options.readyTimeoutMs ?? 90_000);
    const tls = { ca: ca.certificatePem, cert: admin.certificatePem, key: admin.privateKeyPem };
    const healthy: Record<ControlPlaneComponent, () => Promise<boolean>> = {
      etcd: async () => (await apiRequest(`${etcdClientUrl}/health`))?.statusCode === 200,
      'kube-apiserver': async () => (await apiRequest(`${server}/readyz`, tls))?.statusCode === 200,
    };
    await waitUntil('etcd /health', components, deadline, healthy.etcd);
    log(`etcd ready on ${etcdClientUrl} (pid ${etcd.pid})`);
    await waitUntil('kube-apiserver /readyz', components, deadline, healthy['kube-apiserver']);
    log(`kube-apiserver ready on ${server} (pid ${apiserver.pid})`);
    const current = (name: ControlPlaneComponent): Component => {
      const component = components.find((c) => c.name === name);
      if (!component) throw new Error(`${name} was never started`);
      return component;
    };
    const stopComponent = async (name: ControlPlaneComponent, signal: NodeJS.Signals = 'SIGKILL') => {
      const component = current(name);
      if (component.exitStatus === undefined) killProcessGroup(component.pid, signal);
      await component.exited;
      log(`${name} stopped (${component.exitStatus})`);
    };
    const startComponent = async (name: ControlPlaneComponent, options: { readyTimeoutMs?: number } = {}) => {
      if (stopped) throw new Error(`the control plane is torn down; ${name} cannot start again`);
      if (current(name).exitStatus === undefined) return;
      const component = start(name, launched.get(name) ?? []);
      const until = Date.now() + (options.readyTimeoutMs ?? 90_000);
      // Only this component's death fails the wait: the other may be down on purpose.
      await waitUntil(`${name} to be healthy again`, [component], until, healthy[name]);
      log(`${name} ready again (pid ${component.pid})`);
    };

    const kubeconfigPath = writeKubeconfig(
      path.join(workDir, 'admin.kubeconfig'),
      server,
      ca.certificatePem,
      adminUser,
      {
        clientCertificatePem: admin.certificatePem,
        clientKeyPem: admin.privateKeyPem,
      },
    );
    const connection: ControlPlaneConnection = {
      server,
      kubernetesVersion: await serverVersion(server, tls),
      binDir,
      workDir,
      kubeconfigPath,
      caCertificatePath,
      caPrivateKeyPath,
    };
    const crdDir = options.crdDir === undefined ? path.join(repositoryRoot, 'crds') : options.crdDir;
    if (crdDir !== null && existsSync(crdDir)) {
      const names = await installCustomResourceDefinitions(server, tls, crdDir, (what, ready) =>
        waitUntil(what, components, deadline, ready),
      );
      log(`CRDs served: ${names.join(', ') || '(none found)'}`);
    }
    const connectionPath = path.join(workDir, 'connection.json');
    writeFileSync(connectionPath, JSON.stringify(connection, null, 2));
    return {
      connection,
      connectionPath,
      kubeconfigPath,
      server,
      startupMs: Date.now() - startedAt,
      get processes() {
        return components.map(({ name, pid }) => ({ name, pid }));
      },
      adminKubeConfig: () => adminKubeConfig(connection),
      kubeconfigFor: (user, groups) => kubeconfigFor(connection, user, groups),
      serviceAccountKubeconfig: (namespace, name) => serviceAccountKubeconfig(connection, namespace, name),
      stop,
      kill,
      stopComponent,
      startComponent,
    };
  } catch (error) {
    const tails = components
      .map((c) => `--- last lines of ${c.name}.log ---\n${logTail(c.logPath, 30)}`)
      .join('\n');
    kill();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`control plane failed to start: ${message}${tails ? `\n${tails}` : ''}`, {
      cause: error,
    });
  }
}

export function launch<Name extends string>(
  registration: RunRegistration,
  workDir: string,
  binDir: string,
  name: Name,
  args: string[],
): Component<Name> {
  const logPath = path.join(workDir, `${name}.log`);
  const logFd = openSync(logPath, 'a');
  // detached: its own process group, so teardown can kill it and anything it forks in one signal,
  // and a Ctrl-C aimed at the test runner is ours to handle in order.
  const child = spawn(path.join(binDir, name), args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  if (child.pid === undefined) throw new Error(`could not start ${name} from ${binDir}`);
  registration.addProcess(child.pid);
  const component: Component<Name> = {
    name,
    pid: child.pid,
    logPath,
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        component.exitStatus = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      }),
    ),
  };
  return component;
}

/** SIGTERM to a component's process group, then SIGKILL once `graceMs` has passed without an exit. */
export async function stopGracefully(component: Component, graceMs: number): Promise<void> {
  killProcessGroup(component.pid, 'SIGTERM');
  const patience = new AbortController();
  const exited = await Promise.race([
    component.exited.then(() => true),
    sleep(graceMs, false, { signal: patience.signal }).catch(() => false),
  ]);
  // A pending timer would keep this process alive after the caller returns.
  patience.abort();
  if (!exited) {
    killProcessGroup(component.pid, 'SIGKILL');
    await component.exited;
  }
}

export async function waitUntil(
  what: string,
  components: readonly Component[],
  deadline: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const dead = components.find((c) => c.exitStatus !== undefined);
    if (dead) throw new Error(`${dead.name} exited (${dead.exitStatus}) while waiting for ${what}`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function serverVersion(server: string, tls: ApiTls): Promise<string> {
  const response = await apiRequest(`${server}/version`, tls);
  if (response?.statusCode !== 200) throw new Error(`GET ${server}/version answered ${response?.statusCode}`);
  return (JSON.parse(response.body) as { gitVersion: string }).gitVersion;
}
