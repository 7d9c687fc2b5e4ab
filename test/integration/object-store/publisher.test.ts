/**
 * The object-store target against a real S3 server (versitygw over a temp folder): versioned keys
 * with the exact bytes, a latest pointer that never goes back, archiving, a store that goes down
 * and catches up in order, and refusals that name the field to fix.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ObjectStorePublisher,
  parseLatestPointer,
  type PendingVersion,
  type VersionUpload,
} from '../../../src/distribution/object-store/index.js';
import { startObjectStore, type ObjectStoreServer } from '../../support/object-store.js';
import {
  bundleVersion,
  capturedLogger,
  listKeys,
  loopbackStore,
  objectBytes,
  settingsFor,
} from './object-store-fixtures.js';

const root = 'prod/shop/orders-api';
const zipKey = (version: number) => `${root}/v${version}/secure-connect-orders-api.zip`;
const manifestKey = (version: number) => `${root}/v${version}/manifest.json`;

let server: ObjectStoreServer;
const versions: VersionUpload[] = [];
let bucketCount = 0;

beforeAll(async () => {
  server = await startObjectStore();
  for (const version of [1, 2, 3, 4]) versions.push(await bundleVersion(version));
}, 120_000);

afterAll(async () => {
  await server?.dispose();
});

/** A fresh bucket per test, so tests do not see each other's objects. */
async function freshBucket(): Promise<string> {
  bucketCount += 1;
  const bucket = `scb-publisher-${bucketCount}`;
  await server.createBucket(bucket);
  return bucket;
}

const upload = (version: number): VersionUpload => {
  const found = versions[version - 1];
  if (!found) throw new Error(`no fixture for v${version}`);
  return found;
};

async function latestVersion(bucket: string): Promise<number | undefined> {
  const bytes = await objectBytes(server, bucket, `${root}/latest.json`);
  return bytes ? parseLatestPointer(bytes)?.version : undefined;
}

it('stores v1 and v2 byte for byte, points latest at v2, and archives v1 by moving it', async () => {
  const bucket = await freshBucket();
  const publisher = new ObjectStorePublisher(settingsFor(server, bucket), capturedLogger());

  expect(await publisher.publish(upload(1))).toMatchObject({
    state: 'stored',
    objectKey: zipKey(1),
    uploaded: true,
  });
  expect(await publisher.publish(upload(2))).toMatchObject({
    state: 'stored',
    objectKey: zipKey(2),
    latestVersion: 2,
  });

  expect(await objectBytes(server, bucket, zipKey(1))).toEqual(upload(1).zip);
  expect(await objectBytes(server, bucket, manifestKey(1))).toEqual(upload(1).manifest);
  expect(await objectBytes(server, bucket, zipKey(2))).toEqual(upload(2).zip);
  const latest = parseLatestPointer(
    (await objectBytes(server, bucket, `${root}/latest.json`)) ?? Buffer.alloc(0),
  );
  expect(latest).toEqual({
    version: 2,
    objectKey: zipKey(2),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
  });

  const archived = await publisher.archive(1);
  const archiveZip = `${root}/archive/v1/secure-connect-orders-api.zip`;
  expect(archived).toEqual({ state: 'archived', version: 1, objectKey: archiveZip });
  expect(await listKeys(server, bucket)).toEqual(
    [archiveZip, `${root}/archive/v1/manifest.json`, zipKey(2), manifestKey(2), `${root}/latest.json`].sort(),
  );
  expect(await objectBytes(server, bucket, archiveZip)).toEqual(upload(1).zip);
  // Archiving again (a retried reconcile) finds it done; a version never stored says so.
  expect(await publisher.archive(1)).toEqual(archived);
  expect(await publisher.archive(9)).toEqual({ state: 'notStored', version: 9 });
  publisher.close();
});

it('never moves latest back and never replaces a different object under a version', async () => {
  const bucket = await freshBucket();
  const publisher = new ObjectStorePublisher(settingsFor(server, bucket), capturedLogger());
  await publisher.publish(upload(3));

  // An older version arriving late (catch-up, a lagging replica) is stored, but latest stays.
  expect(await publisher.publish(upload(2))).toMatchObject({ state: 'stored', latestVersion: 3 });
  expect(await latestVersion(bucket)).toBe(3);

  // The same bytes again: nothing written; other bytes under v3: refused, object untouched.
  expect(await publisher.publish(upload(3))).toMatchObject({ state: 'stored', uploaded: false });
  const forged = { ...upload(4), version: 3 };
  const refused = await publisher.publish(forged);
  expect(refused).toMatchObject({
    state: 'behind',
    reason: 'ObjectStoreKeyConflict',
    field: 'spec.target.objectStore.prefix',
    retry: 'afterChange',
  });
  expect(refused.state === 'behind' && refused.message).toContain(`s3://${bucket}/${zipKey(3)}`);
  expect(await objectBytes(server, bucket, zipKey(3))).toEqual(upload(3).zip);

  // An object someone else put there (no checksum of ours) is not ours to replace either.
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: zipKey(4), Body: 'not a bundle' }));
  expect(await publisher.publish(upload(4))).toMatchObject({
    state: 'behind',
    reason: 'ObjectStoreKeyConflict',
  });
  expect(await latestVersion(bucket)).toBe(3);
  publisher.close();
});

