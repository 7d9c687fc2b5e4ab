/**
 * A real Kubernetes node beside a test control plane: Debian's containerd and runc with the
 * project's own config (tools/node/containerd.toml), the pinned kubelet, and the kube-scheduler
 * and kube-controller-manager that turn the control plane into a cluster (Deployments create
 * pods, owner references are garbage-collected, ServiceAccounts get tokens). Everything lives in
 * one temp folder and listens on random loopback ports; stop() kills every process it started,
 * the containers included, and unmounts what the kubelet and containerd mounted.
 *
 * This machine type's limits (docs: REAL-COMPONENTS.md, "A real node"): the kubelet refuses a
 * loopback node IP, so the Node has no address and `kubectl logs` cannot reach it; container
 * logs are read from the kubelet's pod log folder instead (podLog below).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { controlPlaneCacheDir, repositoryRoot, toolFolder } from './control-plane-binaries.js';
import {
  kubernetesServiceAddress,
  launch,
  stopGracefully,
  waitUntil,
  type Component,
  type ControlPlane,
} from './control-plane.js';
import { loadCertificateAuthority } from './control-plane-pki.js';
import { killProcessGroup, reapStrayRuns, registerRun } from './control-plane-strays.js';
import { writeKubeconfig } from './control-plane-users.js';
import { freeLoopbackPorts, logTail } from './local-processes.js';

export interface NodeOptions {
  /** Image archives (docker-archive) to import into containerd, e.g. tools/image/build.sh's. */
  imageArchives?: readonly string[];
  /**
   * Ports of pods (not hostNetwork) that the host's <pod IP>:<port> leads to, for the kubelet's
   * probes (default: the operator's metrics port, 8080).
   */
  podPorts?: readonly number[];
  /** How often the kubelet syncs pods, and so refreshes mounted Secrets (default 10 s; kubelet: 1 min). */
  syncFrequencySeconds?: number;
  readyTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface TestNode {
  name: string;
  workDir: string;
  /** Wall time from the call until the Node was Ready (containerd, images, kubelet, controllers). */
  readyMs: number;
  /** The lines a container wrote to stdout and stderr, from the kubelet's pod log folder. */
  podLog(namespace: string, pod: string, container: string): string[];
  /** Graceful: SIGTERM, then SIGKILL after 5 s; then containers, mounts and the temp folder. */
  stop(): Promise<void>;
  /** Immediate and synchronous, for `exit` handlers. Safe to call twice. */
  kill(): void;
}

const nodeName = 'scb-node';
const gracefulStopMs = 5000;

export function nodeToolsDir(): string {
  return toolFolder('SCB_NODE_TOOLS', 'tools/node/build.sh');
}

export function operatorImageDir(): string {
  return toolFolder('SCB_IMAGE_DIR', 'tools/image/build.sh');
}

