import {
  SECURE_CONNECTION_BUNDLE,
  type ConsumerUsage,
  type SecureConnectionBundle,
  type SecureConnectionBundleStatus,
  type VersionUsage,
} from '../../api/v1alpha1/index.js';
import { canonicalJson } from '../../controllers/canonical-json.js';
import { SAFETY_RESYNC_MS } from '../../controllers/bundle/requeue.js';
import { versionEventName } from '../../controllers/bundle/version-events.js';
import type { EventRecorder } from '../../controllers/events.js';
import { statusTime } from '../../controllers/status-time.js';
import type { NullableFields } from '../../kube/kube-objects.js';
import { objectKey, parseObjectKey } from '../../kube/object-key.js';
import type { ReconcileResult } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Clock } from '../../time/clock.js';
import type { ConsumerRolloutResult } from '../rollouts/index.js';
import { POD_SECRET_INDEX, type ObservedPod } from './pod-references.js';
import { bundleUsage } from './usage-report.js';
import { nextExpiringAt, usageGauges, usageNotices, type UsageNotice } from './usage-notices.js';

/** Read access to an informer's cache (ResilientInformer implements it). */
interface Cache<T> {
  get(name: string, namespace?: string): T | undefined;
  byIndex(name: string, value: string): readonly T[];
}

export interface UsageTrackerOptions {
  bundles: Cache<SecureConnectionBundle>;
  pods: Cache<ObservedPod>;
  /** Fenced: only the leader writes usage. */
  kube: {
    patchBundleStatus(
      namespace: string,
      name: string,
      status: NullableFields<SecureConnectionBundleStatus>,
    ): Promise<unknown>;
  };
  events: Pick<EventRecorder, 'recordOnce'>;
  notifier: {
    enqueueNotice(
      bundle: SecureConnectionBundle,
      message: { type: string; version: number },
      topic: string,
    ): number;
  };
  metrics: Pick<OperatorMetrics, 'setVersionUsage' | 'clearVersionUsage'>;
  clock: Clock;
  logger: Logger;
  /** Schedules a usage pass for a bundle key (the usage work queue's addAfter). */
  schedule: (key: string, delayMs: number) => void;
  /** Queues a bundle reconcile: what pods mount changed, so pruning may change. */
  reconcileBundle: (key: string) => void;
  /** Pod churn is gathered this long before a pass. Default 1 s. */
  debounceMs?: number;
  /** At most one usage status write per bundle this often. Default 5 s. */
  minWriteIntervalMs?: number;
}

/** The webhook message type of a usage notice (the X-SCB-Event header). */
export const VERSION_IN_USE_EVENT = 'BundleVersionInUse';

const TOPICS: Record<UsageNotice['condition'], string> = {
  Deprecated: 'deprecated-in-use',
  Expiring: 'expiring-in-use',
  Retained: 'retained',
};

/**
 * Keeps status.usage of every bundle in step with the pods that read its Secrets and with its
 * consumers, and raises the notices usage calls for. Runs on the leader, one bundle at a time per
 * key (a work queue): pod churn only schedules a pass (`touch`), passes are gathered for
 * `debounceMs` and spaced `minWriteIntervalMs` apart per bundle, and a pass writes status only
 * when the usage differs from what status holds (compared canonically, the time left out).
 */
export class UsageTracker {
  private readonly lastWrite = new Map<string, number>();
  /** Bundle key → versions whose Secret pods mount, as last seen: a change may unblock pruning. */
  private readonly mounted = new Map<string, string>();
  /** Bundle key → `uid/version/condition` notices raised (or being raised) by this process. */
  private readonly raised = new Map<string, Set<string>>();
  /** Bundle key → consumers as the last rollout saw them. */
  private readonly consumers = new Map<string, ConsumerUsage[]>();

  constructor(private readonly options: UsageTrackerOptions) {}

  /** Something the usage of `key` depends on changed: a pass runs soon, never sooner than allowed. */
  touch(key: string): void {
    const now = this.options.clock.now().getTime();
    const debounce = this.options.debounceMs ?? 1000;
    const spacing = (this.lastWrite.get(key) ?? 0) + (this.options.minWriteIntervalMs ?? 5000) - now;
    this.options.schedule(key, Math.max(debounce, spacing));
  }

  /** The versions whose `<secret>-vN` Secret running pods mount, and by whom (for pruning). */
  mountedBy(bundle: SecureConnectionBundle): ReadonlyMap<number, readonly string[]> {
    return bundleUsage(bundle, this.podsReading(bundle)).mountedBy;
  }

  /** What the last rollout found of spec.consumers (Deferred and Failed keep what was known). */
  consumersObserved(bundle: SecureConnectionBundle, results: readonly ConsumerRolloutResult[]): void {
    const key = objectKey(bundle);
    const known = this.consumers.get(key) ?? bundle.status?.usage?.consumers ?? [];
    const next = results.map((result): ConsumerUsage => {
      const base = { kind: result.kind, name: result.name };
      if (result.outcome === 'Restarted') return { ...base, templateVersion: result.version };
      if (result.outcome === 'UpToDate') return { ...base, templateVersion: result.rolledVersion };
      if (result.outcome === 'Missing') return base;
      const before = known.find((entry) => entry.kind === result.kind && entry.name === result.name);
      return before ?? base;
    });
    if (canonicalJson(next) === canonicalJson(this.consumers.get(key) ?? null)) return;
    this.consumers.set(key, next);
    this.touch(key);
  }

