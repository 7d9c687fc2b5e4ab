import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Which object a per-object series describes. */
export interface ObjectLabels {
  namespace: string;
  name: string;
}

/** What a watch reports to the `scb_watch_*` series when Prometheus scrapes. */
export interface WatchHealthSource {
  restarts: number;
  lastEventAgeMs?: number;
}

/**
 * Label values are Kubernetes names and our own words; anything else is replaced, so a value that
 * is not a name (a mistaken password or PEM passed as `name`) can never become a series label.
 */
const SAFE_LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
export const UNSAFE_LABEL_VALUE = '_invalid';

export function safeLabelValue(value: string): string {
  return SAFE_LABEL_VALUE.test(value) ? value : UNSAFE_LABEL_VALUE;
}

function objectLabels({ namespace, name }: ObjectLabels): { namespace: string; name: string } {
  return { namespace: safeLabelValue(namespace), name: safeLabelValue(name) };
}

const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The operator's metrics, registered on a registry the caller owns (never prom-client's global
 * one, so tests and several operators in one process do not collide).
 */
export class OperatorMetrics {
  private readonly bundleExpiry: Gauge<'namespace' | 'name'>;
  private readonly bundleRenewal: Gauge<'namespace' | 'name'>;
  private readonly bundleReady: Gauge<'namespace' | 'name'>;
  private readonly caExpiry: Gauge<'namespace' | 'name'>;
  private readonly bundleGeneration: Histogram;
  private readonly reconciles: Counter<'controller' | 'result'>;
  private readonly reconcileDuration: Histogram<'controller'>;
  private readonly downloads: Counter<'namespace' | 'name'>;
  private readonly secretCreates: Counter<'namespace' | 'role'>;
  private readonly issuanceDeferred: Counter;
  private readonly versionUsage: Gauge<'namespace' | 'name' | 'state'>;
  private readonly expiringUsage: Gauge<'namespace' | 'name'>;
  private readonly queueSources = new Map<string, () => number>();
  private readonly watchSources = new Map<string, () => WatchHealthSource>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.bundleExpiry = new Gauge({
      name: 'scb_bundle_expiry_timestamp_seconds',
      help: 'Unix time when the client certificate of the current bundle expires.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.bundleRenewal = new Gauge({
      name: 'scb_bundle_renewal_timestamp_seconds',
      help: 'Unix time when the operator will issue the next bundle version.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.bundleReady = new Gauge({
      name: 'scb_bundle_ready',
      help: '1 when the SecureConnectionBundle is Ready, else 0.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.caExpiry = new Gauge({
      name: 'scb_ca_expiry_timestamp_seconds',
      help: 'Unix time when the CA certificate of a CassandraClusterRef expires.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.bundleGeneration = new Histogram({
      name: 'scb_bundle_generation_duration_seconds',
      help: 'Time to generate one bundle version (keys, certificates, keystores, archive).',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.reconciles = new Counter({
      name: 'scb_reconcile_total',
      help: 'Reconciles by controller and result.',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'scb_reconcile_duration_seconds',
      help: 'Reconcile duration by controller.',
      labelNames: ['controller'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.downloads = new Counter({
      name: 'scb_bundle_downloads_total',
      help: 'Bundle archives served, by SecureConnectionBundle.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.secretCreates = new Counter({
      name: 'scb_secret_creates_total',
      help: 'Secrets the operator created, by namespace and role: a storm of new Secrets shows here first.',
      labelNames: ['namespace', 'role'],
      registers,
    });
    this.issuanceDeferred = new Counter({
      name: 'scb_issuance_rate_limited_total',
      help: 'Times a bundle version waited because its bundle reached the issuance rate limit.',
      registers,
    });
    // Per bundle and version state, never per pod or workload: the series count stays a small
    // multiple of the bundle count. Status names the workloads.
    this.versionUsage = new Gauge({
      name: 'scb_bundle_version_in_use_workloads',
      help: 'Workloads whose running pods use a version of the bundle in this state (Active, Deprecated, Expired); absent when none.',
      labelNames: ['namespace', 'name', 'state'],
      registers,
    });
    this.expiringUsage = new Gauge({
      name: 'scb_bundle_expiring_version_in_use_workloads',
      help: 'Workloads whose running pods use a version of the bundle with less than a tenth of its certificate lifetime left; absent when none.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    // Depth, restarts and event age are read from their owners at scrape time, so no code path
    // has to remember to update them.
    const queueSources = this.queueSources;
    new Gauge({
      name: 'scb_workqueue_depth',
      help: 'Keys waiting for a reconcile worker.',
      labelNames: ['controller'],
      registers,
      collect() {
        this.reset();
        for (const [controller, depth] of queueSources) this.set({ controller }, depth());
      },
    });
    const watchSources = this.watchSources;
    new Counter({
      name: 'scb_watch_restarts_total',
      help: 'Times the watch was restarted after an error, 410 Gone or a silent stall.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const [resource, health] of watchSources) this.inc({ resource }, health().restarts);
      },
    });
    new Gauge({
      name: 'scb_watch_last_event_age_seconds',
      help: 'Seconds since the watch last saw an event, bookmark or reconnect.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const [resource, health] of watchSources) {
          const ageMs = health().lastEventAgeMs;
          if (ageMs !== undefined) this.set({ resource }, ageMs / 1000);
        }
      },
    });
  }

  setBundleTimes(object: ObjectLabels, times: { expiresAt: Date; renewsAt: Date }): void {
    this.bundleExpiry.set(objectLabels(object), unixSeconds(times.expiresAt));
    this.bundleRenewal.set(objectLabels(object), unixSeconds(times.renewsAt));
  }

  setBundleReady(object: ObjectLabels, ready: boolean): void {
    this.bundleReady.set(objectLabels(object), ready ? 1 : 0);
  }

  setCaExpiry(object: ObjectLabels, expiresAt: Date): void {
    this.caExpiry.set(objectLabels(object), unixSeconds(expiresAt));
  }

  /** Drop every per-object series of a deleted bundle or cluster reference. */
  forgetObject(object: ObjectLabels): void {
    const labels = objectLabels(object);
    for (const gauge of [this.bundleExpiry, this.bundleRenewal, this.bundleReady, this.caExpiry]) {
      gauge.remove(labels);
    }
    this.downloads.remove(labels);
    this.clearVersionUsage(object);
  }

  /** Workloads per version state, and on expiring versions; zero values remove their series. */
  setVersionUsage(
    object: ObjectLabels,
    usage: { byState: Readonly<Record<string, number>>; expiring: number },
  ): void {
    const labels = objectLabels(object);
    for (const [state, workloads] of Object.entries(usage.byState)) {
      const series = { ...labels, state: safeLabelValue(state) };
      if (workloads > 0) this.versionUsage.set(series, workloads);
      else this.versionUsage.remove(series);
    }
    if (usage.expiring > 0) this.expiringUsage.set(labels, usage.expiring);
    else this.expiringUsage.remove(labels);
  }

  /**
   * Drops the usage series of one bundle, or of all when this replica stops leading: what a
   * former leader last saw must not keep an alert firing that the new leader has cleared.
   */
  clearVersionUsage(object?: ObjectLabels): void {
    if (!object) {
      this.versionUsage.reset();
      this.expiringUsage.reset();
      return;
    }
    const labels = objectLabels(object);
    for (const state of ['Active', 'Deprecated', 'Expired']) this.versionUsage.remove({ ...labels, state });
    this.expiringUsage.remove(labels);
  }

  observeBundleGeneration(durationMs: number): void {
    this.bundleGeneration.observe(durationMs / 1000);
  }

  recordReconcile(controller: string, result: string, durationMs: number): void {
    const labels = { controller: safeLabelValue(controller) };
    this.reconciles.inc({ ...labels, result: safeLabelValue(result) });
    this.reconcileDuration.observe(labels, durationMs / 1000);
  }

  countSecretCreate(namespace: string, role: string): void {
    this.secretCreates.inc({ namespace: safeLabelValue(namespace), role: safeLabelValue(role) });
  }

  countIssuanceDeferred(): void {
    this.issuanceDeferred.inc();
  }

  recordDownload(object: ObjectLabels): void {
    this.downloads.inc(objectLabels(object));
  }

  /** Report a work queue's depth under `controller` at every scrape. */
  trackQueue(controller: string, depth: () => number): void {
    this.queueSources.set(safeLabelValue(controller), depth);
  }

  /** Report a watch's restarts and last-event age under `resource` at every scrape. */
  trackWatch(resource: string, health: () => WatchHealthSource): void {
    this.watchSources.set(safeLabelValue(resource), health);
  }
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
