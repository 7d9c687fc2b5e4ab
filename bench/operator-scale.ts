/**
 * Operator scale benchmark (issue 4): N SecureConnectionBundles created at once on a real control
 * plane until all are Ready, then the same N coming due for renewal together until all carry
 * version 2. For each phase: wall time, the operator's CPU time and peak RSS, and the CPU time of
 * kube-apiserver and etcd, which share the machine's cores with the operator.
 *
 *   node --import tsx bench/operator-scale.ts [--bundles 1000] [--namespaces 1] [--all-namespaces]
 *     [--concurrency 4] [--in-flight 50] [--duration 2m] [--no-renewal] [--restart] [--cpu-prof DIR] [--operator-node-args "--flag ..."]
 *     [--operator-node PATH] [--timeout 900] [--json FILE] [--unrelated-pods 5000]
 *
 * The operator runs as `node dist/operator/main.js` (built first when src/ is newer) on the
 * image's Node.js (the Dockerfile's NODE_IMAGE version, tools/node-runtime/build.sh) with the node
 * flags of the Dockerfile's ENTRYPOINT and its ENV, so its CPU and memory are the product's, not tsx's;
 * `--operator-node` runs it on another node binary, `--operator-node-args` replaces those flags
 * ("" for none). `--cpu-prof DIR` writes its V8 CPU profile there.
 * `--unrelated-pods N` creates N pods (a typical Deployment pod: env, a ConfigMap and a Secret
 * volume, labels; none reads a bundle Secret) in the bundles' namespaces before the operator
 * starts, so the pod cache of usage tracking is measured full. They are never scheduled (no
 * kubelet): Pending pods are what the operator watches and keeps, like running ones.
 * `--namespaces K` spreads the bundles round-robin over K namespaces (labelled so the cluster ref in
 * scb-bench admits them) and runs the operator on all namespaces, as a cluster-wide install does;
 * `--all-namespaces` does that for one namespace too, for a like-for-like comparison.
 * Bundles use the defaults (ECDSA P-256, all 13 platforms) and `--duration` (default 2m: renewal
 * at two thirds, 80 s after issue), so phase 2 follows phase 1 without a long wait.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  API_VERSION_NAME,
  CASSANDRA_CLUSTER_REF,
  SECURE_CONNECTION_BUNDLE,
  type SecureConnectionBundle,
} from '../src/api/v1alpha1/index.js';
import { exitOnSignals, startControlPlane } from '../test/support/control-plane.js';
import { ensureBuilt } from './built-dist.js';
import { imageEnvironment, imageNodeBinDir } from '../test/support/image-runtime.js';

const repo = path.resolve(import.meta.dirname, '..');
const options = parseArgs(process.argv.slice(2));
/** The operator's own namespace (Lease, signing key) and the CassandraClusterRef's. */
const namespace = 'scb-bench';
/** Where the bundles go: the operator's namespace, or `--namespaces` others, round-robin. */
const bundleNamespaces =
  options.namespaces === 1
    ? [namespace]
    : Array.from({ length: options.namespaces }, (_, i) => `scb-bench-${String(i).padStart(3, '0')}`);
/** One namespace is watched alone unless `--all-namespaces`; several always need a cluster-wide watch. */
const watchAllNamespaces = options.allNamespaces || options.namespaces > 1;
const clusterName = 'orders-cluster';
const checkMs = 100;
/** Where the operator writes a heap snapshot (`--heap-snapshot`) before the bench moves it. */
const snapshotDir = options.heapSnapshot ? mkdtempSync(path.join(os.tmpdir(), 'scb-bench-heap-')) : '';
const rssSampleMs = 100;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** The image's ENV (MALLOC_ARENA_MAX, NODE_ENV) as the operator gets it: this shell's values win. */
const operatorEnvironment = Object.fromEntries(
  Object.entries(imageEnvironment()).map(([key, value]) => [key, process.env[key] ?? value]),
);