  /** One usage pass (the usage work queue's reconcile). */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace = '', name } = parseObjectKey(key);
    const bundle = this.options.bundles.get(name, namespace);
    if (!bundle || bundle.metadata.deletionTimestamp) {
      this.forget(key, { namespace, name });
      return;
    }
    const now = this.options.clock.now();
    const report = bundleUsage(bundle, this.podsReading(bundle));
    await this.writeUsage(bundle, report.versions, now);
    this.noticeMountChange(key, report.mountedBy);
    this.options.metrics.setVersionUsage({ namespace, name }, usageGauges(bundle, report.versions, now));
    await this.raise(bundle, usageNotices(bundle, report.versions, now));
    // A version entering its expiring window is no event: look again then (capped like the
    // reconciler's safety resync, well inside what a timer can hold).
    const next = nextExpiringAt(bundle, report.versions, now);
    return next
      ? { requeueAfterMs: Math.min(next.getTime() - now.getTime() + 1000, SAFETY_RESYNC_MS) }
      : undefined;
  }

  /** Leadership lost: another replica reports usage now. */
  reset(): void {
    this.options.metrics.clearVersionUsage();
    this.raised.clear();
    this.mounted.clear();
  }

  private forget(key: string, labels: { namespace: string; name: string }): void {
    this.lastWrite.delete(key);
    this.mounted.delete(key);
    this.raised.delete(key);
    this.consumers.delete(key);
    this.options.metrics.clearVersionUsage(labels);
  }

  private podsReading(bundle: SecureConnectionBundle): (secretName: string) => readonly ObservedPod[] {
    const namespace = bundle.metadata.namespace ?? '';
    return (secretName) => this.options.pods.byIndex(POD_SECRET_INDEX, `${namespace}/${secretName}`);
  }

  private async writeUsage(
    bundle: SecureConnectionBundle,
    versions: VersionUsage[],
    now: Date,
  ): Promise<void> {
    const key = objectKey(bundle);
    const recorded = bundle.status?.usage;
    const consumers = (this.consumers.get(key) ?? recorded?.consumers ?? []).filter((consumer) =>
      (bundle.spec.consumers ?? []).some(
        (spec) => spec.kind === consumer.kind && spec.name === consumer.name,
      ),
    );
    const wanted = canonicalJson({ versions, consumers });
    const had = canonicalJson({ versions: recorded?.versions ?? [], consumers: recorded?.consumers ?? [] });
    if (wanted === had) return;
    await this.options.kube.patchBundleStatus(bundle.metadata.namespace ?? '', bundle.metadata.name ?? '', {
      // A merge patch: usage.downloads, written by the download API's replicas, is left alone.
      usage: {
        observedTime: statusTime(now),
        versions: versions.length > 0 ? versions : null,
        consumers: consumers.length > 0 ? consumers : null,
        // JSON merge patch: null removes a field.
      } as unknown as SecureConnectionBundleStatus['usage'],
    });
    this.lastWrite.set(key, now.getTime());
  }

  private noticeMountChange(key: string, mountedBy: ReadonlyMap<number, readonly string[]>): void {
    const signature = canonicalJson([...mountedBy]);
    const before = this.mounted.get(key);
    this.mounted.set(key, signature);
    // The first pass after a start has nothing to compare with: every bundle is reconciled then anyway.
    if (before !== undefined && before !== signature) this.options.reconcileBundle(key);
  }

  /**
   * Each notice once per bundle, version and condition: the Event has a fixed name (a second
   * create is a 409, also from another process after a restart or a hand-over), and the webhook
   * goes out only with the Event's first create.
   */
  private async raise(bundle: SecureConnectionBundle, notices: readonly UsageNotice[]): Promise<void> {
    const key = objectKey(bundle);
    const uid = bundle.metadata.uid ?? '';
    const listed = new Set((bundle.status?.versions ?? []).map((entry) => entry.version));
    const raised = new Set(
      [...(this.raised.get(key) ?? [])].filter((mark) => listed.has(Number(mark.split('/')[1]))),
    );
    this.raised.set(key, raised);
    const regarding = { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind };
    for (const notice of notices) {
      const mark = `${uid}/${notice.version}/${notice.condition}`;
      if (raised.has(mark)) continue;
      raised.add(mark);
      const topic = TOPICS[notice.condition];
      try {
        const outcome = await this.options.events.recordOnce(
          regarding,
          'Warning',
          notice.reason,
          notice.message,
          versionEventName(bundle, notice.version, topic),
        );
        if (outcome === 'existed') continue;
        this.options.logger.warn('bundle version in use', {
          namespace: bundle.metadata.namespace,
          name: bundle.metadata.name,
          version: notice.version,
          condition: notice.condition,
        });
        if (notice.usage) this.options.notifier.enqueueNotice(bundle, inUseMessage(bundle, notice), topic);
      } catch (error) {
        raised.delete(mark);
        this.options.logger.warn('could not record a usage notice; retried on the next pass', {
          namespace: bundle.metadata.namespace,
          name: bundle.metadata.name,
          version: notice.version,
          error: String((error as Error)?.message ?? error),
        });
      }
    }
  }
}

/** The webhook body of a Deprecated or Expiring notice: the workloads to roll, by name. */
export function inUseMessage(bundle: SecureConnectionBundle, notice: UsageNotice) {
  const entry = bundle.status?.versions?.find((candidate) => candidate.version === notice.version);
  return {
    type: VERSION_IN_USE_EVENT,
    condition: notice.condition,
    namespace: bundle.metadata.namespace ?? '',
    name: bundle.metadata.name ?? '',
    version: notice.version,
    state: entry?.state,
    expiresAt: entry?.expiresAt,
    currentVersion: bundle.status?.currentVersion,
    workloads: (notice.usage?.workloads ?? []).map(({ kind, name, pods }) => ({ kind, name, pods })),
    workloadCount: notice.usage?.workloadCount ?? 0,
    message: notice.message,
  };
}
