import { PassThrough } from 'node:stream';
import type { V1Secret } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import { WEBHOOKS_DELIVERED_ANNOTATION } from '../../../../src/distribution/notifications/delivery-record.js';
import type { EventRecorder } from '../../../../src/controllers/events.js';
import {
  WebhookNotifier,
  type WebhookKube,
} from '../../../../src/distribution/notifications/webhook-notifier.js';
import type { WebhookTransport } from '../../../../src/distribution/notifications/webhook-transport.js';
import { webhookSignature } from '../../../../src/distribution/notifications/webhook-message.js';
import { OutboundRefusedError } from '../../../../src/distribution/outbound/index.js';
import { createLogger } from '../../../../src/observability/logger.js';
import { ManualTime, settle } from '../../kube/manual-time.js';

const SECRET_URL = 'https://hooks.example/services/T01/B02/very-secret-path';
const OTHER_URL = 'https://other.example/hook';
const KEY = 'hmac key of the webhook, 24+ bytes';

interface RecordedEvent {
  regarding: string;
  type: string;
  reason: string;
  note: string;
}

function recordingEvents(): Pick<EventRecorder, 'record'> & { recorded: RecordedEvent[] } {
  const recorded: RecordedEvent[] = [];
  return {
    recorded,
    record: (regarding, type, reason, note) =>
      recorded.push({ regarding: `${regarding.kind} ${regarding.metadata?.name}`, type, reason, note }),
  };
}

/** Secrets in memory, with the apiserver's merge-patch behaviour for annotations. */
class InMemorySecrets implements WebhookKube {
  readonly secrets = new Map<string, V1Secret>();
  annotateCalls = 0;
  async getSecret(namespace: string, name: string) {
    const secret = this.secrets.get(`${namespace}/${name}`);
    return secret === undefined ? undefined : structuredClone(secret);
  }
  async annotateSecret(namespace: string, name: string, annotations: Record<string, string | null>) {
    this.annotateCalls += 1;
    const secret = this.secrets.get(`${namespace}/${name}`);
    if (!secret) throw Object.assign(new Error('not found'), { code: 404 });
    const merged: Record<string, string> = { ...secret.metadata?.annotations };
    for (const [key, value] of Object.entries(annotations)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    secret.metadata = { ...secret.metadata, annotations: merged };
  }
}

interface Post {
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

function setup(
  answers: (post: Post) => number | Promise<number>,
  options: { maxPending?: number; maxConcurrent?: number } = {},
) {
  const time = new ManualTime();
  const kube = new InMemorySecrets();
  kube.secrets.set('shop/orders-hook', { data: { key: Buffer.from(KEY).toString('base64') } });
  kube.secrets.set('shop/orders-scb-v3', { metadata: { name: 'orders-scb-v3', annotations: {} } });
  const posts: Post[] = [];
  const transport: WebhookTransport = async (url, request) => {
    const post = { url, headers: request.headers, body: request.body, at: time.now().getTime() };
    posts.push(post);
    return answers(post);
  };
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const events = recordingEvents();
  const notifier = new WebhookNotifier({
    kube,
    clock: time,
    timers: time,
    events,
    logger: createLogger({ destination: stream, clock: time }),
    random: () => 0.5,
    transport,
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
    requestTimeoutMs: 5000,
    ...options,
  });
  return { time, kube, posts, notifier, events: events.recorded, logs: () => logs };
}

function bundle(urls: string[] = [SECRET_URL]): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: {
      clusterRef: { name: 'main' },
      notifications: {
        webhooks: urls.map((url) => ({ url, secretRef: { name: 'orders-hook', key: 'key' } })),
      },
    },
  };
}

const v3 = { version: 3, bundleSHA256: 'a'.repeat(64), notAfter: new Date('2026-06-01T00:00:00Z') };

test('a delivery is signed in the Standard Webhooks form with the key from the Secret and recorded on the version Secret', async () => {
  const { kube, posts, notifier, time } = setup(() => 200);
  expect(notifier.enqueue(bundle(), v3)).toEqual({ queued: 1, skipped: 0, dropped: 0 });
  await notifier.idle();
  expect(posts).toHaveLength(1);
  const [post] = posts;
  const id = post?.headers['webhook-id'] ?? '';
  const timestamp = Math.floor(time.now().getTime() / 1000);
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(post?.headers['webhook-timestamp']).toBe(String(timestamp));
  expect(post?.headers['webhook-signature']).toBe(
    webhookSignature(Buffer.from(KEY), id, timestamp, post?.body ?? ''),
  );
  expect(post?.headers['X-SCB-Event']).toBe('BundleVersionPublished');
  // The pre-1.0 body-only signature is gone.
  expect(Object.keys(post?.headers ?? {})).not.toContain('X-SCB-Signature');
  expect(
    kube.secrets.get('shop/orders-scb-v3')?.metadata?.annotations?.[WEBHOOKS_DELIVERED_ANNOTATION],
  ).toMatch(/^[0-9a-f]{16}$/);
});