/**
 * client-node 1.4 makes a new https.Agent for every request (kubernetes-client/javascript#2893),
 * so each call pays a TCP connect and a full TLS handshake, on the apiserver's side too. Clients
 * that create many objects (kubectl, GitOps tools) keep their connection, and the load generator
 * should not add handshakes to the apiserver's bill: its requests share one keep-alive agent.
 */
class KeepAliveKubeConfig extends KubeConfig {
  private agent: https.Agent | undefined;

  override async applySecurityAuthentication(
    context: Parameters<KubeConfig['applySecurityAuthentication']>[0],
  ): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setAgent(this.shared(context.getAgent()));
  }

  override async applyToFetchOptions(opts: https.RequestOptions) {
    const init = await super.applyToFetchOptions(opts);
    return { ...init, agent: this.shared(init.agent) };
  }

  /** The credentials are fixed for the run, so the first agent's TLS options serve every request. */
  private shared(agent: unknown): https.Agent {
    if (!(agent instanceof https.Agent)) throw new Error('the benchmark expects an https control plane');
    this.agent ??= new https.Agent({ ...agent.options, keepAlive: true });
    return this.agent;
  }
}

exitOnSignals();
ensureBuilt('dist/operator/main.js');
console.error('[bench] starting the control plane');
// etcd's own default quota (2 GiB) fills during a renewal wave of 10,000 bundles, before the
// apiserver's compaction frees the old revisions; 8 GiB is the largest etcd recommends.
const controlPlane = await startControlPlane({ etcdQuotaBackendBytes: 8 * 2 ** 30 });
const pidOf = (name: string): number => controlPlane.processes.find((p) => p.name === name)?.pid ?? -1;
const apiserverPid = pidOf('kube-apiserver');
const etcdPid = pidOf('etcd');
const kubectl = (...args: string[]): string =>
  execFileSync(
    path.join(controlPlane.connection.binDir, 'kubectl'),
    ['--kubeconfig', controlPlane.kubeconfigPath, '-n', namespace, ...args],
    // The apiserver's /metrics is a few MB.
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 },
  );
const benchKubeConfig = new KeepAliveKubeConfig();
benchKubeConfig.loadFromFile(controlPlane.kubeconfigPath);
const custom = benchKubeConfig.makeApiClient(CustomObjectsApi);
kubectl('create', 'namespace', namespace);
for (const other of bundleNamespaces.filter((name) => name !== namespace)) {
  kubectl('create', 'namespace', other);
  // The example cluster ref admits namespaces with this label (spec.access.namespaceSelector).
  kubectl('label', 'namespace', other, 'cassandra-access/orders-cluster=allowed');
}
if (options.unrelatedPods > 0) await createUnrelatedPods(options.unrelatedPods);
let operator = startOperator();
const observed = watchBundles();

interface PhaseResult {
  phase: string;
  wallSeconds: number;
  operatorCpuSeconds: number;
  apiserverCpuSeconds: number;
  etcdCpuSeconds: number;
  benchCpuSeconds: number;
  operatorPeakRssMiB: number;
  /** Per bundle: create (phase 1) or renewalTime (phase 2) until seen Ready / at version 2. */
  latencySeconds: { p50: number; p95: number; max: number };
  /** Requests the apiserver finished during the phase, per bundle, by verb and resource. */
  apiserverRequestsPerBundle: Record<string, number>;
  notes: string[];
}
const phases: PhaseResult[] = [];