export async function startNode(controlPlane: ControlPlane, options: NodeOptions = {}): Promise<TestNode> {
  const startedAt = Date.now();
  const log = options.log ?? (() => {});
  const { binDir, caCertificatePath, caPrivateKeyPath, kubeconfigPath } = controlPlane.connection;
  for (const binary of ['kubelet', 'kube-scheduler', 'kube-controller-manager']) {
    if (!existsSync(path.join(binDir, binary))) {
      throw new Error(`${binary} is missing from ${binDir}: run tools/control-plane/build.sh to build it`);
    }
  }
  const containerdBinary = commandPath('containerd');
  const tools = nodeToolsDir();
  const pauseImage = readFileSync(path.join(tools, 'pause-image'), 'utf8').trim();

  const runsDir = path.join(controlPlaneCacheDir(), 'runs');
  reapStrayRuns(runsDir);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-node-'));
  const registration = registerRun(runsDir, workDir);
  const components: Component[] = [];
  const containerdDir = path.join(workDir, 'containerd');
  const socket = path.join(containerdDir, 'containerd.sock');
  const kubeletDir = path.join(workDir, 'kubelet');
  const podLogsDir = path.join(workDir, 'pod-logs');

  let stopped = false;
  const kill = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    for (const component of components) killProcessGroup(component.pid, 'SIGKILL');
    killContainers(containerdDir);
    unmountUnder(workDir);
    removePodCgroups(kubeletDir);
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };
  process.once('exit', kill);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    // The controllers and the kubelet first (they would restart containers), containerd last.
    for (const component of [...components].reverse()) {
      await stopGracefully(component, gracefulStopMs);
      if (component.name === 'kubelet') killContainers(containerdDir);
    }
    kill();
  };

  try {
    const cniBin = path.join(workDir, 'cni', 'bin');
    const cniConf = path.join(workDir, 'cni', 'conf');
    mkdirSync(cniBin, { recursive: true });
    mkdirSync(cniConf, { recursive: true });
    mkdirSync(containerdDir, { recursive: true });
    const plugin = path.join(repositoryRoot, 'tools/node/cni/scb-pod-net');
    for (const name of ['loopback', 'scb-pod-net']) symlinkSync(plugin, path.join(cniBin, name));
    // In-cluster clients dial the kubernetes Service; the plugin's forwarder leads it to the
    // apiserver on the host's loopback (tools/node/cni/scb-pod-net).
    const podNetwork = {
      type: 'scb-pod-net',
      forwarder: path.join(tools, 'scb-pod-forward'),
      stateDir: path.join(workDir, 'cni', 'state'),
      serviceAddress: `${kubernetesServiceAddress}:443`,
      apiServer: new URL(controlPlane.server).host,
      podPorts: (options.podPorts ?? [8080]).join(' '),
    };
    writeFileSync(
      path.join(cniConf, '10-scb-pod-net.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'scb-pod-net', plugins: [podNetwork] }),
    );
    const containerdConfig = path.join(workDir, 'containerd.toml');
    writeFileSync(
      containerdConfig,
      readFileSync(path.join(repositoryRoot, 'tools/node/containerd.toml'), 'utf8')
        .replaceAll('@DIR@', containerdDir)
        .replaceAll('@PAUSE_IMAGE@', pauseImage)
        .replaceAll('@CNI_BIN@', cniBin)
        .replaceAll('@CNI_CONF@', cniConf),
    );
    const deadline = startedAt + (options.readyTimeoutMs ?? 120_000);
    components.push(
      launch(registration, workDir, path.dirname(containerdBinary), 'containerd', [
        '--config',
        containerdConfig,
      ]),
    );
    await waitUntil('containerd', components, deadline, async () => {
      try {
        ctr(socket, ['version']);
        return true;
      } catch {
        return false;
      }
    });
    for (const archive of [path.join(tools, 'pause.tar'), ...(options.imageArchives ?? [])]) {
      const importedAt = Date.now();
      ctr(socket, ['images', 'import', archive]);
      log(
        `imported ${path.basename(path.dirname(archive))}/${path.basename(archive)} in ${Date.now() - importedAt} ms`,
      );
    }

    const admin = controlPlane.adminKubeConfig();
    await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .createClusterRoleBinding({
        body: {
          metadata: { name: 'scb-test-nodes' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
        },
      })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code !== 409) throw error;
      });
    const ca = await loadCertificateAuthority({
      certificatePem: readFileSync(caCertificatePath, 'utf8'),
      privateKeyPem: readFileSync(caPrivateKeyPath, 'utf8'),
    });
    const nodeCredentials = await ca.issueClientCertificate(`system:node:${nodeName}`, ['system:nodes']);
    const kubeletKubeconfig = writeKubeconfig(
      path.join(workDir, 'kubelet.kubeconfig'),
      controlPlane.server,
      ca.certificatePem,
      `system:node:${nodeName}`,
      { clientCertificatePem: nodeCredentials.certificatePem, clientKeyPem: nodeCredentials.privateKeyPem },
    );
    const [kubeletPort, healthzPort, schedulerPort, controllerManagerPort] = await freeLoopbackPorts(4);
    const kubeletConfig = path.join(workDir, 'kubelet.yaml');
    writeFileSync(
      kubeletConfig,
      JSON.stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        address: '127.0.0.1',
        port: kubeletPort,
        readOnlyPort: 0,
        healthzBindAddress: '127.0.0.1',
        healthzPort,
        // No systemd here; containerd's runc uses cgroupfs too (SystemdCgroup = false).
        cgroupDriver: 'cgroupfs',
        failSwapOn: false,
        containerRuntimeEndpoint: `unix://${socket}`,
        imageServiceEndpoint: `unix://${socket}`,
        // How soon a changed Secret reaches the files of a pod that mounts it.
        syncFrequency: `${options.syncFrequencySeconds ?? 10}s`,
        podLogsDir,
        authentication: {
          anonymous: { enabled: false },
          webhook: { enabled: false },
          x509: { clientCAFile: caCertificatePath },
        },
        authorization: { mode: 'AlwaysAllow' },
        // A busy shared disk must not taint the node with DiskPressure mid-test.
        evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
      }),
    );
    components.push(
      launch(registration, workDir, binDir, 'kubelet', [
        `--config=${kubeletConfig}`,
        `--kubeconfig=${kubeletKubeconfig}`,
        `--root-dir=${kubeletDir}`,
        `--hostname-override=${nodeName}`,
        `--cert-dir=${path.join(workDir, 'kubelet-pki')}`,
      ]),
    );
    components.push(
      launch(registration, workDir, binDir, 'kube-scheduler', [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedulerPort}`,
        '--leader-elect=false',
      ]),
    );
    components.push(
      launch(registration, workDir, binDir, 'kube-controller-manager', [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${controllerManagerPort}`,
        '--leader-elect=false',
        // The kube-root-ca.crt ConfigMap every ServiceAccount token volume carries.
        `--root-ca-file=${caCertificatePath}`,
        `--cert-dir=${path.join(workDir, 'controller-manager-pki')}`,
      ]),
    );

    const core = admin.makeApiClient(CoreV1Api);
    await waitUntil(`Node ${nodeName} Ready`, components, deadline, async () => {
      try {
        const node = await core.readNode({ name: nodeName });
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      } catch {
        return false;
      }
    });
    // Pods of a namespace are refused until its default ServiceAccount exists.
    await waitUntil('the default ServiceAccount', components, deadline, async () => {
      try {
        await core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
        return true;
      } catch {
        return false;
      }
    });
    const readyMs = Date.now() - startedAt;
    log(`node ${nodeName} Ready in ${readyMs} ms`);
    return {
      name: nodeName,
      workDir,
      readyMs,
      podLog: (namespace, pod, container) => podLog(podLogsDir, namespace, pod, container),
      stop,
      kill,
    };
  } catch (error) {
    const tails = components
      .map((c) => `--- last lines of ${c.name}.log ---\n${logTail(c.logPath, 30)}`)
      .join('\n');
    kill();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`node failed to start: ${message}${tails ? `\n${tails}` : ''}`, { cause: error });
  }
}

