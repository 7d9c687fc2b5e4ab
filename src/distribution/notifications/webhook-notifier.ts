import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  bundleSecretName,
  SECURE_CONNECTION_BUNDLE,
  type SecureConnectionBundle,
} from '../../api/v1alpha1/index.js';
import { readVersionRecord, versionSecretName } from '../../controllers/bundle/bundle-secrets.js';
import type { EventRecorder } from '../../controllers/events.js';
import { classifyError } from '../../kube/errors.js';
import type { Logger } from '../../observability/logger.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import type { Clock } from '../../time/clock.js';
import type { Timers } from '../../time/timers.js';
import {
  DEFAULT_OUTBOUND_POLICY,
  isOutboundRefusal,
  OutboundGuard,
  refusalDetail,
} from '../outbound/index.js';
import { readDelivered, WEBHOOKS_DELIVERED_ANNOTATION, withDelivered } from './delivery-record.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-schedule.js';
import {
  EVENT_HEADER,
  EVENT_TYPE,
  ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WebhookKeyError,
  deliveryId,
  publishedMessage,
  targetDigest,
  webhookKey,
  webhookSignature,
  type BundleVersionPublished,
  type PublishedVersion,
} from './webhook-message.js';
import { guardedTransport, type WebhookTransport } from './webhook-transport.js';

/** One notice's id per bundle (uid), version, topic and target: the same for every attempt. */
function noticeId(bundle: SecureConnectionBundle, version: number, topic: string, url: string): string {
  return createHash('sha256')
    .update(`${bundle.metadata.uid ?? ''}/${version}/${topic}/${url}`)
    .digest('hex')
    .slice(0, 32);
}

/** The Kubernetes calls the notifier makes (KubeObjects implements them). */
export interface WebhookKube {
  getSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  annotateSecret(namespace: string, name: string, annotations: Record<string, string | null>): Promise<void>;
}

export interface WebhookNotifierOptions {
  kube: WebhookKube;
  /** Signs each attempt with its time (webhook-timestamp). */
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Warning Events on the bundle when a delivery fails for good, or its key cannot sign. */
  events: Pick<EventRecorder, 'record'>;
  /** Jitter source in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
  /** Vets every connection; without one, only public addresses are reached. Unused with `transport`. */
  outbound?: OutboundGuard;
  /** Replaces the HTTP client (tests). */
  transport?: WebhookTransport;
  retry?: RetryPolicy;
  /** Deliveries queued, waiting to retry or in flight, at most; more are dropped (and logged). Default 1000. */
  maxPending?: number;
  /** Requests in flight at once, over all targets. Default 8. */
  maxConcurrent?: number;
  /** One request's time limit. Default 10 s. */
  requestTimeoutMs?: number;
}

export interface EnqueueResult {
  /** Deliveries newly queued. */
  queued: number;
  /** Already delivered according to the version Secret, or already queued. */
  skipped: number;
  /** Refused because the queue was full (they are retried by the next notifyPending). */
  dropped: number;
}

interface Delivery {
  id: string;
  url: string;
  target: string;
  /** spec.notifications.webhooks[i], for what the bundle's owner is told. */
  field: string;
  regarding: SecureConnectionBundle & { kind: string };
  namespace: string;
  secretRef: { name: string; key: string };
  /** Where delivery is recorded (version announcements); notices are not recorded. */
  versionSecret: string | undefined;
  /** The X-SCB-Event header: the message's type. */
  eventType: string;
  body: string;
  attempt: number;
}

/** Why an attempt failed: `log` for the operator's eyes, `public` for an Event on the bundle. */
interface Failure {
  /** The Event reason. */
  reason: 'WebhookRefused' | 'WebhookKeyInvalid' | 'WebhookFailed';
  log: string;
  public: string;
  /** Retrying cannot help: the outbound policy refused the address. */
  final: boolean;
  /** Tell the owner at once, not only when the delivery gives up. */
  tellNow: boolean;
}

