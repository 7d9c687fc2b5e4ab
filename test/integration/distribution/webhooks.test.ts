/**
 * Webhooks against real HTTP receivers on loopback and the real apiserver: the receiver verifies
 * each request with the standardwebhooks library (an independent Standard Webhooks
 * implementation) and rejects a replayed or tampered one, a receiver failing twice gets the message on the third attempt with
 * the same delivery id, a slow receiver holds up neither the caller nor other receivers, and what
 * was delivered is recorded on the (immutable) version Secret so a restarted notifier does not
 * resend it, while what was not delivered is sent after the restart.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Webhook } from 'standardwebhooks';
import type { EventRecorder } from '../../../src/controllers/events.js';
import {
  WEBHOOKS_DELIVERED_ANNOTATION,
  WebhookNotifier,
  readDelivered,
  type WebhookNotifierOptions,
} from '../../../src/distribution/notifications/index.js';
import { OutboundGuard, parseOutboundPolicy } from '../../../src/distribution/outbound/index.js';
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import { systemClock } from '../../../src/time/clock.js';
import { systemTimers } from '../../../src/time/timers.js';
import { createTestNamespace, kubeConfig, kubeHttp } from '../../support/kube.js';
import { getSecret } from '../../support/operator-fixtures.js';
import { capturedLogger } from './distribution-support.js';
import { createPublishedBundle } from './published-bundle.js';

jest.setTimeout(120_000);

/** A key in the Standard Webhooks form, as a receiver's library takes it. */
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** The receivers listen on loopback, which the operator refuses unless allow-listed. */
const loopback = new OutboundGuard({ policy: parseOutboundPolicy(['127.0.0.0/8'], []) });

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A loopback receiver; `answer` decides each response (status, or a delay first). */
async function startReceiver(answer: (index: number) => { status: number; delayMs?: number }) {
  const received: Received[] = [];
  let answering = 0;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      const { status, delayMs = 0 } = answer(received.length);
      answering += 1;
      setTimeout(() => {
        answering -= 1;
        response.writeHead(status).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answering: () => answering,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a receiver does: verify with a Standard Webhooks library; throws what it rejects. */
function verify(body: Buffer | string, headers: IncomingMessage['headers']): unknown {
  return new Webhook(WEBHOOK_SECRET).verify(body, headers as Record<string, string>);
}

function signatureValid(received: Received): boolean {
  try {
    verify(received.body, received.headers);
    return true;
  } catch {
    return false;
  }
}

const recordedEvents: Array<{ reason: string; note: string }> = [];
const events: Pick<EventRecorder, 'record'> = {
  record: (_regarding, _type, reason, note) => recordedEvents.push({ reason, note }),
};

let namespace: string;
const kube = new KubeObjects(kubeHttp());
const receivers: Array<{ close(): Promise<void> }> = [];
const notifiers: WebhookNotifier[] = [];

function notifier(overrides: Partial<WebhookNotifierOptions> = {}): WebhookNotifier {
  const created = new WebhookNotifier({
    kube,
    clock: systemClock,
    timers: systemTimers,
    events,
    outbound: loopback,
    logger: capturedLogger().logger,
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 },
    ...overrides,
  });
  notifiers.push(created);
  return created;
}

beforeAll(async () => {
  namespace = await createTestNamespace('webhooks');
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'orders-webhook' }, stringData: { 'hmac-key': WEBHOOK_SECRET } },
    });
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'short-webhook' }, stringData: { 'hmac-key': 'sixteen byte key' } },
    });
});

