/**
 * Client-side encryption against a real S3 server: the bucket holds no zip and no key, the right
 * KEK gives back the exact bytes, a wrong KEK or an altered object is refused, and the by-hand
 * recipe of docs/object-store.md decrypts what the operator wrote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  decryptObject,
  KeyEncryptionKey,
  objectContext,
  OBJECT_METADATA,
  ObjectStorePublisher,
  parseKeyEncryptionKey,
  type VersionUpload,
} from '../../../src/distribution/object-store/index.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { startObjectStore, type ObjectStoreServer } from '../../support/object-store.js';
import {
  bundleName,
  bundleNamespace,
  bundleVersion,
  capturedLogger,
  objectBytes,
  objectMetadata,
  settingsFor,
} from './object-store-fixtures.js';

const root = 'prod/shop/orders-api';
const zipKey = (version: number, folder = '') => `${root}/${folder}v${version}/secure-connect-orders-api.zip`;
const location = { namespace: bundleNamespace, name: bundleName };

let server: ObjectStoreServer;
let v1: VersionUpload & { keyPem: string };
let v2: VersionUpload & { keyPem: string };
const kekBase64 = randomBytes(32).toString('base64');
// As the operator reads it from the Secret: base64 text with the newline `openssl rand` prints.
const kek = parseKeyEncryptionKey(Buffer.from(`${kekBase64}\n`), 'test KEK', 'kek');
const bucket = 'scb-encrypted';
const logs = capturedLogger();
let publisher: ObjectStorePublisher;

beforeAll(async () => {
  server = await startObjectStore();
  await server.createBucket(bucket);
  [v1, v2] = [await bundleVersion(1), await bundleVersion(2)];
  publisher = new ObjectStorePublisher(settingsFor(server, bucket, { encryptionKey: kek }), logs);
  expect(await publisher.publish(v1)).toMatchObject({ state: 'stored', objectKey: zipKey(1) });
}, 120_000);

afterAll(async () => {
  publisher?.close();
  await server?.dispose();
});

it('stores neither the zip nor any PEM key in the bucket, and names the KEK by id only', async () => {
  const stored = (await objectBytes(server, bucket, zipKey(1))) ?? Buffer.alloc(0);
  const manifest = (await objectBytes(server, bucket, `${root}/v1/manifest.json`)) ?? Buffer.alloc(0);
  expect(stored.length).toBeGreaterThan(v1.zip.length);
  for (const object of [stored, manifest]) {
    expect(object.subarray(0, 6).toString()).toBe('SCBENC');
    // No zip local header or central directory, no PEM armour, no key body, no identity.
    expect(object.includes('PK\x03\x04')).toBe(false);
    expect(object.includes('PK\x01\x02')).toBe(false);
    expect(object.includes('-----BEGIN')).toBe(false);
    expect(object.includes(v1.keyPem.split('\n')[1] ?? 'missing')).toBe(false);
    expect(object.includes('"schemaVersion"')).toBe(false);
  }
  expect(await objectMetadata(server, bucket, zipKey(1))).toMatchObject({
    [OBJECT_METADATA.encryption]: 'SCBENC-1',
    [OBJECT_METADATA.keyId]: kek.id,
  });
  // The KEK reaches neither the object metadata nor the log; only its id does.
  const kekHex = Buffer.from(kekBase64, 'base64').toString('hex');
  const seen = JSON.stringify(await objectMetadata(server, bucket, zipKey(1))) + logs.lines.join('');
  expect(seen).not.toContain(kekBase64);
  expect(seen).not.toContain(kekHex);
  expect(JSON.stringify({ kek })).toBe(`{"kek":{"id":"${kek.id}"}}`);
});

it('gives back the exact zip and manifest with the right KEK, also once archived', async () => {
  const stored = (await objectBytes(server, bucket, zipKey(1))) ?? Buffer.alloc(0);
  const opened = decryptObject(stored, [kek], objectContext(location, 1, 'secure-connect-orders-api.zip'));
  expect(opened.plaintext).toEqual(v1.zip);
  expect(opened.keyId).toBe(kek.id);
  const manifest = (await objectBytes(server, bucket, `${root}/v1/manifest.json`)) ?? Buffer.alloc(0);
  expect(decryptObject(manifest, [kek], objectContext(location, 1, 'manifest.json')).plaintext).toEqual(
    v1.manifest,
  );

  // Re-publishing the same version is recognised through the plaintext checksum: nothing rewritten.
  expect(await publisher.publish(v1)).toMatchObject({ state: 'stored', uploaded: false });
  expect(await objectBytes(server, bucket, zipKey(1))).toEqual(stored);

  await publisher.publish(v2);
  expect(await publisher.archive(1)).toMatchObject({ state: 'archived', objectKey: zipKey(1, 'archive/') });
  const archived = (await objectBytes(server, bucket, zipKey(1, 'archive/'))) ?? Buffer.alloc(0);
  expect(
    decryptObject(archived, [kek], objectContext(location, 1, 'secure-connect-orders-api.zip')).plaintext,
  ).toEqual(v1.zip);
});

it('refuses a wrong KEK, a tampered object, and one version put in place of another', async () => {
  const stored = (await objectBytes(server, bucket, zipKey(2))) ?? Buffer.alloc(0);
  const context = objectContext(location, 2, 'secure-connect-orders-api.zip');
  const other = new KeyEncryptionKey(randomBytes(32));
  expect(() => decryptObject(stored, [other], context)).toThrow(
    expect.objectContaining({ reason: 'EncryptionKeyMismatch', message: expect.stringContaining(kek.id) }),
  );

  // Someone with write access to the bucket flips one ciphertext byte.
  const tampered = Buffer.from(stored);
  tampered[tampered.length - 100] = (tampered[tampered.length - 100] ?? 0) ^ 0x01;
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: zipKey(2), Body: tampered }));
  const fetched = (await objectBytes(server, bucket, zipKey(2))) ?? Buffer.alloc(0);
  expect(() => decryptObject(fetched, [kek], context)).toThrow(
    expect.objectContaining({ reason: 'EncryptedObjectTampered' }),
  );

  // ... or copies the archived v1 over v2: it decrypts, but it is not v2.
  const v1Object = (await objectBytes(server, bucket, zipKey(1, 'archive/'))) ?? Buffer.alloc(0);
  expect(() => decryptObject(v1Object, [kek], context)).toThrow(
    expect.objectContaining({ reason: 'EncryptedObjectMisplaced' }),
  );
});

it('keeps old versions readable after a key rotation, with the old and new KEK side by side', async () => {
  const rotatedBucket = 'scb-encrypted-rotation';
  await server.createBucket(rotatedBucket);
  const newKek = new KeyEncryptionKey(randomBytes(32));
  const before = new ObjectStorePublisher(settingsFor(server, rotatedBucket, { encryptionKey: kek }), logs);
  const after = new ObjectStorePublisher(settingsFor(server, rotatedBucket, { encryptionKey: newKek }), logs);
  await before.publish(v1);
  await after.publish(v2);
  before.close();
  after.close();
  const keyring = [newKek, kek];
  for (const [version, upload] of [
    [1, v1],
    [2, v2],
  ] as const) {
    const stored = (await objectBytes(server, rotatedBucket, zipKey(version))) ?? Buffer.alloc(0);
    const opened = decryptObject(
      stored,
      keyring,
      objectContext(location, version, 'secure-connect-orders-api.zip'),
    );
    expect(opened.plaintext).toEqual(upload.zip);
    expect(opened.keyId).toBe(version === 1 ? kek.id : newKek.id);
  }
});

it('decrypts with the by-hand recipe of docs/object-store.md, and the recipe refuses a wrong KEK', async () => {
  const doc = readFileSync(path.join(repositoryRoot, 'docs/object-store.md'), 'utf8');
  const recipe = /<!-- decrypt-by-hand:start -->\s*```js\n([\s\S]*?)```\s*<!-- decrypt-by-hand:end -->/.exec(
    doc,
  )?.[1];
  expect(recipe).toBeDefined();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-decrypt-by-hand-'));
  try {
    const script = path.join(dir, 'decrypt-scb-object.mjs');
    writeFileSync(script, recipe ?? '');
    const object = path.join(dir, 'object');
    writeFileSync(object, (await objectBytes(server, bucket, zipKey(1, 'archive/'))) ?? Buffer.alloc(0));
    writeFileSync(path.join(dir, 'kek.b64'), `${kekBase64}\n`);
    const zip = execFileSync(process.execPath, [script, path.join(dir, 'kek.b64'), object]);
    expect(zip).toEqual(v1.zip);

    writeFileSync(path.join(dir, 'wrong.bin'), randomBytes(32));
    const wrong = spawnSync(process.execPath, [script, path.join(dir, 'wrong.bin'), object]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout.length).toBe(0);
    // The documented way to compute a key id by hand gives the id the operator records.
    const id = execFileSync(
      'bash',
      ['-c', `base64 -d ${path.join(dir, 'kek.b64')} | sha256sum | cut -c1-16`],
      {
        encoding: 'utf8',
      },
    );
    expect(id.trim()).toBe(kek.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