it('reports "behind" while the store is down and catches up oldest first once it is back', async () => {
  const bucket = await freshBucket();
  const { logger } = capturedLogger();
  const publisher = new ObjectStorePublisher(settingsFor(server, bucket), {
    logger,
    outbound: loopbackStore,
  });
  await publisher.publish(upload(1));

  await server.stop();
  try {
    const down = await publisher.publish(upload(2));
    expect(down).toMatchObject({ state: 'behind', reason: 'ObjectStoreUnavailable', retry: 'backoff' });
    // Status says the store gave no usable answer, not how (refused, reset, timed out): tenants read it.
    expect(down.state === 'behind' && down.message).toMatch(
      /no usable answer.*spec\.target\.objectStore\.endpoint/,
    );
    expect(down.state === 'behind' && down.message).not.toMatch(/ECONN|refused|reset|HTTP \d/);
    expect(down.state === 'behind' && down.detail).toMatch(/ECONNREFUSED/);
  } finally {
    await server.start();
  }

  // Status lists v2..v4 without objectKey; they come in any order and are stored oldest first.
  const loaded: number[] = [];
  const pending = (numbers: number[]): PendingVersion[] =>
    numbers.map((version) => ({
      version,
      load: async () => {
        loaded.push(version);
        return upload(version);
      },
    }));
  const caughtUp = await publisher.catchUp(pending([4, 2, 3]));
  expect(caughtUp.state).toBe('current');
  expect(caughtUp.stored.map((stored) => [stored.version, stored.objectKey])).toEqual([
    [2, zipKey(2)],
    [3, zipKey(3)],
    [4, zipKey(4)],
  ]);
  expect(loaded).toEqual([2, 3, 4]);
  for (const version of [2, 3, 4])
    expect(await objectBytes(server, bucket, zipKey(version))).toEqual(upload(version).zip);
  expect(await latestVersion(bucket)).toBe(4);
  publisher.close();
});

it('stops a catch-up at the first failure, so no newer version is stored before an older one', async () => {
  const bucket = await freshBucket();
  const publisher = new ObjectStorePublisher(settingsFor(server, bucket), capturedLogger());
  const pending: PendingVersion[] = [1, 2, 3].map((version) => ({
    version,
    load: async () => {
      // The store goes down just before v2 is uploaded.
      if (version === 2) await server.stop();
      return upload(version);
    },
  }));
  let result;
  try {
    result = await publisher.catchUp(pending);
  } finally {
    await server.start();
  }
  expect(result).toMatchObject({ state: 'behind', reason: 'ObjectStoreUnavailable', pending: [2, 3] });
  expect(result.stored.map((stored) => stored.version)).toEqual([1]);
  expect(await listKeys(server, bucket)).toEqual([`${root}/latest.json`, manifestKey(1), zipKey(1)].sort());
  expect(await latestVersion(bucket)).toBe(1);
  publisher.close();
});

it('names the field to fix for a missing bucket or wrong credentials, and never logs a credential', async () => {
  const { logger, lines } = capturedLogger();
  const missing = new ObjectStorePublisher(settingsFor(server, 'no-such-bucket'), {
    logger,
    outbound: loopbackStore,
  });
  expect(await missing.publish(upload(1))).toMatchObject({
    state: 'behind',
    reason: 'ObjectStoreBucketNotFound',
    field: 'spec.target.objectStore.bucket',
  });
  expect(await missing.archive(1)).toMatchObject({ state: 'behind', reason: 'ObjectStoreBucketNotFound' });
  missing.close();

  const bucket = await freshBucket();
  const wrongSecret = 'wrong-secret-access-key-0123456789';
  const denied = new ObjectStorePublisher(
    settingsFor(server, bucket, {
      credentials: async () => ({ accessKeyId: server.accessKeyId, secretAccessKey: wrongSecret }),
    }),
    { logger, outbound: loopbackStore },
  );
  const result = await denied.publish(upload(1));
  expect(result).toMatchObject({
    state: 'behind',
    reason: 'ObjectStoreAccessDenied',
    field: 'spec.target.objectStore.credentialsSecretRef',
  });
  denied.close();
  const everything = JSON.stringify(result) + lines.join('');
  expect(everything).not.toContain(wrongSecret);
  expect(everything).not.toContain(server.secretAccessKey);
  expect(lines.join('')).toContain('ObjectStoreAccessDenied');
});

it('refuses a store on an internal (loopback) address unless the operator allow-lists it, without saying what answered', async () => {
  const bucket = await freshBucket();
  const { logger, lines } = capturedLogger();
  const guarded = new ObjectStorePublisher(settingsFor(server, bucket), { logger });
  const refused = await guarded.publish(upload(1));
  guarded.close();
  expect(refused).toMatchObject({
    state: 'behind',
    reason: 'ObjectStoreEndpointRefused',
    field: 'spec.target.objectStore.endpoint',
    retry: 'backoff',
  });
  const message = refused.state === 'behind' ? refused.message : '';
  expect(message).toContain("refused by the operator's outbound policy");
  expect(message).toContain('--outbound-allow (chart value outbound.allow)');
  // The endpoint's host is the tenant's own input; the resolved address (or anything that could
  // only come from the store) is not repeated.
  expect(message).not.toContain(server.endpoint);
  expect(message).not.toMatch(/127\.0\.0\.1|ECONN|HTTP/);
  // Nothing reached the store: the bucket stays empty. The operator log says where it led.
  expect(await listKeys(server, bucket)).toEqual([]);
  expect(lines.join('')).toContain('(loopback)');

  // Positive control: the same store, allow-listed, takes the version.
  const allowed = new ObjectStorePublisher(settingsFor(server, bucket), { logger, outbound: loopbackStore });
  expect(await allowed.publish(upload(1))).toMatchObject({ state: 'stored' });
  allowed.close();
});
