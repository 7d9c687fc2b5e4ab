/**
 * The chaos run (issue 15) behind bench/chaos.ts and its short version in
 * test/integration/operator/chaos.test.ts: the operator under the faults a cluster deals it, with
 * the invariants a user relies on checked after each one.
 *
 * On a control plane, an object store (versitygw) and a webhook receiver of its own, two operator
 * replicas (leader election, as a Deployment runs them) face, in turn:
 *   1. half of `--kills` SIGKILLs of the leader at random moments while `--bundles` bundles are
 *      issued, and 2. the other half during a rotation of all of them (the killed replica starts
 *      again at once under the same name, as a container restarts in its pod);
 *   3. kube-apiserver killed and 4. etcd killed, each restarted on the same data after `--outage`
 *      seconds, while a slice of the bundles rotates;
 *   5. the object store down and 6. the webhook receiver down for `--outage` seconds, while the
 *      bundles that use them rotate.
 * Every `--every`-th bundle publishes to the object store too, and every `--every`-th (others)
 * has a webhook. `--load` adds one busy process per core for the whole run.
 *
 * After each fault it polls until every invariant holds (or `--timeout`), then prints a table of
 * faults × invariants with the recovery time: from the end of the fault (the last kill, the
 * component back) until all held.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CustomObjectsApi, EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../src/api/v1alpha1/index.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startObjectStore, type ObjectStoreServer } from './object-store.js';
import { clusterApi, isReady, managedClusterSpec, condition } from './operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from './operator-process.js';

export interface ChaosOptions {
  bundles: number;
  kills: number;
  load: boolean;
  outageSeconds: number;
  every: number;
  timeoutSeconds: number;
  log: (message: string) => void;
}

export const INVARIANTS = [
  'allReady',
  'zipIsCurrent',
  'noVersionReused',
  'noOrphanSecret',
  'secretCount',
  'oneEventPerVersion',
  'objectStore',
  'webhooksOnce',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface FaultResult {
  fault: string;
  /** Invariant → violations left when the checks stopped (0: it held). */
  violations: Record<Invariant, number>;
  /** Seconds from the end of the fault until every invariant held; undefined when they never did. */
  recoverySeconds: number | undefined;
  /** Examples of what was wrong, when something was. */
  details: string[];
}

const namespace = 'scb-chaos';
const group = 'scb-operator.io';
const version = 'v1alpha1';
const plural = 'secureconnectionbundles';
const bucket = 'scb-chaos';

export interface ChaosRun {
  results: FaultResult[];
  /** Webhook requests received, and those that repeated a webhook-id already received. */
  webhookDeliveries: number;
  webhookRepeats: number;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const { log } = options;
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    const loadProcesses = options.load ? startLoad() : [];
    cleanup.push(() => loadProcesses.forEach((child) => child.kill('SIGKILL')));
    const controlPlane = await startControlPlane({ log: (message) => log(`[control-plane] ${message}`) });
    cleanup.push(() => controlPlane.stop());
    const store = await startObjectStore();
    cleanup.push(() => store.dispose());
    await store.createBucket(bucket);
    const uploads = await recordingProxy(store.endpoint);
    cleanup.push(() => uploads.close());
    const receiver = await webhookReceiver();
    cleanup.push(() => receiver.close());

    const world = new World(controlPlane, store, uploads, receiver, options);
    cleanup.push(() => world.stopOperators());
    await world.prepare();
    const results: FaultResult[] = [];
    const half = Math.ceil(options.kills / 2);

    log(`phase: issuing ${options.bundles} bundles with ${half} leader SIGKILLs`);
    await world.createBundles();
    results.push(await world.settle(`leader SIGKILL ×${half} (issuance)`, await world.killLeaders(half)));

    log(`phase: rotating all bundles with ${options.kills - half} leader SIGKILLs`);
    await world.rotate(world.names);
    results.push(
      await world.settle(
        `leader SIGKILL ×${options.kills - half} (mass rotation)`,
        await world.killLeaders(options.kills - half),
      ),
    );

