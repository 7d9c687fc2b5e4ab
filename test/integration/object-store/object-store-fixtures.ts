/** What the object-store integration tests share: real bundles, settings and a log capture. */
import { Writable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { OutboundGuard, parseOutboundPolicy } from '../../../src/distribution/outbound/index.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import type { ObjectStoreSettings, VersionUpload } from '../../../src/distribution/object-store/index.js';
import type { ObjectStoreServer } from '../../support/object-store.js';
import { build, createMaterial, type BundleMaterial } from '../../unit/bundle/bundle-fixtures.js';

export const bundleName = 'orders-api';
export const bundleNamespace = 'shop';

let material: BundleMaterial | undefined;

/** Version N of a real bundle (a zip with a private key inside) and its manifest.json. */
export async function bundleVersion(version: number): Promise<VersionUpload & { keyPem: string }> {
  material ??= await createMaterial();
  const built = await build(material, { name: bundleName, namespace: bundleNamespace, version });
  const manifest = built.files.find((file) => file.path === 'manifest.json');
  const key = built.files.find((file) => file.path === 'key');
  if (!manifest || !key) throw new Error('the bundle has no manifest.json or key');
  return { version, zip: built.zip, manifest: Buffer.from(manifest.content), keyPem: key.content.toString() };
}

export function settingsFor(
  server: ObjectStoreServer,
  bucket: string,
  overrides: Partial<ObjectStoreSettings> = {},
): ObjectStoreSettings {
  return {
    bucket,
    location: { prefix: 'prod/', namespace: bundleNamespace, name: bundleName },
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: async () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
    ...overrides,
  };
}

/** versitygw listens on loopback: the outbound policy must allow-list it, as an in-cluster store would be. */
export const loopbackStore = new OutboundGuard({ policy: parseOutboundPolicy(['127.0.0.0/8', '::1'], []) });

/** A logger whose JSON lines are kept, to check what reaches the log; `outbound` lets it reach versitygw. */
export function capturedLogger(): { logger: Logger; lines: string[]; outbound: OutboundGuard } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines, outbound: loopbackStore };
}

/** The object's bytes as the bucket holds them, or undefined when there is none. */
export async function objectBytes(
  server: ObjectStoreServer,
  bucket: string,
  key: string,
): Promise<Buffer | undefined> {
  try {
    const response = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export async function objectMetadata(server: ObjectStoreServer, bucket: string, key: string) {
  const head = await server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.Metadata ?? {};
}

export async function listKeys(server: ObjectStoreServer, bucket: string): Promise<string[]> {
  const listed = await server.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((entry) => entry.Key ?? '').sort();
}
