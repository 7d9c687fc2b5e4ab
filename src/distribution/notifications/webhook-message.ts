import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { statusTime } from '../../controllers/status-time.js';

/**
 * The message every webhook receives for a new bundle version, and its signature. Nothing here is
 * secret: the message names the version and its digest, never a key or a certificate.
 */
export const EVENT_TYPE = 'BundleVersionPublished';
export const SIGNATURE_HEADER = 'X-SCB-Signature';
export const DELIVERY_HEADER = 'X-SCB-Delivery';
export const EVENT_HEADER = 'X-SCB-Event';

/** What the operator knows about a version it has just published (a VersionRecord fits). */
export interface PublishedVersion {
  version: number;
  bundleSHA256: string;
  notBefore?: Date;
  notAfter: Date;
  createdAt?: Date;
}

export interface BundleVersionPublished {
  type: typeof EVENT_TYPE;
  namespace: string;
  name: string;
  version: number;
  bundleSHA256: string;
  notBefore?: string;
  notAfter: string;
  createdAt?: string;
  /** The Secret pods mount, which now holds this version. */
  secretName: string;
}

export function publishedMessage(
  bundle: { namespace: string; name: string; secretName: string },
  version: PublishedVersion,
): BundleVersionPublished {
  return {
    type: EVENT_TYPE,
    namespace: bundle.namespace,
    name: bundle.name,
    version: version.version,
    bundleSHA256: version.bundleSHA256,
    ...(version.notBefore ? { notBefore: statusTime(version.notBefore) } : {}),
    notAfter: statusTime(version.notAfter),
    ...(version.createdAt ? { createdAt: statusTime(version.createdAt) } : {}),
    secretName: bundle.secretName,
  };
}

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub signs its webhooks. */
export function webhookSignature(key: Buffer, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** What a receiver does: recompute over the raw body and compare in constant time. */
export function verifyWebhookSignature(
  key: Buffer,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(webhookSignature(key, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A short digest of a target URL: what logs and the delivery record name a target by, because a
 * webhook URL often carries its own secret in the path or query.
 */
export function targetDigest(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/**
 * The same id for every attempt and every restart of one version's delivery to one target, so a
 * receiver can drop duplicates (delivery is at least once).
 */
export function deliveryId(message: BundleVersionPublished, url: string): string {
  return createHash('sha256')
    .update(`${message.namespace}/${message.name}/${message.version}/${message.bundleSHA256}/${url}`)
    .digest('hex')
    .slice(0, 32);
}
