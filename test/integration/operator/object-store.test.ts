/**
 * The operator publishing to a real S3 server (versitygw): every version lands under its own key
 * with the exact bytes of its Secret, superseded versions move under archive/, and while the store
 * is down the Secret still updates, a condition says the store is behind, and it catches up in
 * order once the store is back, even when a new version is issued before the catch-up.
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
let proxy: http.Server | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  proxy?.close();
  proxy?.closeAllConnections();
  proxy = undefined;
  await store?.dispose();
  store = undefined;
});

/**
 * An HTTP proxy in front of the store that records, in order, the versions whose zip the store
 * accepted (PUT .../app/v<N>/secure-connect-app.zip answered 200; archive copies do not count). While the store is down it drops
 * the connection, as the store itself would refuse it.
 */
async function recordingProxy(upstream: string, stored: number[]): Promise<string> {
  const target = new URL(upstream);
  proxy = http.createServer((request, response) => {
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const zip = /\/app\/v(\d+)\/secure-connect-app\.zip(\?|$)/.exec(request.url ?? '');
        if (request.method === 'PUT' && zip && answer.statusCode === 200) stored.push(Number(zip[1]));
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('operator: the object-store target', () => {
  it('stores every version, archives superseded ones, and catches up in order after an outage', async () => {
    store = await startObjectStore();
    await store.createBucket('scb-bundles');
    const uploaded: number[] = [];
    const endpoint = await recordingProxy(store.endpoint, uploaded);
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
          endpoint,
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

    // Back up, and version 4 is issued before the 30 s retry: 2 and 3 must still land before it.
    await store.start();
    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '4' } },
    });
    const caughtUp = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) =>
        b.status?.currentVersion === 4 &&
        condition(b, 'ObjectStoreSynced')?.status === 'True' &&
        (b.status?.versions ?? []).every((entry) => entry.objectKey !== undefined),
      'the store caught up',
      120_000,
    );
    expect(uploaded).toEqual([1, 2, 3, 4]);
    expect(caughtUp.status?.versions?.map((v) => [v.version, v.state, v.objectKey])).toEqual([
      [4, 'Active', `prod/${namespace}/app/v4/secure-connect-app.zip`],
      [3, 'Deprecated', `prod/${namespace}/app/v3/secure-connect-app.zip`],
      [2, 'Archived', `prod/${namespace}/app/archive/v2/secure-connect-app.zip`],
      [1, 'Archived', `prod/${namespace}/app/archive/v1/secure-connect-app.zip`],
    ]);
    const latest = await store.client.send(
      new GetObjectCommand({ Bucket: 'scb-bundles', Key: `prod/${namespace}/app/latest.json` }),
    );
    expect(JSON.parse((await latest.Body?.transformToString()) ?? '{}')).toMatchObject({ version: 4 });
    for (const pruned of ['app-scb-v1', 'app-scb-v2']) {
      await waitFor(
        () => getSecret(namespace, pruned),
        (secret) => secret === undefined,
        `${pruned} Secret deleted`,
      );
    }
  });

  it('refuses a store on an internal address (loopback) unless allow-listed, and status does not say what answered', async () => {
    store = await startObjectStore();
    await store.createBucket('scb-bundles');
    const reached: number[] = [];
    const endpoint = await recordingProxy(store.endpoint, reached);
    let connections = 0;
    proxy?.on('connection', () => (connections += 1));
    const namespace = await createTestNamespace('op-s3-refused');
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 's3' },
        stringData: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      },
    });
    operator = await startTestOperator({ namespace, outboundAllow: '' });
    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(namespace, 'app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      target: {
        objectStore: {
          bucket: 'scb-bundles',
          endpoint,
          pathStyle: true,
          credentialsSecretRef: { name: 's3' },
        },
      },
    });
    const refused = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => condition(b, 'ObjectStoreSynced')?.reason === 'ObjectStoreEndpointRefused',
      'the store refused by the outbound policy',
    );
    // The Secret is published regardless; only the store is behind.
    expect(isReady(refused)).toBe(true);
    const message = condition(refused, 'ObjectStoreSynced')?.message ?? '';
    expect(message).toContain(
      "spec.target.objectStore.endpoint was refused by the operator's outbound policy",
    );
    expect(message).toContain('--outbound-allow (chart value outbound.allow)');
    expect(message).not.toMatch(/127\.0\.0\.1|ECONN|reset|HTTP|versitygw|(\(loopback\))/i);
    expect(connections).toBe(0);
    expect(reached).toEqual([]);
    // The operator's own log says where it led.
    const logged = await operator.waitForLog(
      // (the logger folds the logged `message` field into the line's message)
      (line) =>
        line.message.startsWith('object store is behind') && line.reason === 'ObjectStoreEndpointRefused',
      'the refusal in the operator log',
    );
    expect(logged.detail).toBe('127.0.0.1 is 127.0.0.1 (loopback)');
  });
});
