/**
 * Webhook notifications for new bundle versions: a signed JSON message, retried with backoff in
 * the background, recorded on the version Secret once delivered. See docs/distribution.md.
 */
export {
  WebhookNotifier,
  type EnqueueResult,
  type WebhookKube,
  type WebhookNotifierOptions,
  type WebhookTransport,
} from './webhook-notifier.js';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  EVENT_TYPE,
  SIGNATURE_HEADER,
  verifyWebhookSignature,
  webhookSignature,
  type BundleVersionPublished,
  type PublishedVersion,
} from './webhook-message.js';
export { WEBHOOKS_DELIVERED_ANNOTATION, readDelivered } from './delivery-record.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-schedule.js';