    for (const component of ['kube-apiserver', 'etcd'] as const) {
      log(`phase: ${component} killed for ${options.outageSeconds} s`);
      await world.rotate(world.slice(component === 'etcd' ? 1 : 0));
      await controlPlane.stopComponent(component);
      await sleep(options.outageSeconds * 1000);
      await controlPlane.startComponent(component);
      results.push(await world.settle(`${component} kill + restart (same data)`, Date.now()));
    }

    log(`phase: object store down for ${options.outageSeconds} s`);
    await store.stop();
    await world.rotate(world.storeBundles);
    await sleep(options.outageSeconds * 1000);
    await store.start();
    results.push(await world.settle('object store outage', Date.now()));

    log(`phase: webhook receiver down for ${options.outageSeconds} s`);
    await receiver.down();
    await world.rotate(world.webhookBundles);
    await sleep(options.outageSeconds * 1000);
    await receiver.up();
    results.push(await world.settle('webhook receiver down', Date.now()));
    return { results, webhookDeliveries: receiver.deliveries, webhookRepeats: receiver.repeats };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  }
}

/** The cluster, the replicas and what the checks have seen so far (versions must never change). */
class World {
  readonly names: string[];
  readonly storeBundles: string[];
  readonly webhookBundles: string[];
  private readonly replicas = new Map<string, OperatorProcess>();
  private readonly api;
  private readonly core;
  private readonly custom;
  private readonly events;
  /** `bundle vN` → the bundle SHA-256 first seen for it. */
  private readonly seenVersions = new Map<string, string>();
  /** Bundle → currentVersion it must exceed after a rotation asked of it. */
  private readonly mustExceed = new Map<string, number>();
  private rotations = 0;