afterAll(async () => {
  for (const created of notifiers) created.close();
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

async function bundleWithWebhooks(name: string, urls: string[], secret = 'orders-webhook') {
  return createPublishedBundle(namespace, name, {
    versions: 1,
    spec: {
      notifications: {
        webhooks: urls.map((url) => ({ url, secretRef: { name: secret, key: 'hmac-key' } })),
      },
    },
  });
}

test('the receiver gets a signed BundleVersionPublished message and the delivery is recorded on the immutable version Secret', async () => {
  const receiver = await startReceiver(() => ({ status: 204 }));
  receivers.push(receiver);
  const { bundle, records } = await bundleWithWebhooks('orders', [receiver.url]);
  const record = records.get(1)!;
  const sender = notifier();

  expect(sender.enqueue(bundle, record)).toEqual({ queued: 1, skipped: 0, dropped: 0 });
  await sender.idle();

  expect(receiver.received).toHaveLength(1);
  const [message] = receiver.received;
  expect(signatureValid(message!)).toBe(true);
  expect(message!.headers['webhook-id']).toMatch(/^[0-9a-f]{32}$/);
  expect(message!.headers['x-scb-signature']).toBeUndefined();
  expect(JSON.parse(message!.body.toString('utf8'))).toEqual({
    type: 'BundleVersionPublished',
    namespace,
    name: 'orders',
    version: 1,
    bundleSHA256: record.bundleSHA256,
    notBefore: expect.any(String),
    notAfter: new Date(Math.floor(record.notAfter.getTime() / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z'),
    createdAt: expect.any(String),
    secretName: 'orders-scb',
  });
  // No key, certificate or password travels in the message.
  expect(message!.body.toString('utf8')).not.toMatch(/BEGIN|PRIVATE|password/i);

  const versionSecret = await getSecret(namespace, 'orders-scb-v1');
  expect(versionSecret?.immutable).toBe(true);
  expect(readDelivered(versionSecret?.metadata?.annotations).size).toBe(1);
  // The apiserver allowed that metadata change on an immutable Secret, and still refuses data changes.
  await expect(
    kubeConfig()
      .makeApiClient(CoreV1Api)
      .patchNamespacedSecret(
        { namespace, name: 'orders-scb-v1', body: { data: { extra: 'eA==' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
  ).rejects.toMatchObject({ code: 422, body: expect.stringContaining('immutable') });

  // A restarted operator asks what is pending: nothing, so nothing is sent again.
  const afterRestart = notifier();
  expect(await afterRestart.notifyPending([bundle])).toEqual({ queued: 0, skipped: 1, dropped: 0 });
  await afterRestart.idle();
  expect(receiver.received).toHaveLength(1);
});

test('a receiver failing twice gets the message on the third attempt, with the same delivery id each time', async () => {
  const receiver = await startReceiver((index) => ({ status: index <= 2 ? 500 : 200 }));
  receivers.push(receiver);
  const { bundle, records } = await bundleWithWebhooks('payments', [receiver.url]);
  const sender = notifier();
  sender.enqueue(bundle, records.get(1)!);
  await sender.idle();

  expect(receiver.received).toHaveLength(3);
  expect(receiver.received.every(signatureValid)).toBe(true);
  expect(new Set(receiver.received.map((message) => message.headers['webhook-id'])).size).toBe(1);
  const versionSecret = await getSecret(namespace, 'payments-scb-v1');
  expect(versionSecret?.metadata?.annotations?.[WEBHOOKS_DELIVERED_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
});

test('a slow receiver blocks neither enqueue nor the other receivers', async () => {
  const slow = await startReceiver(() => ({ status: 200, delayMs: 3000 }));
  const fast = await startReceiver(() => ({ status: 200 }));
  receivers.push(slow, fast);
  const { bundle, records } = await bundleWithWebhooks('inventory', [slow.url, fast.url]);
  const sender = notifier({ requestTimeoutMs: 10_000 });

  // enqueue is synchronous: it returns before any request is even sent.
  const result = sender.enqueue(bundle, records.get(1)!);
  expect(result.queued).toBe(2);
  expect(slow.received).toHaveLength(0);

  const deadline = Date.now() + 10_000;
  while (fast.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(fast.received).toHaveLength(1);
  // The fast receiver was served while the slow one still held its request open.
  expect(slow.answering()).toBe(1);
  await sender.idle();
  expect(slow.received).toHaveLength(1);
  expect(readDelivered((await getSecret(namespace, 'inventory-scb-v1'))?.metadata?.annotations).size).toBe(2);
});

test('a version not delivered before a restart is sent by notifyPending afterwards', async () => {
  const receiver = await startReceiver(() => ({ status: 503 }));
  receivers.push(receiver);
  const { bundle, records } = await bundleWithWebhooks('shipping', [receiver.url]);
  const giveUp = notifier({ retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 100 } });
  giveUp.enqueue(bundle, records.get(1)!);
  await giveUp.idle();
  expect(receiver.received).toHaveLength(2);
  expect(
    (await getSecret(namespace, 'shipping-scb-v1'))?.metadata?.annotations?.[WEBHOOKS_DELIVERED_ANNOTATION],
  ).toBeUndefined();

  const working = await startReceiver(() => ({ status: 200 }));
  receivers.push(working);
  // The same target after the restart: its URL changed only because the test needs a new port.
  const restarted = notifier();
  const moved = {
    ...bundle,
    spec: {
      ...bundle.spec,
      notifications: {
        webhooks: [{ url: working.url, secretRef: { name: 'orders-webhook', key: 'hmac-key' } }],
      },
    },
  };
  expect(await restarted.notifyPending([moved])).toEqual({ queued: 1, skipped: 0, dropped: 0 });
  await restarted.idle();
  expect(working.received).toHaveLength(1);
  expect(signatureValid(working.received[0]!)).toBe(true);
});

test('a receiver rejects a replayed or tampered message: the signature covers id, timestamp and body', async () => {
  const receiver = await startReceiver(() => ({ status: 204 }));
  receivers.push(receiver);
  const { bundle, records } = await bundleWithWebhooks('replays', [receiver.url]);
  const sender = notifier();
  sender.enqueue(bundle, records.get(1)!);
  await sender.idle();
  const [message] = receiver.received;
  const { body, headers } = message!;
  // Positive control: the message as sent verifies.
  expect(verify(body, headers)).toMatchObject({ type: 'BundleVersionPublished', name: 'replays' });

  const tampered = Buffer.from(body.toString('utf8').replace('"version":1', '"version":2'));
  expect(() => verify(tampered, headers)).toThrow('No matching signature found');
  const oldStamp = String(Number(headers['webhook-timestamp']) - 60);
  expect(() => verify(body, { ...headers, 'webhook-timestamp': oldStamp })).toThrow(
    'No matching signature found',
  );
  expect(() => verify(body, { ...headers, 'webhook-id': 'another-id' })).toThrow(
    'No matching signature found',
  );
  // The same request replayed six minutes later is outside the library's five-minute window.
  const sentAt = Number(headers['webhook-timestamp']) * 1000;
  const clock = jest.spyOn(Date, 'now').mockReturnValue(sentAt + 6 * 60_000);
  try {
    expect(() => verify(body, headers)).toThrow('Message timestamp too old');
  } finally {
    clock.mockRestore();
  }
});

test('a key shorter than 24 bytes sends nothing and tells the bundle owner which Secret and key, never the key', async () => {
  const receiver = await startReceiver(() => ({ status: 204 }));
  receivers.push(receiver);
  const { bundle, records } = await bundleWithWebhooks('short-key', [receiver.url], 'short-webhook');
  const sender = notifier({ retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 100 } });
  const before = recordedEvents.length;
  sender.enqueue(bundle, records.get(1)!);
  await sender.idle();
  expect(receiver.received).toHaveLength(0);
  const told = recordedEvents.slice(before);
  expect(told.map((event) => event.reason)).toEqual(['WebhookKeyInvalid', 'WebhookKeyInvalid']);
  expect(told[0]?.note).toContain(
    `key "hmac-key" of Secret ${namespace}/short-webhook (spec.notifications.webhooks[0].secretRef) is shorter than 24 bytes`,
  );
  expect(JSON.stringify(told)).not.toContain('sixteen byte key');
});
