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
  verifyWebhookSignature,
  webhookSignature,
} from '../../../../src/distribution/notifications/webhook-message.js';

test('the signature is sha256=<hex HMAC-SHA256> of the body (RFC 4231 test case 2)', () => {
  expect(webhookSignature(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe(
    'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

test('a receiver accepts the exact body only, with the right key', () => {
  const key = Buffer.from('webhook key');
  const body = '{"type":"BundleVersionPublished","version":3}';
  const header = webhookSignature(key, body);
  expect(verifyWebhookSignature(key, body, header)).toBe(true);
  expect(verifyWebhookSignature(key, `${body} `, header)).toBe(false);
  expect(verifyWebhookSignature(Buffer.from('other key'), body, header)).toBe(false);
  expect(verifyWebhookSignature(key, body, header.replace('sha256=', ''))).toBe(false);
  expect(verifyWebhookSignature(key, body, undefined)).toBe(false);
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