  constructor(
    private readonly controlPlane: ControlPlane,
    private readonly store: ObjectStoreServer,
    private readonly uploads: RecordingProxy,
    private readonly receiver: WebhookReceiver,
    private readonly options: ChaosOptions,
  ) {
    this.api = clusterApi(controlPlane.adminKubeConfig());
    this.core = this.api.core();
    this.custom = controlPlane.adminKubeConfig().makeApiClient(CustomObjectsApi);
    this.events = controlPlane.adminKubeConfig().makeApiClient(EventsV1Api);
    this.names = Array.from({ length: options.bundles }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    this.storeBundles = this.names.filter((_, i) => i % options.every === 0);
    this.webhookBundles = this.names.filter((_, i) => i % options.every === 1);
  }

  /** One of `every` slices of the bundles that use neither the store nor a webhook. */
  slice(index: number): string[] {
    return this.names.filter((_, i) => i % this.options.every === 2 + index);
  }

  async prepare(): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name: namespace } } });
    await this.api.createServerCaConfigMap(namespace);
    await this.api.createClusterRef(namespace, 'orders', managedClusterSpec());
    await this.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 's3' },
        stringData: { accessKeyId: this.store.accessKeyId, secretAccessKey: this.store.secretAccessKey },
      },
    });
    await this.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'hook' }, data: { hmac: WEBHOOK_KEY.toString('base64') } },
    });
    for (const identity of ['replica-0', 'replica-1']) this.startReplica(identity);
    await until(() => this.leader() !== undefined, 120_000, 'a leader');
    await until(
      async () => isReady(await this.api.getClusterRef(namespace, 'orders')),
      120_000,
      'the cluster ref Ready',
    );
  }

  async createBundles(): Promise<void> {
    const spec = (name: string): Record<string, unknown> => ({
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      ...(this.storeBundles.includes(name)
        ? {
            target: {
              objectStore: {
                bucket,
                endpoint: this.uploads.endpoint,
                pathStyle: true,
                credentialsSecretRef: { name: 's3' },
              },
            },
          }
        : {}),
      ...(this.webhookBundles.includes(name)
        ? {
            notifications: {
              webhooks: [{ url: this.receiver.url, secretRef: { name: 'hook', key: 'hmac' } }],
            },
          }
        : {}),
    });
    for (const name of this.names) this.mustExceed.set(name, 0);
    await inBatches(this.names, 50, (name) => this.api.createBundle(namespace, name, spec(name)));
  }

  /** Asks each bundle for a new version (the rotate annotation). */
  async rotate(names: readonly string[]): Promise<void> {
    const token = `chaos-${++this.rotations}`;
    const current = new Map((await this.listBundles()).map((b) => [b.metadata.name ?? '', b]));
    await inBatches(names, 50, async (name) => {
      this.mustExceed.set(name, current.get(name)?.status?.currentVersion ?? 0);
      await this.api.patchObject(namespace, plural, name, {
        metadata: { annotations: { 'scb-operator.io/rotate': token } },
      });
    });
  }

  /** SIGKILLs the leader `count` times, each 1-4 s after a leader is in place; returns when the last fell. */
  async killLeaders(count: number): Promise<number> {
    let lastKill = Date.now();
    for (let kill = 0; kill < count; kill++) {
      await until(() => this.leader() !== undefined, 120_000, 'a leader to kill');
      await sleep(1000 + Math.random() * 3000);
      const leader = this.leader();
      if (!leader) continue;
      const [identity, process] = leader;
      process.kill('SIGKILL');
      await process.exited;
      lastKill = Date.now();
      this.options.log(`  killed the leader ${identity} (${kill + 1}/${count}); it starts again`);
      this.startReplica(identity);
    }
    return lastKill;
  }

  /** Polls the invariants until all hold or the timeout passes. */
  async settle(fault: string, faultEndedAt: number): Promise<FaultResult> {
    const deadline = faultEndedAt + this.options.timeoutSeconds * 1000;
    let last: Check | undefined;
    for (;;) {
      last = await this.check().catch((error: unknown) => failedCheck(`check failed: ${String(error)}`));
      if (INVARIANTS.every((name) => last?.violations[name] === 0)) {
        const recoverySeconds = (Date.now() - faultEndedAt) / 1000;
        this.options.log(`  ${fault}: all invariants hold after ${recoverySeconds.toFixed(1)} s`);
        return { fault, violations: last.violations, recoverySeconds, details: [] };
      }
      if (Date.now() > deadline) {
        this.options.log(
          `  ${fault}: invariants still broken at the timeout: ${last.details.slice(0, 5).join('; ')}`,
        );
        return {
          fault,
          violations: last.violations,
          recoverySeconds: undefined,
          details: last.details.slice(0, 20),
        };
      }
      await sleep(2000);
    }
  }

  stopOperators(): Promise<void> {
    for (const replica of this.replicas.values()) replica.kill('SIGKILL');
    return Promise.all([...this.replicas.values()].map((replica) => replica.exited)).then(() => undefined);
  }

  private startReplica(identity: string): void {
    this.replicas.set(
      identity,
      startOperatorProcess({
        kubeconfig: this.controlPlane.kubeconfigPath,
        namespace,
        identity,
        concurrency: 4,
      }),
    );
  }

  /** The replica leading now, from its own log: its last word on leadership was "leading". */
  private leader(): [string, OperatorProcess] | undefined {
    for (const [identity, replica] of this.replicas) {
      const said = replica.logs.filter(
        (line) => line.message === 'leading: reconciling' || line.message.startsWith('lost leadership'),
      );
      if (said.at(-1)?.message === 'leading: reconciling') return [identity, replica];
    }
    return undefined;
  }

  private async listBundles(): Promise<SecureConnectionBundle[]> {
    const list = (await this.custom.listNamespacedCustomObject({ group, version, namespace, plural })) as {
      items: SecureConnectionBundle[];
    };
    return list.items;
  }

  private async check(): Promise<Check> {
    const result = failedCheck();
    result.details.length = 0;
    for (const name of INVARIANTS) result.violations[name] = 0;
    const violate = (invariant: Invariant, detail: string) => {
      result.violations[invariant] += 1;
      if (result.details.length < 50) result.details.push(`${invariant}: ${detail}`);
    };
    const bundles = await this.listBundles();
    const byName = new Map(bundles.map((b) => [b.metadata.name ?? '', b]));
    // The cheap part first: until every bundle is Ready at the version asked of it, the rest waits.
    let pending = 0;
    for (const name of this.names) {
      const bundle = byName.get(name);
      const ready = bundle !== undefined && isReady(bundle);
      const advanced = (bundle?.status?.currentVersion ?? 0) > (this.mustExceed.get(name) ?? 0);
      if (!ready || !advanced) {
        pending += 1;
        violate('allReady', `${name} ${ready ? `still at v${bundle?.status?.currentVersion}` : 'not Ready'}`);
      }
    }
    if (pending > 0) return result;

    const secrets = (
      await this.core.listNamespacedSecret({ namespace, labelSelector: 'scb-operator.io/role' })
    ).items;
    const published = new Map<string, V1Secret>();
    const versionSecrets = new Map<string, V1Secret[]>();
    for (const secret of secrets) {
      const owner = secret.metadata?.ownerReferences?.[0]?.name ?? '';
      const role = secret.metadata?.labels?.['scb-operator.io/role'];
      if (role === 'published-bundle') published.set(owner, secret);
      if (role === 'bundle-version')
        versionSecrets.set(owner, [...(versionSecrets.get(owner) ?? []), secret]);
    }
    const eventCounts = new Map<string, number>();
    for (const event of (await this.events.listNamespacedEvent({ namespace })).items) {
      if (event.reason !== 'Issued' && event.reason !== 'Rotated') continue;
      const number = /^version (\d+) /.exec(event.note ?? '')?.[1];
      const key = `${event.regarding?.name} v${number}`;
      eventCounts.set(key, (eventCounts.get(key) ?? 0) + 1);
    }
    let expectedVersionSecrets = 0;
    for (const name of this.names) {
      const bundle = byName.get(name) as SecureConnectionBundle;
      const versions = bundle.status?.versions ?? [];
      const current = versions.find((entry) => entry.version === bundle.status?.currentVersion);
      const zip = published.get(name)?.data?.[`secure-connect-${name}.zip`];
      const zipSha = zip === undefined ? undefined : sha256(Buffer.from(zip, 'base64'));
      if (!current || zipSha !== current.bundleSHA256) {
        violate('zipIsCurrent', `${name}: published zip is not v${bundle.status?.currentVersion}'s`);
      }
      if (new Set(versions.map((entry) => entry.version)).size !== versions.length) {
        violate('noVersionReused', `${name}: a version listed twice`);
      }
      for (const entry of versions) {
        const key = `${name} v${entry.version}`;
        const seen = this.seenVersions.get(key);
        if (seen !== undefined && seen !== entry.bundleSHA256) {
          violate('noVersionReused', `${key} now holds another bundle`);
        }
        if (entry.bundleSHA256) this.seenVersions.set(key, entry.bundleSHA256);
      }
      const listed = new Set(versions.map((entry) => entry.secretName).filter(Boolean));
      expectedVersionSecrets += listed.size;
      for (const secret of versionSecrets.get(name) ?? []) {
        if (!listed.has(secret.metadata?.name)) violate('noOrphanSecret', `${secret.metadata?.name}`);
      }
      for (const key of [...this.seenVersions.keys()].filter((k) => k.startsWith(`${name} v`))) {
        const count = eventCounts.get(key) ?? 0;
        if (count !== 1) violate('oneEventPerVersion', `${key}: ${count} Issued/Rotated Events`);
      }
      if (this.webhookBundles.includes(name)) {
        const ids = this.receiver.idsFor(name, bundle.status?.currentVersion ?? 0);
        if (ids.size !== 1)
          violate('webhooksOnce', `${name} v${bundle.status?.currentVersion}: ${ids.size} webhook ids`);
      }
      if (this.storeBundles.includes(name))
        await this.checkStore(bundle, (detail) => violate('objectStore', detail));
    }
    for (const [key, count] of eventCounts) {
      if (count > 1 && !this.seenVersions.has(key)) violate('oneEventPerVersion', `${key}: ${count} Events`);
    }
    if (published.size !== this.names.length) {
      violate('secretCount', `${published.size} published Secrets for ${this.names.length} bundles`);
    }
    const actualVersionSecrets = [...versionSecrets.values()].reduce((sum, list) => sum + list.length, 0);
    if (actualVersionSecrets !== expectedVersionSecrets) {
      violate(
        'secretCount',
        `${actualVersionSecrets} version Secrets, status lists ${expectedVersionSecrets}`,
      );
    }
    return result;
  }

  /** Every listed version stored with the recorded bytes, latest.json current, uploads in order. */
  private async checkStore(bundle: SecureConnectionBundle, violate: (detail: string) => void): Promise<void> {
    const name = bundle.metadata.name ?? '';
    if (condition(bundle, 'ObjectStoreSynced')?.status !== 'True') {
      violate(`${name}: ObjectStoreSynced is not True`);
      return;
    }
    for (const entry of bundle.status?.versions ?? []) {
      if (!entry.objectKey) {
        violate(`${name} v${entry.version}: not stored`);
        continue;
      }
      const key = `${name} v${entry.version}`;
      if (this.uploads.checked.has(key)) continue;
      const object = await this.store.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: entry.objectKey }),
      );
      const bytes = await object.Body?.transformToByteArray();
      if (sha256(bytes ?? new Uint8Array()) !== entry.bundleSHA256) violate(`${key}: stored bytes differ`);
      else if (entry.state !== 'Active') this.uploads.checked.add(key);
    }
    const uploaded = this.uploads.versions.get(name) ?? [];
    if (uploaded.some((v, i) => i > 0 && v < (uploaded[i - 1] ?? 0))) {
      violate(`${name}: uploads out of order (${uploaded.join(',')})`);
    }
  }
}