try {
  const metricsPort = await operator.started;
  kubectl('apply', '-f', 'examples/cassandraclusterref-managed-ca.yaml');
  await waitFor('the cluster ref to be Ready', 120_000, async () => {
    const cluster = (await custom.getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION_NAME,
      namespace,
      plural: CASSANDRA_CLUSTER_REF.plural,
      name: clusterName,
    })) as { status?: { conditions?: { type: string; status: string }[] } };
    return cluster.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  const idleRss = rssMiB(operator.pid, 'VmRSS');
  const idleMetrics = await scrapeMetrics(metricsPort);
  console.error(
    `[bench] cluster ref Ready; operator RSS idle ${idleRss.toFixed(1)} MiB (V8 heap used ${mib(idleMetrics.nodejs_heap_size_used_bytes)} of ${mib(idleMetrics.nodejs_heap_size_total_bytes)} MiB) with ${options.unrelatedPods} unrelated pods`,
  );

  const bundles = Array.from({ length: options.bundles }, (_, i) => ({
    namespace: bundleNamespaces[i % bundleNamespaces.length] as string,
    name: `bench-${String(i).padStart(5, '0')}`,
  }));
  const issued = await issuePhase(bundles);
  phases.push(issued.result);
  const issueMetrics = await scrapeMetrics(metricsPort);
  if (options.renewal) {
    phases.push(await renewalPhase(issued.renewalTimes, issued.result.wallSeconds));
  }
  const finalMetrics = await scrapeMetrics(metricsPort);
  if (options.restart) phases.push(await restartPhase(bundles.length));
  const vmHwmMiB = rssMiB(operator.pid, 'VmHWM');
  console.error(`[bench] operator RSS now ${rssMiB(operator.pid, 'VmRSS').toFixed(1)} MiB`);
  if (options.heapSnapshot) await takeHeapSnapshot(options.heapSnapshot, metricsPort);
  report(idleRss, vmHwmMiB, issueMetrics, finalMetrics);
} finally {
  observed.stop();
  await operator.stop();
  await controlPlane.stop();
}

