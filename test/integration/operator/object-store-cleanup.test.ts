/**
 * Deleting a bundle with an object store, on the real apiserver and a real versitygw: its objects
 * (versions, archive/, latest.json) leave the bucket before the bundle leaves the cluster, while
 * other bundles' objects in the same bucket and prefix, a bundle nested under its folder, and
 * objects it did not write stay byte for byte; Retain, or removing the store from the spec, keeps
 * its objects; a missing bucket does not hold it; a store outage at delete time holds the bundle
 * (finalizer, condition naming the cause, one Warning Event) until the store is back.
 */
import { jest } from '@jest/globals';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { EventsV1Api } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { OBJECT_STORE_FINALIZER } from '../../../src/controllers/bundle/object-store-cleanup.js';
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import { createTestNamespace, kubeConfig, kubeHttp, kubectl } from '../../support/kube.js';
import { startObjectStore, type ObjectStoreServer } from '../../support/object-store.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  condition,
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getClusterRef,
  isReady,
  managedClusterSpec,
  patchObject,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(300_000);

const BUCKET = 'scb-bundles';
let operator: OperatorProcess | undefined;
let store: ObjectStoreServer;
let namespace: string;
const kube = () => new KubeObjects(kubeHttp());

beforeAll(async () => {
  store = await startObjectStore();
  await store.createBucket(BUCKET);
  namespace = await createTestNamespace('op-s3-delete');
  await core().createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 's3' },
      stringData: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
    },
  });
  operator = await startTestOperator({ namespace });
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, 'orders', managedClusterSpec());
  await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
});

afterAll(async () => {
  await stopOperator(operator);
  await store?.dispose();
});

/** Every key under `prefix` with its ETag: what "untouched" is compared on. */
async function objects(prefix: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await store.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    for (const entry of page.Contents ?? []) if (entry.Key) found[entry.Key] = entry.ETag ?? '';
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

async function createStoredBundle(
  name: string,
  objectStore: Record<string, unknown>,
): Promise<SecureConnectionBundle> {
  await createBundle(namespace, name, {
    clusterRef: { name: 'orders' },
    platforms: ['nodejs'],
    revisionHistoryLimit: 0,
    target: {
      objectStore: {
        bucket: BUCKET,
        endpoint: store.endpoint,
        pathStyle: true,
        credentialsSecretRef: { name: 's3' },
        ...objectStore,
      },
    },
  });
  return waitForStored(name, 1);
}

function waitForStored(name: string, version: number): Promise<SecureConnectionBundle> {
  return waitFor(
    () => kube().getBundle(namespace, name) as Promise<SecureConnectionBundle>,
    (b) =>
      b?.status?.currentVersion === version &&
      condition(b, 'ObjectStoreSynced')?.status === 'True' &&
      (b.status?.versions ?? []).every((entry) => entry.objectKey?.includes(`/v${entry.version}/`)),
    `${name} version ${version} stored`,
    120_000,
  );
}

async function rotate(name: string, version: number): Promise<void> {
  await patchObject(namespace, 'secureconnectionbundles', name, {
    metadata: { annotations: { 'scb-operator.io/rotate': String(version) } },
  });
  await waitForStored(name, version);
}

async function deleteBundle(name: string): Promise<void> {
  await kubectl(['delete', 'secureconnectionbundle', name, '-n', namespace, '--wait=false']);
}

function waitGone(name: string, timeoutMs = 120_000) {
  return waitFor(
    () => kube().getBundle(namespace, name),
    (b) => b === undefined,
    `${name} gone`,
    timeoutMs,
  );
}

async function bundleEvents(name: string, reason: string) {
  const events = kubeConfig().makeApiClient(EventsV1Api);
  return (await events.listNamespacedEvent({ namespace })).items.filter(
    (event) => event.reason === reason && event.regarding?.name === name,
  );
}

async function put(key: string, metadata: Record<string, string>): Promise<void> {
  await store.client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'not this bundle’s', Metadata: metadata }),
  );
}

