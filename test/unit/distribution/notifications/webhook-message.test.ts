import {
  readDelivered,
  withDelivered,
  WEBHOOKS_DELIVERED_ANNOTATION,
} from '../../../../src/distribution/notifications/delivery-record.js';
import {
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
} from '../../../../src/distribution/notifications/retry-schedule.js';
import {
  deliveryId,
  publishedMessage,
  targetDigest,
  WebhookKeyError,
  webhookKey,
  webhookSignature,
} from '../../../../src/distribution/notifications/webhook-message.js';

// The example of the Standard Webhooks specification (a 24-byte key, the minimum).
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const source = { secret: 'shop/orders-hook', key: 'key', field: 'spec.notifications.webhooks[0].secretRef' };

test('the signature is v1,<base64 HMAC-SHA256 of id.timestamp.body>, as in the Standard Webhooks example', () => {
  const key = webhookKey(Buffer.from(SPEC_SECRET), source);
  expect(webhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  );
});

test('the signature covers the id and the timestamp, not only the body', () => {
  const key = Buffer.alloc(32, 7);
  const signed = webhookSignature(key, 'id-1', 1_700_000_000, '{}');
  expect(webhookSignature(key, 'id-2', 1_700_000_000, '{}')).not.toBe(signed);
  expect(webhookSignature(key, 'id-1', 1_700_000_001, '{}')).not.toBe(signed);
  expect(webhookSignature(key, 'id-1', 1_700_000_000, '{ }')).not.toBe(signed);
});

test('a key is the whsec_ base64 form or raw bytes, at least 24 of them; errors name the Secret, never the value', () => {
  expect(webhookKey(Buffer.from(`${SPEC_SECRET}\n`), source)).toHaveLength(24);
  expect(webhookKey(Buffer.alloc(24, 1), source)).toEqual(Buffer.alloc(24, 1));
  const short = 'whsec_' + Buffer.alloc(23, 1).toString('base64');
  for (const value of [short, 'twenty-three bytes long', 'whsec_not base64!']) {
    expect(() => webhookKey(Buffer.from(value), source)).toThrow(WebhookKeyError);
    expect(() => webhookKey(Buffer.from(value), source)).toThrow(
      'key "key" of Secret shop/orders-hook (spec.notifications.webhooks[0].secretRef)',
    );
    try {
      webhookKey(Buffer.from(value), source);
    } catch (error) {
      expect((error as Error).message).not.toContain(value);
    }
  }
});

test('the message names the version and its digest in whole-second times, and nothing secret', () => {
  const message = publishedMessage(
    { namespace: 'shop', name: 'orders', secretName: 'orders-scb' },
    {
      version: 3,
      bundleSHA256: 'a'.repeat(64),
      notBefore: new Date('2026-01-01T00:00:00.250Z'),
      notAfter: new Date('2026-04-01T00:00:00.900Z'),
    },
  );
  expect(message).toEqual({
    type: 'BundleVersionPublished',
    namespace: 'shop',
    name: 'orders',
    version: 3,
    bundleSHA256: 'a'.repeat(64),
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2026-04-01T00:00:00Z',
    secretName: 'orders-scb',
  });
});

test('delivery ids are stable per version and target, and differ otherwise', () => {
  const base = { namespace: 'shop', name: 'orders', secretName: 'orders-scb' };
  const v3 = publishedMessage(base, { version: 3, bundleSHA256: 'a'.repeat(64), notAfter: new Date(0) });
  const v4 = publishedMessage(base, { version: 4, bundleSHA256: 'b'.repeat(64), notAfter: new Date(0) });
  expect(deliveryId(v3, 'https://a.example/hook')).toBe(deliveryId({ ...v3 }, 'https://a.example/hook'));
  expect(deliveryId(v3, 'https://a.example/hook')).not.toBe(deliveryId(v4, 'https://a.example/hook'));
  expect(deliveryId(v3, 'https://a.example/hook')).not.toBe(deliveryId(v3, 'https://b.example/hook'));
});

test('the delivery record lists target digests, never URLs, and ignores anything else', () => {
  const url = 'https://hooks.example/services/T000/B000/secret-path-token';
  const digest = targetDigest(url);
  expect(digest).toMatch(/^[0-9a-f]{16}$/);
  const value = withDelivered(
    readDelivered({ [WEBHOOKS_DELIVERED_ANNOTATION]: `zzz,${'0'.repeat(16)}` }),
    digest,
  );
  expect(value).toBe([digest, '0'.repeat(16)].sort().join(','));
  expect(value).not.toContain('secret-path-token');
  expect(readDelivered(undefined).size).toBe(0);
});

test('retry delays double from the base, stay within [half, whole] of the step, and stop at the cap', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 10_000 };
  expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt, 0))).toEqual([
    500, 1000, 2000, 4000, 5000,
  ]);
  expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt, 0.999999))).toEqual([
    1000, 2000, 4000, 8000, 10_000,
  ]);
  expect(retryDelayMs(DEFAULT_RETRY_POLICY, 30, 0.5)).toBe(225_000);
});
