import { createHash, createHmac } from 'node:crypto';
import { statusTime } from '../../controllers/status-time.js';

/**
 * The message every webhook receives for a new bundle version, and its signature in the Standard
 * Webhooks form (https://www.standardwebhooks.com), so receivers verify it with an existing
 * library and reject replays by the timestamp. Nothing here is secret: the message names the
 * version and its digest, never a key or a certificate.
 */
export const EVENT_TYPE = 'BundleVersionPublished';
export const EVENT_HEADER = 'X-SCB-Event';
/** Same for every attempt of one delivery: what a receiver deduplicates on. */
export const ID_HEADER = 'webhook-id';
/** Unix seconds of the attempt, covered by the signature. */
export const TIMESTAMP_HEADER = 'webhook-timestamp';
export const SIGNATURE_HEADER = 'webhook-signature';
/** The Standard Webhooks minimum for a signing key. */
export const MIN_KEY_BYTES = 24;
const SECRET_PREFIX = 'whsec_';

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

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`: the Standard Webhooks symmetric signature. */
export function webhookSignature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** A webhook key that cannot sign: the message names the Secret, the key and the fix, never the value. */
export class WebhookKeyError extends Error {
  override readonly name = 'WebhookKeyError';
}

/**
 * The signing key from the Secret value: the Standard Webhooks `whsec_<base64>` form, or the raw
 * bytes. `source` names the Secret key and the field for the error.
 */
export function webhookKey(value: Buffer, source: { secret: string; key: string; field: string }): Buffer {
  const text = value.toString('utf8').trim();
  const where = `key "${source.key}" of Secret ${source.secret} (${source.field})`;
  let key = value;
  if (text.startsWith(SECRET_PREFIX)) {
    const encoded = text.slice(SECRET_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
      throw new WebhookKeyError(`${where} starts with whsec_ but the rest is not base64`);
    }
    key = Buffer.from(encoded, 'base64');
  }
  if (key.length < MIN_KEY_BYTES) {
    throw new WebhookKeyError(
      `${where} is shorter than ${MIN_KEY_BYTES} bytes, the Standard Webhooks minimum: store 24 to 64 ` +
        `random bytes, e.g. whsec_$(openssl rand -base64 32)`,
    );
  }
  return key;
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
