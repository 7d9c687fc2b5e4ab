/**
 * What the integration run keeps for the leak scan (test/integration/leak-scan.test.ts), in one
 * folder per run named by SCB_LEAK_SCAN_DIR (set by global setup): every operator process's log
 * and stderr, the series of its /metrics, and snapshots of Secrets, Events and custom resource
 * statuses, taken every few seconds while a test's operator runs and when a test stops it (tests
 * delete or replace what they show). Snapshots are one file per object version, so taking them
 * often costs little.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION_NAME,
  CASSANDRA_CLUSTER_REF,
  SECURE_CONNECTION_BUNDLE,
} from '../../src/api/v1alpha1/index.js';
import { httpStatusOf } from '../../src/kube/errors.js';

export const LEAK_SCAN_DIR_ENV = 'SCB_LEAK_SCAN_DIR';

const FOLDERS = ['logs', 'metrics', 'secrets', 'events', 'statuses', 'bundles'] as const;
type Folder = (typeof FOLDERS)[number];

export function leakScanDir(): string | undefined {
  return process.env[LEAK_SCAN_DIR_ENV] || undefined;
}

/** A fresh folder for this run (the previous run's is removed), exported to the Jest workers. */
export function prepareLeakScanDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const folder of FOLDERS) mkdirSync(path.join(dir, folder), { recursive: true });
  process.env[LEAK_SCAN_DIR_ENV] = dir;
}

/** Appends an operator process's output; a no-op outside an integration run. */
export function operatorOutputRecorder(processName: string) {
  const dir = leakScanDir();
  const file = (suffix: string) => (dir ? path.join(dir, 'logs', `${processName}.${suffix}`) : undefined);
  const log = file('log');
  const stderr = file('stderr');
  const metrics = dir ? path.join(dir, 'metrics', `${processName}.txt`) : undefined;
  const series = new Set<string>();
  let scrapes = 0;
  return {
    stdout(chunk: Buffer) {
      if (log) appendFileSync(log, chunk);
    },
    stderr(chunk: Buffer) {
      if (stderr) appendFileSync(stderr, chunk);
    },
    /** Keeps every series ever exposed (names and labels; values change and carry nothing). */
    metrics(text: string) {
      if (!metrics) return;
      scrapes += 1;
      for (const line of text.split('\n')) if (line !== '') series.add(line.replace(/ \S+( \d+)?$/, ''));
      writeFileSync(metrics, `# leak scan: ${scrapes} scrapes\n${[...series].sort().join('\n')}\n`);
    },
  };
}

/** Every Secret, Event, bundle and cluster ref status in the cluster, as they are now. */
export async function recordClusterSnapshot(kubeConfig: KubeConfig): Promise<void> {
  const dir = leakScanDir();
  if (!dir) return;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const [secrets, events, ...resources] = await retryingBusy(() =>
    Promise.all([
      core.listSecretForAllNamespaces(),
      kubeConfig.makeApiClient(EventsV1Api).listEventForAllNamespaces(),
      ...[SECURE_CONNECTION_BUNDLE, CASSANDRA_CLUSTER_REF].map(
        (kind) =>
          custom.listClusterCustomObject({
            group: API_GROUP,
            version: API_VERSION_NAME,
            plural: kind.plural,
          }) as Promise<{
            items: SnapshotObject[];
          }>,
      ),
    ]),
  );
  for (const secret of secrets.items) keep(dir, 'secrets', secret);
  for (const event of events.items) keep(dir, 'events', event);
  const [bundles, clusterRefs] = resources;
  for (const bundle of bundles?.items ?? [])
    keep(dir, 'bundles', { metadata: bundle.metadata, spec: bundle.spec });
  for (const object of [...(bundles?.items ?? []), ...(clusterRefs?.items ?? [])]) {
    if (object.status)
      keep(dir, 'statuses', { kind: object.kind, metadata: object.metadata, status: object.status });
  }
}

/**
 * Snapshots every few seconds until `exited` settles, so a Secret that lives only briefly (a
 * pruned version, one a test deletes) is still scanned for. Failures are skipped: the next one
 * or the snapshot at stop covers them.
 */
export function snapshotWhileRunning(exited: Promise<unknown>, kubeConfig: KubeConfig, everyMs = 5000): void {
  if (!leakScanDir()) return;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    recordClusterSnapshot(kubeConfig)
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
      });
  }, everyMs);
  timer.unref();
  void exited.finally(() => clearInterval(timer));
}

/** A fresh or busy apiserver answers 429 ("storage is (re)initializing") or 5xx for a moment. */
async function retryingBusy<T>(read: () => Promise<T>, budgetMs = 30_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      const status = httpStatusOf(error);
      const busy = status === 429 || (status !== undefined && status >= 500);
      if (!busy || Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

interface SnapshotObject {
  kind?: string;
  metadata?: { uid?: string; resourceVersion?: string; namespace?: string; name?: string };
  spec?: unknown;
  status?: unknown;
}

function keep(dir: string, folder: Folder, object: SnapshotObject): void {
  const file = path.join(dir, folder, `${object.metadata?.uid}-${object.metadata?.resourceVersion}.json`);
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(object));
}

/** The files of one folder, by name. */
export function recorded(dir: string, folder: Folder): Array<{ name: string; text: string }> {
  return readdirSync(path.join(dir, folder))
    .sort()
    .map((name) => ({ name: `${folder}/${name}`, text: readFileSync(path.join(dir, folder, name), 'utf8') }));
}
