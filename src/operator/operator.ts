import type { KubernetesObject, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  CASSANDRA_CLUSTER_REF,
  SECURE_CONNECTION_BUNDLE,
  clusterRefNamespace,
  type CassandraClusterRef,
  type SecureConnectionBundle,
} from '../api/v1alpha1/index.js';
import { readGeneratorInfo } from '../bundle/generator.js';
import { PLATFORMS } from '../bundle/platforms/index.js';
import { observeSecret, type ObservedSecret } from '../controllers/bundle/bundle-secrets.js';
import {
  COMMON_NAME_CLAIM_INDEX,
  commonNameClaimIndex,
  IDENTITY_REFUSED_INDEX,
  identityRefusedIndex,
  identityWaiterKeys,
} from '../controllers/bundle/bundle-identity.js';
import { BundleReconciler } from '../controllers/bundle/bundle-reconciler.js';
import { ClusterMaterialCache } from '../controllers/bundle/cluster-material-cache.js';
import { OciRepositorySync } from '../distribution/oci/index.js';
import { ObjectStoreSync } from '../controllers/bundle/object-store-sync.js';
import { ObjectStoreCleanup } from '../controllers/bundle/object-store-cleanup.js';
import {
  NamespaceLabels,
  namespaceLabelsOnly,
  NamespaceLabelWatch,
} from '../controllers/bundle/namespace-labels.js';
import { WebhookNotifier } from '../distribution/notifications/index.js';
import { OutboundGuard } from '../distribution/outbound/index.js';
import { RolloutRateLimiter } from '../distribution/rollouts/index.js';
import { ClusterRefReconciler } from '../controllers/cluster-ref/cluster-ref-reconciler.js';
import { GatewayProber, ProbeIdentities, vettedDialer } from '../controllers/cluster-ref/gateway-prober.js';
import { probeSchedule } from '../controllers/cluster-ref/gateway-readiness.js';
import { probeGateway } from '../gateway/probe.js';
import { kubernetesEventRecorder } from '../controllers/events.js';
import {
  CONTROLLER_UID_INDEX,
  controllerOf,
  controllerUidIndex,
  OWNED_SELECTOR,
  roleOf,
} from '../controllers/ownership.js';
import { KubeObjects, NAMESPACES_PATH } from '../kube/kube-objects.js';
import { LeaderElector } from '../kube/leader-election.js';
import type { KubeHttp } from '../kube/client/kube-http.js';
import { coordinationLeaseApi } from '../kube/lease-api.js';
import { cachedObject, internStrings, StringPool } from '../kube/cached-object.js';
import { objectKey } from '../kube/object-key.js';
import { ResilientInformer, type WatchHealthEvent } from '../kube/resilient-informer.js';
import { WorkQueue, type ReconcileReport } from '../kube/work-queue.js';
import { WriteFence } from '../kube/write-fence.js';
import { startHealthServer, type HealthServer } from '../observability/health-server.js';
import type { Logger } from '../observability/logger.js';
import { logReconcileFailure } from '../observability/reconcile-log.js';
import { secretValue } from '../observability/secret-value.js';
import { OperatorMetrics } from '../observability/metrics.js';
import type { Clock } from '../time/clock.js';
import type { Timers } from '../time/timers.js';
import type { OperatorConfig } from './config.js';
import { loadOrCreateSigningKey } from './signing-key-store.js';
import { loadOrCreateOperatorSecret } from './operator-secrets.js';
import { startDownloadApi, type DownloadApi } from '../distribution/download-api/index.js';
import {
  DownloadLog,
  observePod,
  podSecretIndex,
  POD_SECRET_INDEX,
  UsageTracker,
  type ObservedPod,
} from '../distribution/usage/index.js';

