import { S3Client } from '@aws-sdk/client-s3';
import type { OutboundGuard } from '../outbound/index.js';
import type { ObjectStoreSettings } from './store-settings.js';

/**
 * One S3 client for the settings, connecting only where the outbound guard allows. The operator
 * retries with its own backoff and records "behind" in status, so the SDK gives up early (two
 * attempts, short timeouts) instead of holding a reconcile worker while the store is down.
 */
export function createS3Client(settings: ObjectStoreSettings, outbound: OutboundGuard): S3Client {
  // Fresh agents per client: destroying the client destroys them.
  const { httpAgent, httpsAgent } = outbound.agents({ keepAlive: true, maxSockets: 50 });
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    maxAttempts: 2,
    requestHandler: { httpAgent, httpsAgent, connectionTimeout: 3_000, requestTimeout: 15_000 },
    // Stores other than AWS (Ceph RGW, GCS interop, older gateways) reject the SDK's default
    // CRC32 trailers; we send Content-MD5 instead, which every S3 API checks.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