interface Check {
  violations: Record<Invariant, number>;
  details: string[];
}

function failedCheck(detail?: string): Check {
  const violations = Object.fromEntries(INVARIANTS.map((name) => [name, detail ? 1 : 0])) as Record<
    Invariant,
    number
  >;
  return { violations, details: detail ? [detail] : [] };
}

const WEBHOOK_KEY = Buffer.from('chaos run webhook signing key, 32 bytes+');

interface WebhookReceiver {
  url: string;
  deliveries: number;
  repeats: number;
  idsFor(bundle: string, version: number): Set<string>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Records each delivery's webhook-id by bundle and version; down() refuses connections. */
async function webhookReceiver(): Promise<WebhookReceiver> {
  const ids = new Map<string, Set<string>>();
  const counts = { deliveries: 0, repeats: 0 };
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          name?: string;
          version?: number;
        };
        const key = `${message.name} v${message.version}`;
        const id = String(request.headers['webhook-id']);
        counts.deliveries += 1;
        if (ids.get(key)?.has(id)) counts.repeats += 1;
        ids.set(key, (ids.get(key) ?? new Set()).add(id));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = undefined;
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}/scb`,
    get deliveries() {
      return counts.deliveries;
    },
    get repeats() {
      return counts.repeats;
    },
    idsFor: (bundle, version) => ids.get(`${bundle} v${version}`) ?? new Set(),
    down: close,
    up: listen,
    close,
  };
}

interface RecordingProxy {
  endpoint: string;
  /** Bundle → versions whose zip was stored, in the order the store answered 200. */
  versions: Map<string, number[]>;
  /** Versions whose stored bytes were checked and can no longer change (not Active). */
  checked: Set<string>;
  close(): Promise<void>;
}

/** Forwards to the store and notes each zip PUT it acknowledged, to check the order of uploads. */
async function recordingProxy(target: string): Promise<RecordingProxy> {
  const versions = new Map<string, number[]>();
  const to = new URL(target);
  const server = createServer((request, response) => {
    const forward = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const zip = /\/(app-\d+)\/v(\d+)\/secure-connect-app-\d+\.zip(\?|$)/.exec(request.url ?? '');
        if (request.method === 'PUT' && zip && answer.statusCode === 200) {
          const name = zip[1] ?? '';
          versions.set(name, [...(versions.get(name) ?? []), Number(zip[2])]);
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    versions,
    checked: new Set(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One busy process per core, niced like nothing: the load a shared CI machine puts on us. */
function startLoad(): ChildProcess[] {
  return os.cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let at = 0; at < items.length; at += size) await Promise.all(items.slice(at, at + size).map(work));
}

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // The API may be restarting: try again.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The faults × invariants table, ✓ or the number of violations left, and the recovery time. */
export function formatTable(results: readonly FaultResult[]): string {
  const header = ['fault', ...INVARIANTS, 'recovery s'];
  const rows = results.map((result) => [
    result.fault,
    ...INVARIANTS.map((name) => (result.violations[name] === 0 ? '✓' : `✗ ${result.violations[name]}`)),
    result.recoverySeconds === undefined ? 'never' : result.recoverySeconds.toFixed(1),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
