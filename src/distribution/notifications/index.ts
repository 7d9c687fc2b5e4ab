/**
 * Webhook notifications for new bundle versions: a JSON message signed in the Standard Webhooks form, retried with backoff in
 * the background, recorded on the version Secret once delivered. See docs/distribution.md.
 */
export {
  WebhookNotifier,
  type EnqueueResult,
  type WebhookKube,
  type WebhookNotifierOptions,
} from './webhook-notifier.js';
export { guardedTransport, type WebhookTransport } from './webhook-transport.js';
export {
  EVENT_HEADER,
  EVENT_TYPE,
  ID_HEADER,
  MIN_KEY_BYTES,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WebhookKeyError,
  webhookKey,
  webhookSignature,
  type BundleVersionPublished,
  type PublishedVersion,
} from './webhook-message.js';
export { WEBHOOKS_DELIVERED_ANNOTATION, readDelivered } from './delivery-record.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-schedule.js';