/** Pods that read no bundle Secret, `inFlight` creates at a time, round-robin over the namespaces. */
async function createUnrelatedPods(count: number): Promise<void> {
  const core = benchKubeConfig.makeApiClient(CoreV1Api);
  const started = Date.now();
  const pod = (i: number): V1Pod => ({
    metadata: {
      name: `web-${String(i).padStart(5, '0')}`,
      labels: { app: 'web', 'pod-template-hash': '6b7c8d9f4', tier: 'frontend', team: 'storefront' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.invalid/storefront/web:2.14.3',
          ports: [{ containerPort: 8080, name: 'http' }],
          env: Array.from({ length: 12 }, (_, e) => ({ name: `SETTING_${e}`, value: `value-${e}-${i}` })),
          envFrom: [{ configMapRef: { name: 'web-settings' } }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/web' },
            { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          ],
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'web-settings' } },
        { name: 'tls', secret: { secretName: 'web-tls' } },
      ],
    },
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const podNamespace = bundleNamespaces[i % bundleNamespaces.length] as string;
      await core.createNamespacedPod({ namespace: podNamespace, body: pod(i) });
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  console.error(`[bench] created ${count} unrelated pods in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

interface BenchBundle {
  namespace: string;
  name: string;
}
function keyOf(bundle: { namespace?: string; name?: string }): string {
  return `${bundle.namespace}/${bundle.name}`;
}

async function issuePhase(
  bundles: BenchBundle[],
): Promise<{ result: PhaseResult; renewalTimes: Map<string, number> }> {
  const names = bundles.map(keyOf);
  console.error(
    `[bench] phase 1: creating ${names.length} bundles in ${bundleNamespaces.length} namespace(s), ${options.inFlight} in flight`,
  );
  const measure = startMeasuring();
  const createdAt = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.inFlight, names.length) }, async () => {
      while (next < bundles.length) {
        const bundle = bundles[next++] as BenchBundle;
        await custom.createNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION_NAME,
          namespace: bundle.namespace,
          plural: SECURE_CONNECTION_BUNDLE.plural,
          body: {
            apiVersion: API_VERSION,
            kind: SECURE_CONNECTION_BUNDLE.kind,
            metadata: bundle,
            spec: { clusterRef: { name: clusterName, namespace }, duration: options.duration },
          },
        });
        createdAt.set(keyOf(bundle), Date.now());
      }
    }),
  );
  const createSeconds = (Date.now() - measure.startedAt) / 1000;
  console.error(`[bench] all created in ${createSeconds.toFixed(1)} s; waiting for Ready`);
  const readyAt = new Map<string, number>();
  await observeUntil(
    'every bundle Ready',
    (bundle, seenAt) => {
      const name = keyOf(bundle.metadata);
      if (!readyAt.has(name) && isReady(bundle)) readyAt.set(name, seenAt);
    },
    () => readyAt.size === names.length,
  );
  const renewalTimes = new Map<string, number>();
  for (const name of names) {
    renewalTimes.set(name, Date.parse(observed.bundles.get(name)?.status?.renewalTime ?? ''));
  }
  const latencies = names.map((name) => ((readyAt.get(name) ?? NaN) - (createdAt.get(name) ?? NaN)) / 1000);
  return {
    result: measure.finish(`issue ${names.length} (first create → all Ready)`, latencies, [
      `creates took ${createSeconds.toFixed(1)} s (${options.inFlight} in flight)`,
    ]),
    renewalTimes,
  };
}

async function renewalPhase(renewalTimes: Map<string, number>, issueSeconds: number): Promise<PhaseResult> {
  const due = [...renewalTimes.values()];
  const earliest = Math.min(...due);
  const latest = Math.max(...due);
  const notes = [`renewalTime spread ${((latest - earliest) / 1000).toFixed(1)} s (earliest → latest)`];
  if (earliest < Date.now()) {
    notes.push(`phase 1 ran past the first renewalTime by ${((Date.now() - earliest) / 1000).toFixed(1)} s`);
  }
  console.error(
    `[bench] phase 2: waiting ${Math.max(0, (earliest - Date.now()) / 1000).toFixed(0)} s for the first renewalTime (phase 1 took ${issueSeconds.toFixed(1)} s)`,
  );
  await sleep(Math.max(0, earliest - Date.now()));
  const measure = startMeasuring(earliest);
  const renewedAt = new Map<string, number>();
  await observeUntil(
    'every bundle at version 2',
    (bundle, seenAt) => {
      const name = keyOf(bundle.metadata);
      if (!renewedAt.has(name) && (bundle.status?.currentVersion ?? 0) >= 2 && isReady(bundle)) {
        renewedAt.set(name, seenAt);
      }
    },
    () => renewedAt.size === renewalTimes.size,
  );
  const lastRenewed = Math.max(...renewedAt.values());
  notes.push(
    `last bundle at version 2 ${((lastRenewed - latest) / 1000).toFixed(1)} s after the latest renewalTime`,
  );
  const lags = [...renewalTimes].map(([name, at]) => ((renewedAt.get(name) ?? NaN) - at) / 1000);
  return measure.finish(`renew ${renewalTimes.size} (first renewalTime → all v2)`, lags, notes);
}

/**
 * Phase 3 (`--restart`): the operator SIGKILLed and started again, measured from the new start
 * until it has reconciled every bundle once and its queue is empty: what a crash or a hand-over
 * costs (the informers' lists, a fresh read per bundle, and the check of each current version's
 * Event, a create answered 409).
 */
async function restartPhase(count: number): Promise<PhaseResult> {
  console.error(`[bench] phase 3: SIGKILL and restart the operator with ${count} bundles in place`);
  process.kill(operator.pid, 'SIGKILL');
  while (operator.exitStatus() === undefined) await sleep(checkMs);
  operator = startOperator();
  // From the new process's start (its CPU counts from zero there).
  const measure = startMeasuring();
  const port = await operator.started;
  const reconciled = async () => {
    if (operator.exitStatus() !== undefined) {
      throw new Error(`the restarted operator exited (${operator.exitStatus()}):\n${operator.tail()}`);
    }
    let text: string;
    try {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    } catch (error) {
      console.error(`[bench] scraping the restarted operator failed (${String(error)}); trying again`);
      return false;
    }
    const total = [
      ...text.matchAll(/^scb_reconcile_total\{[^}]*controller="SecureConnectionBundle"[^}]*\} (\S+)$/gm),
    ]
      .map((match) => Number(match[1]))
      .reduce((sum, value) => sum + value, 0);
    const depth = /^scb_workqueue_depth\{[^}]*SecureConnectionBundle[^}]*\} (\S+)$/m.exec(text)?.[1];
    return total >= count && Number(depth) === 0;
  };
  await waitFor('every bundle reconciled after the restart', options.timeoutSeconds * 1000, reconciled);
  const wall = (Date.now() - measure.startedAt) / 1000;
  return measure.finish(
    `restart with ${count} (start → all reconciled once)`,
    new Array<number>(count).fill(wall),
    [],
  );
}

/**
 * Every bundle as last seen by a watch, with the time each event arrived. A watch rather than
 * polling a list: listing 1,000 bundles every 250 ms cost this process 31 s and the apiserver a
 * good part of its 100 s of CPU in phase 1 (first run), on the cores the operator needs.
 * Without a resourceVersion the watch starts with every existing bundle, so a dropped watch is
 * simply opened again.
 */
function watchBundles() {
  const bundles = new Map<string, SecureConnectionBundle>();
  let visit: (bundle: SecureConnectionBundle, seenAt: number) => void = () => undefined;
  let stopped = false;
  let current: AbortController | undefined;
  const watchPath = `/apis/${API_GROUP}/${API_VERSION_NAME}/${bundleNamespaces.length > 1 ? '' : `namespaces/${namespace}/`}${SECURE_CONNECTION_BUNDLE.plural}`;
  const open = async (): Promise<void> => {
    current = await new Watch(benchKubeConfig).watch(
      watchPath,
      {},
      (type, object: SecureConnectionBundle) => {
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        bundles.set(keyOf(object.metadata), object);
        visit(object, Date.now());
      },
      () => {
        if (!stopped) setTimeout(() => void open(), checkMs);
      },
    );
  };
  void open();
  return {
    bundles,
    /** Calls `next` for every bundle now and for every change from now on. */
    observe(next: (bundle: SecureConnectionBundle, seenAt: number) => void): void {
      visit = next;
      const now = Date.now();
      for (const bundle of bundles.values()) next(bundle, now);
    },
    stop(): void {
      stopped = true;
      current?.abort();
    },
  };
}

async function observeUntil(
  what: string,
  visit: (bundle: SecureConnectionBundle, seenAt: number) => void,
  done: () => boolean,
): Promise<void> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  observed.observe(visit);
  while (!done()) {
    if (operator.exitStatus() !== undefined) {
      throw new Error(`the operator exited (${operator.exitStatus()}) before ${what}:\n${operator.tail()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutSeconds} s waiting for ${what}:\n${operator.tail()}`);
    }
    await sleep(checkMs);
  }
}

function isReady(bundle: SecureConnectionBundle): boolean {
  return bundle.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** CPU of the operator, apiserver, etcd and this process, and the operator's peak RSS, from now on. */
function startMeasuring(startedAt = Date.now()) {
  const cpu = () => ({
    operator: cpuSeconds(operator.pid),
    apiserver: cpuSeconds(apiserverPid),
    etcd: cpuSeconds(etcdPid),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const before = cpu();
  const requestsBefore = apiserverRequests();
  let peakRss = rssMiB(operator.pid, 'VmRSS');
  const sampler = setInterval(() => {
    // A dead operator has no /proc entry; observeUntil reports its exit.
    if (operator.exitStatus() === undefined) peakRss = Math.max(peakRss, rssMiB(operator.pid, 'VmRSS'));
  }, rssSampleMs);
  return {
    startedAt,
    finish(phase: string, latencies: number[], notes: string[]): PhaseResult {
      clearInterval(sampler);
      const after = cpu();
      const perBundle: Record<string, number> = {};
      for (const [key, count] of apiserverRequests()) {
        const rate = (count - (requestsBefore.get(key) ?? 0)) / latencies.length;
        if (rate >= 0.05) perBundle[key] = Number(rate.toFixed(2));
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      return {
        phase,
        wallSeconds: (Date.now() - startedAt) / 1000,
        operatorCpuSeconds: after.operator - before.operator,
        apiserverCpuSeconds: after.apiserver - before.apiserver,
        etcdCpuSeconds: after.etcd - before.etcd,
        benchCpuSeconds: after.bench - before.bench,
        operatorPeakRssMiB: peakRss,
        latencySeconds: { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? NaN },
        apiserverRequestsPerBundle: perBundle,
        notes,
      };
    },
  };
}

/** apiserver_request_total from the apiserver's /metrics, summed by verb and resource. */
function apiserverRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of kubectl('get', '--raw', '/metrics').matchAll(
    /^apiserver_request_total\{([^}]*)\} (\S+)$/gm,
  )) {
    const labels = new Map([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const subresource = labels.get('subresource') ? `/${labels.get('subresource')}` : '';
    const key = `${labels.get('verb')} ${labels.get('resource')}${subresource}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15, after the command name). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN) / 1024;
}

