/**
 * The operator publishing to a real S3 server (versitygw): every version lands under its own key
 * with the exact bytes of its Secret, superseded versions move under archive/, and while the store
 * is down the Secret still updates, a condition says the store is behind, and it catches up in
 * order once the store is back.
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createTestNamespace } from '../../support/kube.js';
import { startObjectStore, type ObjectStoreServer } from '../../support/object-store.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  condition,
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  patchObject,
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(240_000);

let operator: OperatorProcess | undefined;
let store: ObjectStoreServer | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  await store?.dispose();
  store = undefined;
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('operator: the object-store target', () => {
  it('stores every version, archives superseded ones, and catches up in order after an outage', async () => {
    store = await startObjectStore();
    await store.createBucket('scb-bundles');
    const namespace = await createTestNamespace('op-s3');
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
    await createBundle(namespace, 'app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      revisionHistoryLimit: 1,
      target: {
        objectStore: {
          bucket: 'scb-bundles',
          prefix: 'prod',
          endpoint: store.endpoint,
          pathStyle: true,
          credentialsSecretRef: { name: 's3' },
        },
      },
    });
    const v1 = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.versions?.[0]?.objectKey !== undefined && isReady(b),
      'version 1 stored',
    );
    expect(v1.status?.versions?.[0]?.objectKey).toBe(`prod/${namespace}/app/v1/secure-connect-app.zip`);
    expect(condition(v1, 'ObjectStoreSynced')?.status).toBe('True');
    const object = await store.client.send(
      new GetObjectCommand({ Bucket: 'scb-bundles', Key: v1.status?.versions?.[0]?.objectKey }),
    );
    const stored = await object.Body?.transformToByteArray();
    expect(sha256(stored ?? new Uint8Array())).toBe(v1.status?.versions?.[0]?.bundleSHA256);

    // The store goes down: version 2 still reaches the Secret, and status says the store is behind.
    await store.stop();
    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '2' } },
    });
    const v2 = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 2 && condition(b, 'ObjectStoreSynced')?.status === 'False',
      'version 2 published while the store is down',
    );
    expect(condition(v2, 'ObjectStoreSynced')?.reason).toBe('ObjectStoreUnavailable');
    expect(isReady(v2)).toBe(true);
    expect(sha256(secretFile(await getSecret(namespace, 'app-scb'), 'secure-connect-app.zip'))).toBe(
      v2.status?.versions?.[0]?.bundleSHA256,
    );
    // Version 3 too: the pruned version 1 keeps its Secret until the store can archive it.
    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '3' } },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 3,
      'version 3',
    );

    await store.start();
    const caughtUp = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) =>
        condition(b, 'ObjectStoreSynced')?.status === 'True' &&
        (b.status?.versions ?? []).every((entry) => entry.objectKey !== undefined),
      'the store caught up',
      120_000,
    );
    expect(caughtUp.status?.versions?.map((v) => [v.version, v.state, v.objectKey])).toEqual([
      [3, 'Active', `prod/${namespace}/app/v3/secure-connect-app.zip`],
      [2, 'Deprecated', `prod/${namespace}/app/v2/secure-connect-app.zip`],
      [1, 'Archived', `prod/${namespace}/app/archive/v1/secure-connect-app.zip`],
    ]);
    const latest = await store.client.send(
      new GetObjectCommand({ Bucket: 'scb-bundles', Key: `prod/${namespace}/app/latest.json` }),
    );
    expect(JSON.parse((await latest.Body?.transformToString()) ?? '{}')).toMatchObject({ version: 3 });
    await waitFor(
      () => getSecret(namespace, 'app-scb-v1'),
      (secret) => secret === undefined,
      'v1 Secret deleted',
    );
  });
});