/**
 * Posts a signed `BundleVersionPublished` message to each of a bundle's webhooks. `enqueue`
 * returns at once; deliveries run in the background with bounded concurrency, each retried with
 * exponential backoff and jitter up to `retry.maxAttempts`. A delivered target is recorded on the
 * version Secret (annotation scb-operator.io/webhooks-delivered), so `notifyPending` after a
 * restart resends only what was not delivered: delivery is at least once, and webhook-id stays
 * the same across attempts for receivers to drop duplicates. A delivery that fails for good
 * leaves a Warning Event on the bundle that says which webhook, never what answered.
 */
export class WebhookNotifier {
  private readonly pending = new Map<string, Delivery>();
  private readonly ready: Delivery[] = [];
  private readonly retryTimers = new Map<string, object>();
  private readonly recordChains = new Map<string, Promise<void>>();
  private inFlight = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly retry: RetryPolicy;
  private readonly transport: WebhookTransport;
  private readonly closeTransport: () => void;
  private readonly random: () => number;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    const guarded = options.transport
      ? { transport: options.transport, close: () => undefined }
      : guardedTransport(options.outbound ?? new OutboundGuard({ policy: DEFAULT_OUTBOUND_POLICY }));
    this.transport = guarded.transport;
    this.closeTransport = guarded.close;
    this.random = options.random ?? Math.random;
  }

  /**
   * Queues the message for every webhook of the bundle that the version Secret does not list as
   * delivered. Call it right after a version is published (the version Secret exists by then).
   * `delivered` is the version Secret's annotations when the caller has them (skips a read).
   */
  enqueue(
    bundle: SecureConnectionBundle,
    version: PublishedVersion,
    delivered: ReadonlySet<string> = new Set(),
  ): EnqueueResult {
    const result: EnqueueResult = { queued: 0, skipped: 0, dropped: 0 };
    const namespace = bundle.metadata.namespace ?? '';
    const name = bundle.metadata.name ?? '';
    const message: BundleVersionPublished = publishedMessage(
      { namespace, name, secretName: bundleSecretName(bundle) },
      version,
    );
    const body = JSON.stringify(message);
    const regarding = { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind };
    for (const [index, webhook] of (bundle.spec.notifications?.webhooks ?? []).entries()) {
      const target = targetDigest(webhook.url);
      const id = deliveryId(message, webhook.url);
      if (this.closed || delivered.has(target) || this.pending.has(id)) {
        result.skipped += 1;
        continue;
      }
      if (this.pending.size >= (this.options.maxPending ?? 1000)) {
        result.dropped += 1;
        this.options.logger.warn('webhook queue full, delivery dropped until the next notifyPending', {
          namespace,
          name,
          version: version.version,
          target,
        });
        continue;
      }
      const delivery: Delivery = {
        id,
        url: webhook.url,
        target,
        field: `spec.notifications.webhooks[${index}]`,
        regarding,
        namespace,
        secretRef: webhook.secretRef,
        versionSecret: versionSecretName(bundle, version.version),
        eventType: EVENT_TYPE,
        body,
        attempt: 0,
      };
      this.pending.set(id, delivery);
      this.ready.push(delivery);
      result.queued += 1;
    }
    this.pump();
    return result;
  }

  /**
   * Queues a notice about the bundle (a message of its own `type`, e.g. BundleVersionInUse) for
   * every webhook of the bundle, signed and retried like a version announcement. Its delivery is
   * not recorded: the caller sends each notice once (see UsageTracker), so a restart mid-delivery
   * may lose it, never send it twice with another id.
   */
  enqueueNotice(
    bundle: SecureConnectionBundle,
    message: { type: string; version: number },
    topic: string,
  ): number {
    const namespace = bundle.metadata.namespace ?? '';
    const body = JSON.stringify(message);
    const regarding = { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind };
    let queued = 0;
    for (const [index, webhook] of (bundle.spec.notifications?.webhooks ?? []).entries()) {
      const id = noticeId(bundle, message.version, topic, webhook.url);
      if (this.closed || this.pending.has(id) || this.pending.size >= (this.options.maxPending ?? 1000))
        continue;
      const delivery: Delivery = {
        id,
        url: webhook.url,
        target: targetDigest(webhook.url),
        field: `spec.notifications.webhooks[${index}]`,
        regarding,
        namespace,
        secretRef: webhook.secretRef,
        versionSecret: undefined,
        eventType: message.type,
        body,
        attempt: 0,
      };
      this.pending.set(id, delivery);
      this.ready.push(delivery);
      queued += 1;
    }
    this.pump();
    return queued;
  }

  /**
   * After a start (or as a periodic safety net): queues what the current version of each bundle
   * has not delivered yet, according to its version Secret. Bundles without webhooks or without a
   * published version cost nothing; others cost one Secret read.
   */
  async notifyPending(bundles: readonly SecureConnectionBundle[]): Promise<EnqueueResult> {
    const total: EnqueueResult = { queued: 0, skipped: 0, dropped: 0 };
    for (const bundle of bundles) {
      const current = bundle.status?.currentVersion;
      if (!current || (bundle.spec.notifications?.webhooks ?? []).length === 0) continue;
      const namespace = bundle.metadata.namespace ?? '';
      const secret = await this.options.kube.getSecret(namespace, versionSecretName(bundle, current));
      const record = readVersionRecord(secret?.metadata);
      if (!record) continue;
      const result = this.enqueue(bundle, record, readDelivered(secret?.metadata?.annotations));
      total.queued += result.queued;
      total.skipped += result.skipped;
      total.dropped += result.dropped;
    }
    return total;
  }

  /** Resolves once nothing is queued, waiting to retry or in flight (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops delivering and retrying until `resume` (leadership lost): whoever leads next finds what
   * was not delivered with notifyPending.
   */
  suspend(): void {
    this.closed = true;
    for (const handle of this.retryTimers.values()) this.options.timers.clearTimeout(handle);
    this.retryTimers.clear();
    this.ready.length = 0;
    for (const id of [...this.pending.keys()]) this.settle(id);
  }

  resume(): void {
    this.closed = false;
  }

  /** Stops for good; what was not delivered is found again by notifyPending after the restart. */
  close(): void {
    this.suspend();
    this.closeTransport();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private pump(): void {
    while (!this.closed && this.inFlight < (this.options.maxConcurrent ?? 8)) {
      const delivery = this.ready.shift();
      if (!delivery) return;
      this.inFlight += 1;
      void this.attempt(delivery).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.attempt += 1;
    const logFields = {
      namespace: delivery.namespace,
      target: delivery.target,
      deliveryId: delivery.id,
      attempt: delivery.attempt,
    };
    let failure: Failure;
    try {
      const key = await this.signingKey(delivery);
      // Suspended while reading the key: the next leader delivers it.
      if (this.closed) return;
      const status = await this.post(delivery, key);
      if (status >= 200 && status < 300) {
        this.options.logger.info('webhook delivered', { ...logFields, status });
        if (delivery.versionSecret !== undefined)
          await this.recordDelivered(delivery, delivery.versionSecret);
        this.settle(delivery.id);
        return;
      }
      failure = this.failure(delivery, `receiver answered HTTP ${status}`);
    } catch (error) {
      failure = this.failureOf(delivery, error);
    }
    if (this.closed) return;
    if (failure.final || delivery.attempt >= this.retry.maxAttempts) {
      this.options.logger.error('webhook delivery gave up', { ...logFields, failure: failure.log });
      this.tell(delivery, failure);
      this.settle(delivery.id);
      return;
    }
    if (failure.tellNow && delivery.attempt === 1) this.tell(delivery, failure);
    const delayMs = retryDelayMs(this.retry, delivery.attempt, this.random());
    this.options.logger.warn('webhook delivery failed, will retry', {
      ...logFields,
      failure: failure.log,
      retryInMs: delayMs,
    });
    const handle = this.options.timers.setTimeout(() => {
      this.retryTimers.delete(delivery.id);
      this.ready.push(delivery);
      this.pump();
    }, delayMs);
    this.retryTimers.set(delivery.id, handle);
  }

  /** A failure without an exception (a non-2xx answer): the status goes to the log only. */
  private failure(delivery: Delivery, log: string): Failure {
    return {
      reason: 'WebhookFailed',
      log,
      public: `${delivery.field}.url: no 2xx answer after ${delivery.attempt} attempt(s); see the operator log`,
      final: false,
      tellNow: false,
    };
  }

  private failureOf(delivery: Delivery, error: unknown): Failure {
    if (isOutboundRefusal(error)) {
      const detail = refusalDetail(error);
      return {
        reason: 'WebhookRefused',
        // The operator may see where it led; the bundle's owner may not.
        log: detail
          ? `refused by the outbound policy: ${detail.host} is ${detail.address} (${detail.range})`
          : 'refused by the outbound policy',
        public:
          `${delivery.field}.url was refused by the operator's outbound policy: it leads to a loopback, ` +
          'private, link-local or cluster-internal address. A platform admin can allow-list an in-cluster ' +
          'receiver with --outbound-allow (chart value outbound.allow)',
        final: true,
        tellNow: true,
      };
    }
    if (error instanceof WebhookKeyError) {
      return {
        reason: 'WebhookKeyInvalid',
        log: error.message,
        public: error.message,
        final: false,
        tellNow: true,
      };
    }
    return this.failure(delivery, classifyError(error).message);
  }

  private tell(delivery: Delivery, failure: Failure): void {
    this.options.events.record(delivery.regarding, 'Warning', failure.reason, failure.public);
  }

  private async signingKey(delivery: Delivery): Promise<SecretValue<Buffer>> {
    const { name, key } = delivery.secretRef;
    const secret = await this.options.kube.getSecret(delivery.namespace, name);
    const value = secret?.data?.[key];
    const source = {
      secret: `${delivery.namespace}/${name}`,
      key,
      field: `${delivery.field}.secretRef`,
    };
    if (value === undefined || value === '') {
      throw new WebhookKeyError(
        `key "${key}" of Secret ${source.secret} (${source.field}) does not exist: create it with 24 to 64 ` +
          `random bytes, e.g. kubectl create secret generic ${name} -n ${delivery.namespace} ` +
          `--from-literal=${key}="whsec_$(openssl rand -base64 32)"`,
      );
    }
    return secretValue(webhookKey(Buffer.from(value, 'base64'), source));
  }

  private async post(delivery: Delivery, key: SecretValue<Buffer>): Promise<number> {
    const controller = new AbortController();
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    const timer = this.options.timers.setTimeout(() => controller.abort(), timeoutMs);
    try {
      const timestamp = Math.floor(this.options.clock.now().getTime() / 1000);
      return await this.transport(delivery.url, {
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'scb-operator-webhook',
          [EVENT_HEADER]: delivery.eventType,
          [ID_HEADER]: delivery.id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: webhookSignature(key.reveal(), delivery.id, timestamp, delivery.body),
        },
        body: delivery.body,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`, { cause: error });
      throw error;
    } finally {
      this.options.timers.clearTimeout(timer);
    }
  }

  /**
   * Adds the target to the version Secret's record. Writes to one Secret are chained, so two
   * targets finishing together do not overwrite each other's entry; a failure here only means
   * the target may get the message again after a restart.
   */
  private recordDelivered(delivery: Delivery, versionSecret: string): Promise<void> {
    const key = `${delivery.namespace}/${versionSecret}`;
    const previous = this.recordChains.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const secret = await this.options.kube.getSecret(delivery.namespace, versionSecret);
        if (!secret) return;
        const delivered = readDelivered(secret.metadata?.annotations);
        if (delivered.has(delivery.target)) return;
        await this.options.kube.annotateSecret(delivery.namespace, versionSecret, {
          [WEBHOOKS_DELIVERED_ANNOTATION]: withDelivered(delivered, delivery.target),
        });
      } catch (error) {
        this.options.logger.warn(
          'could not record a webhook delivery; it may be sent again after a restart',
          {
            namespace: delivery.namespace,
            target: delivery.target,
            error: classifyError(error).message,
          },
        );
      }
    });
    this.recordChains.set(key, next);
    void next.then(() => {
      if (this.recordChains.get(key) === next) this.recordChains.delete(key);
    });
    return next;
  }

  private settle(id: string): void {
    this.pending.delete(id);
    if (this.pending.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