/**
 * The operator's own counters (reconciles by result, generation time, watch restarts) and its V8
 * heap: live heap against RSS tells retained objects from memory V8 has not handed back.
 */
async function scrapeMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted =
    /^(scb_reconcile_total\{[^}]*controller="SecureConnectionBundle"[^}]*\}|scb_bundle_generation_duration_seconds_(?:sum|count)|scb_watch_restarts_total\{[^}]*\}|nodejs_heap_size_(?:used|total)_bytes|nodejs_external_memory_bytes) (\S+)$/gm;
  const values: Record<string, number> = {};
  for (const match of text.matchAll(wanted)) values[match[1] as string] = Number(match[2]);
  return values;
}

function report(
  idleRss: number,
  vmHwmMiB: number,
  issueMetrics: Record<string, number>,
  finalMetrics: Record<string, number>,
): void {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load now ${load}`,
  );
  console.log(
    `bundles ${options.bundles} in ${bundleNamespaces.length} namespace(s), ${options.unrelatedPods} unrelated pods, operator watching ${watchAllNamespaces ? 'all namespaces' : namespace}, on ${execFileSync(options.operatorNode, ['--version'], { encoding: 'utf8' }).trim()} with node flags [${options.operatorNodeArgs.join(' ')}] and ${Object.entries(
      operatorEnvironment,
    )
      .map(([key, value]) => `${key}=${value}`)
      .join(
        ' ',
      )}, --concurrency ${options.concurrency}, ${options.inFlight} creates in flight, duration ${options.duration}\n`,
  );
  const header = [
    'phase',
    'wall s',
    'operator CPU s',
    'apiserver CPU s',
    'etcd CPU s',
    'bench CPU s',
    'operator peak RSS MiB',
  ];
  const rows = phases.map((p) => [
    p.phase,
    p.wallSeconds.toFixed(1),
    p.operatorCpuSeconds.toFixed(1),
    p.apiserverCpuSeconds.toFixed(1),
    p.etcdCpuSeconds.toFixed(1),
    p.benchCpuSeconds.toFixed(1),
    p.operatorPeakRssMiB.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const p of phases) {
    const l = p.latencySeconds;
    console.log(
      `${p.phase}: per-bundle latency p50 ${l.p50.toFixed(1)} s, p95 ${l.p95.toFixed(1)} s, max ${l.max.toFixed(1)} s; ${p.notes.join('; ')}`,
    );
    const requests = Object.entries(p.apiserverRequestsPerBundle)
      .sort(([, x], [, y]) => y - x)
      .map(([key, rate]) => `${key} ${rate}`)
      .join(', ');
    console.log(`  apiserver requests per bundle (the benchmark's creates included): ${requests}`);
  }
  console.log(
    `operator RSS: idle ${idleRss.toFixed(1)} MiB before phase 1 (${options.unrelatedPods} unrelated pods), VmHWM ${vmHwmMiB.toFixed(1)} MiB at the end`,
  );
  const generation = (m: Record<string, number>) =>
    `${m.scb_bundle_generation_duration_seconds_count ?? 0} bundles generated, mean ${(
      (1000 * (m.scb_bundle_generation_duration_seconds_sum ?? NaN)) /
      (m.scb_bundle_generation_duration_seconds_count ?? NaN)
    ).toFixed(0)} ms wall each`;
  const heap = (m: Record<string, number>) =>
    `V8 heap used ${mib(m.nodejs_heap_size_used_bytes)} of ${mib(m.nodejs_heap_size_total_bytes)} MiB, external ${mib(m.nodejs_external_memory_bytes)} MiB`;
  console.log(
    `operator after phase 1: ${generation(issueMetrics)}; ${heap(issueMetrics)}; ${counters(issueMetrics)}`,
  );
  if (options.renewal) {
    console.log(
      `operator at the end: ${generation(finalMetrics)}; ${heap(finalMetrics)}; ${counters(finalMetrics)}`,
    );
  }
  const issue = phases[0];
  if (issue) {
    const peak = Math.max(...phases.map((p) => p.operatorPeakRssMiB), vmHwmMiB);
    console.log(
      `targets: all Ready ≤ 30 s: ${issue.wallSeconds.toFixed(1)} s ${issue.wallSeconds <= 30 ? 'met' : 'MISSED'}; RSS ≤ 150 MB (143 MiB): ${peak.toFixed(1)} MiB ${peak <= 150e6 / 2 ** 20 ? 'met' : 'MISSED'}`,
    );
  }
  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify(
        {
          when: new Date().toISOString(),
          machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, load },
          options,
          phases,
          operator: {
            idleRssMiB: idleRss,
            vmHwmMiB,
            metricsAfterIssue: issueMetrics,
            metricsAtEnd: finalMetrics,
          },
        },
        null,
        2,
      )}\n`,
    );
  }
}

function mib(bytes: number | undefined): string {
  return ((bytes ?? NaN) / 2 ** 20).toFixed(1);
}

function counters(m: Record<string, number>): string {
  return Object.entries(m)
    .filter(([key, value]) => key.startsWith('scb_') && !key.startsWith('scb_bundle_generation') && value > 0)
    .map(([key, value]) => `${key.replace(/controller="[^"]*",?/, '')} ${value}`)
    .join(', ');
}