export interface OperatorDeps {
  config: OperatorConfig;
  /** The API server connection (src/kube/client); the operator owns no other. */
  http: KubeHttp;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

export interface RunningOperator {
  metricsPort: number;
  /** Graceful stop: finish in-flight reconciles, release the Lease, close watches and the server. */
  stop(): Promise<void>;
}

/** Work-queue keys carry their controller, so one informer can route to either queue. */
type Routed = `bundle:${string}` | `cluster:${string}` | `usage:${string}`;

/**
 * Wires the controllers to the cluster: informers feed keys to two work queues; the queues run
 * only while this replica leads; /readyz turns ready once every informer has synced.
 */
export async function startOperator(deps: OperatorDeps): Promise<RunningOperator> {
  const { config, http, clock, timers, logger } = deps;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new OperatorMetrics(registry);
  const countSecretCreate = (namespace: string, secret: KubernetesObject) =>
    metrics.countSecretCreate(namespace, roleOf(secret.metadata) ?? 'other');
  // Start-up (the shared keys) and the download API (reads, access reviews) work on every replica;
  // the controllers write only while this replica leads: one that lost its Lease stays up, serving
  // reads, and competes again.
  const anyReplicaKube = new KubeObjects(http, countSecretCreate);
  const fence = new WriteFence();
  const kube = new KubeObjects(http.fenced(fence), countSecretCreate);
  const events = kubernetesEventRecorder(kube, clock, config.identity, logger);
  const signingKey = await loadOrCreateSigningKey(
    anyReplicaKube,
    config.operatorNamespace,
    config.signingKeySecret,
  );
  const namespace = config.watchNamespace;
  const transport = http;

  const onReconciled = (controller: string) => (report: ReconcileReport) => {
    metrics.recordReconcile(controller, report.outcome, report.durationMs);
    logReconcileFailure(logger, controller, report);
  };
  const onHealth = (event: WatchHealthEvent) => {
    const level = event.type === 'Synced' ? 'info' : 'warn';
    logger.log(level, `watch ${event.type.toLowerCase()}`, { ...event });
  };

  // Informers first: the queues' reconcilers read the caches.
  const route = (key: Routed) => {
    const at = key.indexOf(':');
    const target = key.slice(at + 1);
    if (key.startsWith('bundle:')) bundleQueue.add(target);
    else if (key.startsWith('usage:')) usage.touch(target);
    else clusterQueue.add(target);
  };
  const enqueue = (key: string) => route(key as Routed);
  // One pool for every cache: a namespace or timestamp repeats across kinds too.
  const strings = new StringPool();
  const cached = <T extends KubernetesObject>(object: T): T => cachedObject(object, strings);

  const bundles: ResilientInformer<SecureConnectionBundle> = new ResilientInformer<SecureConnectionBundle>({
    resource: SECURE_CONNECTION_BUNDLE.plural,
    path: KubeObjects.collectionPath(SECURE_CONNECTION_BUNDLE.plural, namespace),
    list: () => kube.listBundles(namespace),
    transform: cached,
    transport,
    enqueue,
    // A bundle that holds a common name may let go of it (deleted, renamed): bundles of other
    // namespaces refused for that name look again at once instead of at their next resync.
    indexers: {
      [COMMON_NAME_CLAIM_INDEX]: commonNameClaimIndex,
      [IDENTITY_REFUSED_INDEX]: identityRefusedIndex,
    },
    keysFor: (bundle): string[] => [
      `bundle:${objectKey(bundle)}`,
      `usage:${objectKey(bundle)}`,
      ...identityWaiterKeys((cluster) => bundles.byIndex(IDENTITY_REFUSED_INDEX, cluster), bundle).map(
        (key) => `bundle:${key}`,
      ),
    ],
    clock,
    timers,
    onHealth,
  });
  // A change to a cluster ref's spec, CA or readiness re-queues every bundle that uses it.
  const clusterSignatures = new Map<string, string>();
  const clusterRefs = new ResilientInformer<CassandraClusterRef>({
    resource: CASSANDRA_CLUSTER_REF.plural,
    path: KubeObjects.collectionPath(CASSANDRA_CLUSTER_REF.plural, namespace),
    list: () => kube.listClusterRefs(namespace),
    transform: cached,
    transport,
    enqueue,
    keysFor: (cluster) => {
      const key = objectKey(cluster);
      const signature = clusterSignature(cluster);
      const keys: Routed[] = [`cluster:${key}`];
      if (clusterSignatures.get(key) !== signature) {
        clusterSignatures.set(key, signature);
        for (const bundle of bundles.list()) {
          if (usesCluster(bundle, cluster)) keys.push(`bundle:${objectKey(bundle)}`);
        }
      }
      return keys;
    },
    clock,
    timers,
    onHealth,
  });
  const secrets = new ResilientInformer<ObservedSecret>({
    resource: 'secrets',
    path: KubeObjects.collectionPath('secrets', namespace),
    list: (selector) => kube.listSecrets(namespace, selector, observeSecret),
    labelSelector: OWNED_SELECTOR,
    transform: (secret) => internStrings(observeSecret(secret), strings),
    indexers: { [CONTROLLER_UID_INDEX]: controllerUidIndex },
    transport,
    enqueue,
    keysFor: ownerKeys,
    clock,
    timers,
    onHealth,
  });
  const configMaps = new ResilientInformer<V1ConfigMap>({
    resource: 'configmaps',
    path: KubeObjects.collectionPath('configmaps', namespace),
    list: (selector) => kube.listConfigMaps(namespace, selector),
    transform: cached,
    labelSelector: OWNED_SELECTOR,
    transport,
    enqueue,
    keysFor: ownerKeys,
    clock,
    timers,
    onHealth,
  });
  // Pods, for status.usage and safe pruning: watched whole (a metadata-only watch has no volumes
  // or env) but cached as a few fields each (observePod), in the namespaces bundles are watched in.
  const pods = new ResilientInformer<ObservedPod>({
    resource: 'pods',
    path: KubeObjects.collectionPath('pods', namespace),
    list: () => kube.listPods(namespace, observePod),
    transform: observePod,
    indexers: { [POD_SECRET_INDEX]: podSecretIndex },
    transport,
    enqueue,
    // Only pods that read a Secret a bundle controls wake that bundle's usage pass.
    keysFor: (pod): Routed[] => {
      const observed = observePod(pod);
      const keys = new Set<Routed>();
      for (const ref of observed.secrets) {
        const secret = secrets.get(ref.name, observed.metadata.namespace);
        for (const key of ownerKeys(secret ?? {})) {
          if (key.startsWith('bundle:')) keys.add(`usage:${key.slice('bundle:'.length)}`);
        }
      }
      return [...keys];
    },
    clock,
    timers,
    onHealth,
  });
  // Cluster-wide, bundles may use cluster refs of other namespaces, whose access rules select
  // namespaces by label: a Namespace informer serves those labels, and a label change re-judges the
  // namespace's bundles. Watching one namespace, a bundle can only use a cluster ref beside it.
  const labelWatch = new NamespaceLabelWatch((name) => bundles.list(name));
  const namespaces =
    namespace === undefined
      ? new ResilientInformer<V1Namespace>({
          resource: 'namespaces',
          path: NAMESPACES_PATH,
          list: () => kube.listNamespaces(namespaceLabelsOnly),
          transform: namespaceLabelsOnly,
          transport,
          enqueue,
          keysFor: (object) => labelWatch.bundleKeysFor(object).map((key) => `bundle:${key}`),
          clock,
          timers,
          onHealth,
        })
      : undefined;
  const watched: [string, Pick<ResilientInformer<KubernetesObject>, 'start' | 'stop' | 'health'>][] = [
    [SECURE_CONNECTION_BUNDLE.plural, bundles],
    [CASSANDRA_CLUSTER_REF.plural, clusterRefs],
    ['secrets', secrets],
    ['configmaps', configMaps],
    ['pods', pods],
  ];
  if (namespaces) watched.push(['namespaces', namespaces]);
  const informers = watched.map(([, informer]) => informer);

  // Every connection made for a tenant (webhooks, object stores) is vetted by one policy.
  const outbound = new OutboundGuard({ policy: config.outbound });
  const notifier = new WebhookNotifier({ kube, clock, timers, logger, events, outbound });
  const bundleReconciler = new BundleReconciler({
    kube,
    bundles,
    clusterRefs,
    namespaceLabels: new NamespaceLabels((name) => kube.getNamespace(name), namespaces),
    secrets,
    clusterMaterial: new ClusterMaterialCache(kube, clock),
    signingKey,
    generator: readGeneratorInfo(),
    platforms: PLATFORMS,
    clock,
    random: Math.random,
    metrics,
    events,
    logger,
    notifier,
    rolloutLimiter: new RolloutRateLimiter(clock),
    usage: {
      mountedBy: (bundle) => usage.mountedBy(bundle),
      consumersObserved: (bundle, results) => usage.consumersObserved(bundle, results),
    },
    objectStore: new ObjectStoreSync(kube, logger, outbound, fence),
    objectStoreCleanup: new ObjectStoreCleanup({ kube, events, logger, clock, outbound }),
    ociRepository: new OciRepositorySync({ kube, logger, events, outbound, fence }),
  });
  // Off the work queue, on its own timers; its dials are vetted by the same outbound policy.
  const gatewayProber = new GatewayProber({
    clock,
    timers,
    logger,
    probe: probeGateway,
    identities: new ProbeIdentities(kube, clock),
    resolve: vettedDialer(outbound, config.gatewayResolve),
    onChange: (key) => clusterQueue.add(key),
    timeoutMs: 5000,
    schedule: probeSchedule(config.gatewayProbeIntervalMs),
  });
  const usage: UsageTracker = new UsageTracker({
    bundles,
    pods,
    kube,
    events,
    notifier,
    metrics,
    clock,
    logger,
    schedule: (key, delayMs) => usageQueue.addAfter(key, delayMs),
    reconcileBundle: (key) => bundleQueue.add(key),
  });
  const clusterReconciler = new ClusterRefReconciler({
    kube,
    clock,
    metrics,
    events,
    logger,
    resyncMs: config.clusterResyncMs,
    gatewayProber,
  });
  const bundleQueue = new WorkQueue({
    reconcile: (key) => bundleReconciler.reconcile(key),
    concurrency: config.concurrency,
    clock,
    timers,
    onReconciled: onReconciled('SecureConnectionBundle'),
  });
  const clusterQueue = new WorkQueue({
    reconcile: (key) => clusterReconciler.reconcile(key),
    concurrency: Math.min(config.concurrency, 2),
    clock,
    timers,
    onReconciled: onReconciled('CassandraClusterRef'),
  });
  const usageQueue = new WorkQueue({
    reconcile: (key) => usage.reconcile(key),
    concurrency: 2,
    clock,
    timers,
    onReconciled: onReconciled('BundleUsage'),
  });
  metrics.trackQueue('BundleUsage', () => usageQueue.depth());
  metrics.trackQueue('SecureConnectionBundle', () => bundleQueue.depth());
  metrics.trackQueue('CassandraClusterRef', () => clusterQueue.depth());
  for (const [resource, informer] of watched) metrics.trackWatch(resource, () => informer.health());

  const startQueues = () => {
    logger.info('leading: reconciling');
    fence.open();
    notifier.resume();
    // Not before every cache is complete (client-go's WaitForCacheSync): a reconcile that ran on a
    // half-listed Secret cache would take published bundles for unpublished ones and issue again.
    whenSynced(informers, timers)
      .then(async () => {
        if (!fence.isOpen()) return;
        clusterQueue.start();
        bundleQueue.start();
        usageQueue.start();
        for (const bundle of bundles.list()) usage.touch(objectKey(bundle));
        // After a lost Lease what was queued or delayed was dropped, and another leader may have
        // written meanwhile: look at everything again (on a first start the informers' adds did).
        for (const cluster of clusterRefs.list()) clusterQueue.add(objectKey(cluster));
        for (const bundle of bundles.list()) bundleQueue.add(objectKey(bundle));
        // Webhooks of versions published before a restart or a hand-over, not yet delivered.
        await notifier.notifyPending(bundles.list());
      })
      .catch((error: unknown) => {
        logger.warn('could not resume webhook deliveries', {
          error: String((error as Error)?.message ?? error),
        });
      });
  };
  const stopWriting = () => {
    fence.close();
    bundleQueue.pause();
    clusterQueue.pause();
    usageQueue.pause();
    usage.reset();
    notifier.suspend();
    gatewayProber.clear();
  };
  let stopping = false;
  const elector = config.leaderElect
    ? new LeaderElector({
        api: coordinationLeaseApi(http, config.operatorNamespace, config.leaderElectionId),
        identity: config.identity,
        clock,
        timers,
        onStartedLeading: startQueues,
        onStoppedLeading: () => {
          if (stopping) return;
          stopWriting();
          logger.error('lost leadership: writes stopped; serving reads and competing again');
        },
        onAttemptFailed: (error) => logger.warn('leader election attempt failed', { error: error.message }),
      })
    : undefined;

  for (const informer of informers) informer.start();
  const server: HealthServer = await startHealthServer({
    host: config.metricsHost,
    port: config.metricsPort,
    registry,
    readinessChecks: watched.map(([resource, informer]) => ({
      name: `${resource}-synced`,
      isReady: () => informer.health().synced,
    })),
    // Degraded, still serving: a watch down (the cache ages) or the Lease out of reach.
    degradationChecks: [
      ...watched.map(([resource, informer]) => ({
        name: `${resource}-watching`,
        isReady: () => informer.health().watching,
      })),
      ...(elector ? [{ name: 'lease-reachable', isReady: () => elector.reachesLease() }] : []),
    ],
  });
  const downloadLog = new DownloadLog({ kube: anyReplicaKube, clock, timers, logger });
  const download =
    config.download && (await startDownload(config, anyReplicaKube, clock, logger, metrics, downloadLog));
  if (elector) elector.start();
  else startQueues();
  logger.info('operator started', {
    identity: config.identity,
    watchNamespace: namespace ?? '(all)',
    leaderElection: config.leaderElect,
    metricsPort: server.port,
    outboundAllowed: config.outbound.allowedCidrs.length + config.outbound.allowedHosts.size,
    ...(download
      ? { downloadPort: download.port, downloadCertificateSha256: download.certificateSha256 }
      : {}),
  });

  return {
    metricsPort: server.port,
    async stop() {
      stopping = true;
      logger.info('shutting down: finishing in-flight work');
      await Promise.all([
        bundleQueue.shutdown({ drain: true }),
        clusterQueue.shutdown({ drain: true }),
        usageQueue.shutdown({ drain: false }),
      ]);
      gatewayProber.clear();
      notifier.close();
      if (elector) await elector.stop({ release: true });
      await Promise.all(informers.map((informer) => informer.stop()));
      await server.close();
      await download?.close();
      await downloadLog.close();
      logger.info('stopped');
    },
  };
}

/** Secrets and ConfigMaps route to the resource that controls them. */
function ownerKeys(object: KubernetesObject): Routed[] {
  const owner = controllerOf(object.metadata);
  const namespace = object.metadata?.namespace ?? '';
  if (owner?.kind === SECURE_CONNECTION_BUNDLE.kind) return [`bundle:${namespace}/${owner.name}`];
  if (owner?.kind === CASSANDRA_CLUSTER_REF.kind) return [`cluster:${namespace}/${owner.name}`];
  return [];
}

function usesCluster(bundle: SecureConnectionBundle, cluster: CassandraClusterRef): boolean {
  return (
    bundle.spec.clusterRef.name === cluster.metadata.name &&
    clusterRefNamespace(bundle) === cluster.metadata.namespace
  );
}

/** What bundles depend on: the spec, the active CA and readiness (not timestamps). */
function clusterSignature(cluster: CassandraClusterRef): string {
  const ready = cluster.status?.conditions?.find((condition) => condition.type === 'Ready');
  return JSON.stringify([
    cluster.metadata.generation,
    cluster.status?.observedGeneration,
    cluster.status?.clientCA?.sha256Fingerprint,
    cluster.status?.serverCA?.sha256Fingerprint,
    cluster.status?.gateway?.servingCA?.sha256Fingerprint,
    ready?.status,
  ]);
}

/** Resolves once every informer has listed everything (checked every 200 ms). */
function whenSynced(
  informers: ReadonlyArray<{ health(): { synced: boolean } }>,
  timers: Timers,
): Promise<void> {
  return new Promise((resolve) => {
    const check = () =>
      informers.every((informer) => informer.health().synced) ? resolve() : timers.setTimeout(check, 200);
    check();
  });
}

/**
 * The HTTPS download API (every replica serves it; reads need no leadership). Links are signed
 * with a key all replicas share, kept in a Secret like the manifest signing key.
 */
async function startDownload(
  config: OperatorConfig,
  kube: KubeObjects,
  clock: Clock,
  logger: Logger,
  metrics: OperatorMetrics,
  downloadLog: DownloadLog,
): Promise<DownloadApi | undefined> {
  const download = config.download;
  if (!download) return undefined;
  const linkKey = await loadOrCreateOperatorSecret(
    kube,
    {
      namespace: config.operatorNamespace,
      name: download.linkKeySecret,
      key: 'link-key',
      role: 'signing-key',
      setting: 'download.linkKeySecret (--download-link-key-secret)',
    },
    () => randomBytes(32),
  );
  const tls =
    download.tlsCertFile && download.tlsKeyFile
      ? {
          certPem: readFileSync(download.tlsCertFile, 'utf8'),
          keyPem: secretValue(readFileSync(download.tlsKeyFile, 'utf8')),
        }
      : undefined;
  return startDownloadApi({
    kube,
    host: download.host,
    port: download.port,
    tls,
    clock,
    logger,
    metrics,
    linkKey,
    onDownload: (served) => downloadLog.record(served),
  });
}