function commandPath(command: string): string {
  const found = (process.env['PATH'] ?? '')
    .split(':')
    .map((dir) => path.join(dir, command))
    .find((candidate) => existsSync(candidate));
  if (!found)
    throw new Error(`${command} is not installed: run tools/ensure-deps.sh (Debian's containerd, runc)`);
  return found;
}

function ctr(socket: string, args: readonly string[]): string {
  return execFileSync('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

/** CRI log lines ("<time> <stream> <P|F> <text>") of every start of the container, joined. */
function podLog(podLogsDir: string, namespace: string, pod: string, container: string): string[] {
  if (!existsSync(podLogsDir)) return [];
  const lines: string[] = [];
  for (const podDir of readdirSync(podLogsDir).filter((d) => d.startsWith(`${namespace}_${pod}_`))) {
    const containerDir = path.join(podLogsDir, podDir, container);
    if (!existsSync(containerDir)) continue;
    const files = readdirSync(containerDir)
      .filter((f) => /^\d+\.log$/.test(f))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    let partial = '';
    for (const file of files) {
      for (const line of readFileSync(path.join(containerDir, file), 'utf8').split('\n')) {
        const match = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(line);
        if (!match) continue;
        partial += match[2];
        if (match[1] === 'F') {
          lines.push(partial);
          partial = '';
        }
      }
    }
  }
  return lines;
}

/**
 * Kills this node's shims (their command line names our containerd socket) and the pods'
 * forwarders (they name a network namespace under our containerd folder), and every descendant
 * of those: the containers' processes, whose shim is their parent (a subreaper).
 */
function killContainers(containerdDir: string): void {
  const parents = new Map<number, number>();
  const ours: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat: string;
    let commandLine: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // Field 4, counted after the command name, which may contain spaces.
    parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    if (commandLine.includes(`\0${containerdDir}/`)) ours.push(pid);
  }
  const doomed = new Set(ours);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!doomed.has(pid) && doomed.has(parent)) {
        doomed.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Lazily unmounts everything mounted below `dir` (Secret tmpfs, rootfs overlays, netns), deepest first. */
function unmountUnder(dir: string): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replaceAll('\\040', ' '))
    .filter((mountPoint): mountPoint is string => mountPoint?.startsWith(`${dir}/`) ?? false)
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mountPoints) {
    try {
      execFileSync('umount', ['--lazy', mountPoint], { stdio: 'ignore' });
    } catch {
      // Gone with its parent.
    }
  }
}

/**
 * The cgroups the kubelet made for this node's pods (cgroupfs: /sys/fs/cgroup/<controller>/
 * kubepods[/<qos>]/pod<uid>), once their processes are gone. Only pods of this node, found in the
 * kubelet's pods folder: another node on the machine keeps its own.
 */
function removePodCgroups(kubeletDir: string): void {
  const podsDir = path.join(kubeletDir, 'pods');
  const root = '/sys/fs/cgroup';
  if (!existsSync(podsDir) || !existsSync(root)) return;
  const removeTree = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
    }
    try {
      rmdirSync(dir);
    } catch {
      // Still in use.
    }
  };
  for (const uid of readdirSync(podsDir)) {
    for (const controller of readdirSync(root)) {
      for (const qos of ['', 'besteffort', 'burstable']) {
        const dir = path.join(root, controller, 'kubepods', qos, `pod${uid}`);
        if (existsSync(dir)) removeTree(dir);
      }
    }
  }
}