interface BenchOperator {
  pid: number;
  started: Promise<number>;
  exitStatus(): string | undefined;
  /** The last log lines and stderr, for a failure message. */
  tail(): string;
  stop(): Promise<void>;
}

/** The node flags the image's ENTRYPOINT runs the operator with, so the benchmark measures the same. */
function imageNodeFlags(): string[] {
  const line = readFileSync(path.join(repo, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith('ENTRYPOINT '));
  const entrypoint = JSON.parse(line?.slice('ENTRYPOINT '.length) ?? '[]') as string[];
  const script = entrypoint.indexOf('dist/operator/main.js');
  if (entrypoint[0] !== 'node' || script < 0)
    throw new Error('Dockerfile: ENTRYPOINT is not ["node", ..., "dist/operator/main.js"]');
  return entrypoint.slice(1, script);
}

/**
 * Writes the operator's V8 heap to `target` (node's --heapsnapshot-signal): the process stops while
 * it writes, so the file is complete once its size holds still and the operator answers again.
 */
async function takeHeapSnapshot(target: string, metricsPort: number): Promise<void> {
  process.kill(operator.pid, 'SIGUSR2');
  let written: string | undefined;
  await waitFor('the heap snapshot', 300_000, async () => {
    written = readdirSync(snapshotDir).find((name) => name.endsWith('.heapsnapshot'));
    if (written === undefined) return false;
    const size = statSync(path.join(snapshotDir, written)).size;
    await sleep(1000);
    return size > 0 && statSync(path.join(snapshotDir, written)).size === size;
  });
  await scrapeMetrics(metricsPort);
  renameSync(path.join(snapshotDir, written as string), target);
  console.error(`[bench] heap snapshot: ${target} (summarise it with bench/heap-summary.ts)`);
}

/** `node dist/operator/main.js` with its JSON log parsed for the start line, warnings and errors. */
function startOperator(): BenchOperator {
  const nodeArgs = [
    ...options.operatorNodeArgs,
    ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf] : []),
    ...(options.heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
  ];
  const child = spawn(
    options.operatorNode,
    [
      ...nodeArgs,
      path.join(repo, 'dist/operator/main.js'),
      '--kubeconfig',
      controlPlane.kubeconfigPath,
      ...(watchAllNamespaces ? [] : ['--watch-namespace', namespace]),
      '--operator-namespace',
      namespace,
      '--no-leader-elect',
      '--metrics-address',
      '127.0.0.1:0',
      '--concurrency',
      String(options.concurrency),
      '--log-level',
      'info',
    ],
    { cwd: repo, env: { ...process.env, ...operatorEnvironment }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const recent: string[] = [];
  let stderr = '';
  let partial = '';
  let exitStatus: string | undefined;
  let onStarted: (port: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (onStarted = resolve));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exitStatus = String(code ?? signal);
      resolve();
    }),
  );
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) {
        recent.push(text);
        continue;
      }
      const line = JSON.parse(text) as { message?: string; level?: string; metricsPort?: number };
      if (line.message === 'operator started') onStarted(Number(line.metricsPort));
      if (line.level === 'warn' || line.level === 'error') recent.push(text);
      if (recent.length > 20) recent.shift();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const tail = () => `last warnings/errors:\n${recent.join('\n')}\nstderr:\n${stderr}`;
  return {
    pid: child.pid ?? -1,
    started: Promise.race([
      started,
      exited.then(() => Promise.reject(new Error(`the operator exited at start-up:\n${tail()}`))),
    ]),
    exitStatus: () => exitStatus,
    tail,
    async stop() {
      if (exitStatus === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${operator.tail()}`);
    await sleep(checkMs);
  }
}

interface Options {
  bundles: number;
  namespaces: number;
  allNamespaces: boolean;
  concurrency: number;
  inFlight: number;
  duration: string;
  renewal: boolean;
  restart: boolean;
  timeoutSeconds: number;
  /** Extra node flags for the operator, e.g. "--max-semi-space-size=2" (to try memory settings). */
  operatorNodeArgs: string[];
  /** The node binary the operator runs on; the image's by default. */
  operatorNode: string;
  cpuProf?: string;
  /** Where to write a V8 heap snapshot of the operator taken after the last phase. */
  heapSnapshot?: string;
  json?: string;
  unrelatedPods: number;
}

function parseArgs(args: string[]): Options {
  const text = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index === -1 ? undefined : args[index + 1];
  };
  const whole = (flag: string, fallback: number): number => {
    const value = text(flag);
    if (value === undefined) return fallback;
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} "${value}" must be a whole number above 0`);
    return Number(value);
  };
  const cpuProf = text('--cpu-prof');
  const heapSnapshot = text('--heap-snapshot');
  const json = text('--json');
  return {
    bundles: whole('--bundles', 1000),
    namespaces: whole('--namespaces', 1),
    allNamespaces: args.includes('--all-namespaces'),
    concurrency: whole('--concurrency', 4),
    inFlight: whole('--in-flight', 50),
    duration: text('--duration') ?? '2m',
    renewal: !args.includes('--no-renewal'),
    restart: args.includes('--restart'),
    timeoutSeconds: whole('--timeout', 900),
    unrelatedPods: whole('--unrelated-pods', 0),
    operatorNodeArgs: (text('--operator-node-args') ?? imageNodeFlags().join(' ')).split(' ').filter(Boolean),
    operatorNode: text('--operator-node') ?? path.join(imageNodeBinDir(), 'node'),
    ...(cpuProf ? { cpuProf: path.resolve(cpuProf) } : {}),
    ...(heapSnapshot ? { heapSnapshot: path.resolve(heapSnapshot) } : {}),
    ...(json ? { json: path.resolve(json) } : {}),
  };
}