test('failures are retried after 1 s, 2 s, 4 s (equal jitter at 0.5: 750, 1500, 3000 ms) and then given up', async () => {
  const { time, posts, notifier, kube, events, logs } = setup(() => 502);
  const start = time.now().getTime();
  notifier.enqueue(bundle(), v3);
  await time.advance(60_000);
  expect(posts.map((post) => post.at - start)).toEqual([0, 750, 2250, 5250]);
  expect(notifier.pendingCount).toBe(0);
  expect(kube.annotateCalls).toBe(0);
  // Every attempt carries the same id and its own timestamp, so a receiver dedupes and rejects replays.
  expect(new Set(posts.map((post) => post.headers['webhook-id'])).size).toBe(1);
  expect(posts.map((post) => Number(post.headers['webhook-timestamp']) * 1000 - start)).toEqual([
    0, 0, 2000, 5000,
  ]);
  // The bundle's owner learns which webhook failed, not what answered; the operator log has the status.
  expect(events).toEqual([
    {
      regarding: 'SecureConnectionBundle orders',
      type: 'Warning',
      reason: 'WebhookFailed',
      note: 'spec.notifications.webhooks[0].url: no 2xx answer after 4 attempt(s); see the operator log',
    },
  ]);
  expect(logs()).toContain('receiver answered HTTP 502');
});

test('a URL the outbound policy refuses is not retried, and the Event names the field, not the address', async () => {
  const { time, posts, notifier, events, logs } = setup(() => {
    throw new OutboundRefusedError({
      host: 'hooks.example',
      address: '169.254.169.254',
      range: 'link-local',
    });
  });
  notifier.enqueue(bundle(), v3);
  await time.advance(60_000);
  expect(posts).toHaveLength(1);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ type: 'Warning', reason: 'WebhookRefused' });
  expect(events[0]?.note).toContain(
    "spec.notifications.webhooks[0].url was refused by the operator's outbound policy",
  );
  expect(events[0]?.note).toContain('--outbound-allow (chart value outbound.allow)');
  expect(events[0]?.note).not.toMatch(/169\.254|\(link-local\)|hooks\.example/);
  expect(logs()).toContain('169.254.169.254 (link-local)');
});

test('a key shorter than 24 bytes is told at once as WebhookKeyInvalid, never printed, and a fixed key is used on the next attempt', async () => {
  const { time, kube, posts, notifier, events, logs } = setup(() => 200);
  const shortKey = 'short-hmac-key';
  kube.secrets.set('shop/orders-hook', { data: { key: Buffer.from(shortKey).toString('base64') } });
  notifier.enqueue(bundle(), v3);
  await time.advance(500);
  expect(posts).toHaveLength(0);
  expect(events).toEqual([
    {
      regarding: 'SecureConnectionBundle orders',
      type: 'Warning',
      reason: 'WebhookKeyInvalid',
      note: expect.stringContaining(
        'key "key" of Secret shop/orders-hook (spec.notifications.webhooks[0].secretRef) is shorter than 24 bytes',
      ),
    },
  ]);
  kube.secrets.set('shop/orders-hook', { data: { key: Buffer.from(KEY).toString('base64') } });
  await time.advance(1000);
  await notifier.idle();
  expect(posts).toHaveLength(1);
  expect(events).toHaveLength(1);
  expect(logs() + JSON.stringify(events)).not.toContain(shortKey);
});

test('a hanging receiver is cut off after requestTimeoutMs and retried; enqueue never waits for it', async () => {
  let hang = true;
  const time = new ManualTime();
  const posts: number[] = [];
  const notifier = new WebhookNotifier({
    kube: setup(() => 200).kube,
    clock: time,
    timers: time,
    events: recordingEvents(),
    logger: createLogger({ destination: new PassThrough() }),
    random: () => 0.5,
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
    requestTimeoutMs: 5000,
    // Like fetch: a request that gets no answer rejects when its signal aborts.
    transport: (_url, request) => {
      posts.push(time.now().getTime());
      if (!hang) return Promise.resolve(200);
      return new Promise<number>((_resolve, reject) =>
        request.signal.addEventListener('abort', () => reject(new Error('This operation was aborted'))),
      );
    },
  });
  const start = time.now().getTime();
  expect(notifier.enqueue(bundle(), v3).queued).toBe(1);
  await time.advance(4999);
  expect(posts).toHaveLength(1);
  expect(notifier.pendingCount).toBe(1);
  hang = false;
  await time.advance(1 + 750);
  await notifier.idle();
  expect(posts.map((at) => at - start)).toEqual([0, 5750]);
});