describe('operator: deleting a bundle with an object store', () => {
  it("deletes the bundle's versions, archive and latest.json, and nothing else in the bucket", async () => {
    const root = `shared/${namespace}/app/`;
    const app = await createStoredBundle('app', { prefix: 'shared' });
    expect(app.metadata.finalizers).toContain(OBJECT_STORE_FINALIZER);
    await rotate('app', 2); // version 1 moves under archive/
    // Same bucket and prefix; and one nested under app's own folder by its prefix.
    await createStoredBundle('neighbour', { prefix: 'shared' });
    await createStoredBundle('nested', { prefix: `shared/${namespace}/app` });
    // Not app's: a hand-made file, and an object at one of app's key shapes written by another
    // bundle (what a bundle named "archive" in a namespace named "app" would write there).
    await put(`${root}notes.txt`, {});
    await put(`${root}v9/manifest.json`, { 'scb-bundle': 'app/archive', 'scb-version': '9' });

    const appKeys = [
      `${root}latest.json`,
      `${root}v2/secure-connect-app.zip`,
      `${root}v2/manifest.json`,
      `${root}archive/v1/secure-connect-app.zip`,
      `${root}archive/v1/manifest.json`,
    ];
    const before = await objects('shared/');
    expect(Object.keys(before)).toEqual(expect.arrayContaining(appKeys));
    const others = Object.fromEntries(Object.entries(before).filter(([key]) => !appKeys.includes(key)));
    expect(Object.keys(others)).toEqual(
      expect.arrayContaining([
        `shared/${namespace}/neighbour/latest.json`,
        `shared/${namespace}/neighbour/v1/secure-connect-neighbour.zip`,
        `${root}${namespace}/nested/latest.json`,
        `${root}${namespace}/nested/v1/secure-connect-nested.zip`,
        `${root}notes.txt`,
        `${root}v9/manifest.json`,
      ]),
    );

    await deleteBundle('app');
    await waitGone('app');
    expect(await objects('shared/')).toEqual(others);
    // Left: the nested bundle's three objects, the hand-made file and the other bundle's manifest.
    const cleaned = await waitFor(
      () => bundleEvents('app', 'ObjectStoreCleaned'),
      (found) => found.length === 1,
      'the ObjectStoreCleaned Event',
    );
    expect(cleaned[0]?.note).toBe(
      `deleted 5 object(s) of this bundle from bucket ${BUCKET}; left 5 object(s) under its prefix that are not its own`,
    );
  });

  it('keeps the objects with retainPolicy Retain, or once the store leaves the spec; the finalizer goes', async () => {
    const kept = await createStoredBundle('kept', { prefix: 'retained', retainPolicy: 'Retain' });
    expect(kept.metadata.finalizers ?? []).not.toContain(OBJECT_STORE_FINALIZER);
    const later = await createStoredBundle('later', { prefix: 'retained' });
    expect(later.metadata.finalizers).toContain(OBJECT_STORE_FINALIZER);
    await patchObject(namespace, 'secureconnectionbundles', 'later', {
      spec: { target: { objectStore: { retainPolicy: 'Retain' } } },
    });
    await waitFor(
      () => kube().getBundle(namespace, 'later'),
      (b) => !(b?.metadata.finalizers ?? []).includes(OBJECT_STORE_FINALIZER),
      'the finalizer removed once Retain is set',
    );
    const dropped = await createStoredBundle('dropped', { prefix: 'retained' });
    expect(dropped.metadata.finalizers).toContain(OBJECT_STORE_FINALIZER);
    await patchObject(namespace, 'secureconnectionbundles', 'dropped', {
      spec: { target: { objectStore: null } },
    });
    await waitFor(
      () => kube().getBundle(namespace, 'dropped'),
      (b) => !(b?.metadata.finalizers ?? []).includes(OBJECT_STORE_FINALIZER),
      'the finalizer removed once the store leaves the spec',
    );
    const before = await objects('retained/');
    expect(Object.keys(before)).toHaveLength(9); // latest.json, zip and manifest of each
    for (const name of ['kept', 'later', 'dropped']) await deleteBundle(name);
    for (const name of ['kept', 'later', 'dropped']) await waitGone(name);
    expect(await objects('retained/')).toEqual(before);
  });

  it('lets a bundle go whose bucket does not exist: it holds nothing of the bundle', async () => {
    await createBundle(namespace, 'nobucket', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      target: {
        objectStore: {
          bucket: 'scb-missing',
          endpoint: store.endpoint,
          pathStyle: true,
          credentialsSecretRef: { name: 's3' },
        },
      },
    });
    const behind = await waitFor(
      () => kube().getBundle(namespace, 'nobucket'),
      (b) => condition(b ?? {}, 'ObjectStoreSynced')?.reason === 'ObjectStoreBucketNotFound',
      'nobucket: the bucket is missing',
    );
    expect(behind?.metadata.finalizers).toContain(OBJECT_STORE_FINALIZER);
    await deleteBundle('nobucket');
    await waitGone('nobucket');
  });

  it('holds a deleted bundle while its store is down, says why, and finishes once the store is back', async () => {
    await createStoredBundle('outage', { prefix: 'outage' });
    expect(Object.keys(await objects('outage/'))).toHaveLength(3);
    await store.stop();
    try {
      await deleteBundle('outage');
      const held = await waitFor(
        () => kube().getBundle(namespace, 'outage'),
        (b) => condition(b ?? {}, 'ObjectStoreSynced')?.reason === 'ObjectStoreUnavailable',
        'the cleanup failure in status',
      );
      expect(held?.metadata.deletionTimestamp).toBeDefined();
      expect(held?.metadata.finalizers).toContain(OBJECT_STORE_FINALIZER);
      expect(condition(held ?? {}, 'ObjectStoreSynced')?.message).toMatch(
        /still in bucket scb-bundles: .*spec\.target\.objectStore\.endpoint.*set spec\.target\.objectStore\.retainPolicy: Retain/,
      );
      // Retried with backoff: three failed attempts, still held, and the Event said it once.
      const attempts = () =>
        (operator?.logs ?? []).filter(
          (line) =>
            line.message === 'reconcile failed' &&
            JSON.stringify(line).includes(`still in bucket ${BUCKET}: LIST s3://${BUCKET}/outage/`),
        );
      await waitFor(
        async () => attempts().length,
        (count) => count >= 3,
        'three failed attempts',
      );
      expect((await kube().getBundle(namespace, 'outage'))?.metadata.finalizers).toContain(
        OBJECT_STORE_FINALIZER,
      );
      const warnings = await bundleEvents('outage', 'ObjectStoreCleanupFailed');
      expect(warnings.map((event) => [event.type, event.note])).toEqual([
        ['Warning', condition(held ?? {}, 'ObjectStoreSynced')?.message],
      ]);
    } finally {
      await store.start();
    }
    // Backoff is capped at 5 minutes; after a 5 s outage the next retry is due well within that.
    await waitGone('outage', 240_000);
    expect(await objects('outage/')).toEqual({});
  });
});