test('the same version for the same target is queued once; a full queue drops and says so', async () => {
  const { notifier, logs } = setup(() => new Promise<number>(() => undefined), { maxPending: 2 });
  expect(notifier.enqueue(bundle([SECRET_URL, OTHER_URL]), v3)).toEqual({
    queued: 2,
    skipped: 0,
    dropped: 0,
  });
  expect(notifier.enqueue(bundle([SECRET_URL, OTHER_URL]), v3)).toEqual({
    queued: 0,
    skipped: 2,
    dropped: 0,
  });
  expect(notifier.enqueue(bundle(), { ...v3, version: 4 })).toEqual({ queued: 0, skipped: 0, dropped: 1 });
  await settle();
  expect(logs()).toContain('webhook queue full');
  notifier.close();
});

test('at most maxConcurrent requests are in flight; the rest wait their turn', async () => {
  const releases: Array<(status: number) => void> = [];
  const urls = ['https://a.example/h', 'https://b.example/h', 'https://c.example/h'];
  const { posts, notifier } = setup(() => new Promise<number>((resolve) => releases.push(resolve)), {
    maxConcurrent: 2,
  });
  notifier.enqueue(bundle(urls), v3);
  await settle();
  expect(posts.map((post) => post.url)).toEqual(urls.slice(0, 2));
  releases[0]?.(200);
  await settle();
  expect(posts.map((post) => post.url)).toEqual(urls);
  releases[1]?.(200);
  releases[2]?.(200);
  await notifier.idle();
});

test('a missing webhook key is retried like a failed request, and logs name the target by digest only', async () => {
  const { time, kube, posts, notifier, logs } = setup(() => 200);
  kube.secrets.delete('shop/orders-hook');
  notifier.enqueue(bundle(), v3);
  await time.advance(500);
  expect(posts).toHaveLength(0);
  expect(logs()).toContain(
    'key \\"key\\" of Secret shop/orders-hook (spec.notifications.webhooks[0].secretRef) does not exist',
  );
  kube.secrets.set('shop/orders-hook', { data: { key: Buffer.from(KEY).toString('base64') } });
  await time.advance(1000);
  await notifier.idle();
  expect(posts).toHaveLength(1);
  expect(logs()).not.toContain('very-secret-path');
  expect(logs()).not.toContain('hooks.example');
});

test('notifyPending skips targets the version Secret lists as delivered and bundles without webhooks', async () => {
  const first = setup(() => 200);
  first.notifier.enqueue(bundle([SECRET_URL]), v3);
  await first.notifier.idle();
  const delivered = first.kube.secrets.get('shop/orders-scb-v3')?.metadata?.annotations ?? {};

  const { kube, posts, notifier } = setup(() => 200);
  kube.secrets.set('shop/orders-scb-v3', {
    metadata: {
      name: 'orders-scb-v3',
      annotations: {
        ...delivered,
        'scb-operator.io/version': '3',
        'scb-operator.io/bundle-sha256': 'a'.repeat(64),
        'scb-operator.io/certificate-sha256': 'c'.repeat(64),
        'scb-operator.io/serial-number': '01',
        'scb-operator.io/not-before': '2026-01-01T00:00:00Z',
        'scb-operator.io/not-after': '2026-06-01T00:00:00Z',
        'scb-operator.io/created-at': '2026-01-01T00:00:00Z',
        'scb-operator.io/size': '100',
        'scb-operator.io/issuer-sha256': 'f'.repeat(64),
      },
    },
  });
  const published = { ...bundle([SECRET_URL, OTHER_URL]), status: { currentVersion: 3 } };
  const quiet = {
    ...bundle([]),
    metadata: { name: 'quiet', namespace: 'shop' },
    status: { currentVersion: 1 },
  };
  expect(await notifier.notifyPending([published, quiet])).toEqual({ queued: 1, skipped: 1, dropped: 0 });
  await notifier.idle();
  expect(posts.map((post) => post.url)).toEqual([OTHER_URL]);
  expect(JSON.parse(posts[0]?.body ?? '{}')).toMatchObject({ version: 3, notAfter: '2026-06-01T00:00:00Z' });
});

test('close cancels pending retries; nothing is sent afterwards', async () => {
  const { time, posts, notifier } = setup(() => 500);
  notifier.enqueue(bundle(), v3);
  await settle();
  expect(posts).toHaveLength(1);
  notifier.close();
  expect(time.pendingTimers()).toBe(0);
  await time.advance(60_000);
  expect(posts).toHaveLength(1);
});
