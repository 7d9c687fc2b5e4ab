/**
 * Usage tracking and safe deprecation with the real operator: pods created through the API (no
 * kubelet here, so they stay Pending, which counts as in use) that mount the published Secret and
 * a pinned -vN Secret show up as workloads in status.usage; a download through the download API
 * shows who and when; a version Secret a pod mounts is not pruned (status and an Event say so),
 * and is pruned once that pod is gone; a deprecated version still in use raises a Warning Event
 * and a signed webhook naming the workload to roll.
 */
import { jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppsV1Api, EventsV1Api, type V1Pod } from '@kubernetes/client-node';
import { Webhook } from 'standardwebhooks';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { createTestNamespace, kubeConfig } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
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
  downloadApiServing,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';
import { grantDownload, httpsCall, serviceAccountToken } from '../distribution/distribution-support.js';

jest.setTimeout(240_000);

let operator: OperatorProcess | undefined;
let receiver: Server | undefined;
let tlsDir: string | undefined;

afterEach(async () => {
  try {
    await stopOperator(operator);
  } finally {
    operator = undefined;
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    receiver = undefined;
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  }
});

interface Received {
  type: string;
  body: Record<string, unknown>;
  signed: boolean;
}

async function startReceiver(key: Buffer): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const verifier = new Webhook(key, { format: 'raw' });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let signed = true;
      try {
        verifier.verify(body, request.headers as Record<string, string>);
      } catch {
        signed = false;
      }
      received.push({
        type: String(request.headers['x-scb-event']),
        body: JSON.parse(body.toString('utf8')) as Record<string, unknown>,
        signed,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/scb`, received };
}

/** A pod as its controller would make it (owned, never scheduled: no kubelet in this test). */
function podMounting(
  name: string,
  secretName: string,
  owner: { apiVersion: string; kind: string; name: string; uid: string },
  labels: Record<string, string> = {},
): V1Pod {
  return {
    metadata: {
      name,
      labels,
      ownerReferences: [{ ...owner, controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.invalid/app:1',
          volumeMounts: [{ name: 'bundle', mountPath: '/etc/scb', readOnly: true }],
        },
      ],
      volumes: [{ name: 'bundle', secret: { secretName } }],
    },
  };
}

const usageOf = (bundle: SecureConnectionBundle, version: number) =>
  bundle.status?.usage?.versions?.find((entry) => entry.version === version);
const workloadsOf = (bundle: SecureConnectionBundle, version: number) =>
  (usageOf(bundle, version)?.workloads ?? []).map(
    (w) => `${w.kind}/${w.name}:${w.pods}:${w.secretNames?.join('+')}`,
  );

describe('operator: usage tracking and safe deprecation', () => {
  it('shows workloads and downloads per version, keeps a mounted version Secret, warns, and prunes once unmounted', async () => {
    const namespace = await createTestNamespace('op-usage');
    const key = Buffer.from('an HMAC key of reasonable length, 32+');
    const { url, received } = await startReceiver(key);
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'hook' }, data: { hmac: key.toString('base64') } },
    });
    const serving = await downloadApiServing('usage test CA');
    tlsDir = serving.dir;
    operator = await startTestOperator({ namespace, extraArgs: serving.args });
    const started = await operator.waitForLog((line) => line.message === 'operator started', 'start-up');

    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(namespace, 'app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      // Superseded versions are pruned at once: only pods can keep one.
      revisionHistoryLimit: 0,
      notifications: { webhooks: [{ url, secretRef: { name: 'hook', key: 'hmac' } }] },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 1 && isReady(b),
      'v1',
    );

    // Two workloads: a Deployment's pod (through its ReplicaSet) mounting the published Secret,
    // and a StatefulSet's pod pinned to app-scb-v1. Their controllers are real objects; with no
    // controller-manager running, they make no pods of their own.
    const apps = kubeConfig().makeApiClient(AppsV1Api);
    const template = (app: string) => ({
      metadata: { labels: { app } },
      spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
    });
    const replicaSet = await apps.createNamespacedReplicaSet({
      namespace,
      body: {
        metadata: { name: 'orders-api-5d8f9c' },
        spec: { selector: { matchLabels: { app: 'orders-api' } }, template: template('orders-api') },
      },
    });
    const statefulSet = await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'legacy' },
        spec: {
          serviceName: 'legacy',
          selector: { matchLabels: { app: 'legacy' } },
          template: template('legacy'),
        },
      },
    });
    const rsOwner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'orders-api-5d8f9c',
      uid: replicaSet.metadata?.uid ?? '',
    };
    const stsOwner = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'legacy',
      uid: statefulSet.metadata?.uid ?? '',
    };
    for (const suffix of ['x7k2p', 'q9w3e']) {
      await core().createNamespacedPod({
        namespace,
        body: podMounting(`orders-api-5d8f9c-${suffix}`, 'app-scb', rsOwner, {
          'pod-template-hash': '5d8f9c',
        }),
      });
    }
    await core().createNamespacedPod({ namespace, body: podMounting('legacy-0', 'app-scb-v1', stsOwner) });
    // A pod reading an unrelated Secret is nobody's usage.
    await core().createNamespacedPod({ namespace, body: podMounting('other-0', 'unrelated', stsOwner) });

    const withUsage = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => workloadsOf(b, 1).length === 2,
      'both workloads in status.usage',
    );
    expect(usageOf(withUsage, 1)).toMatchObject({ version: 1, pods: 3, workloadCount: 2 });
    expect(workloadsOf(withUsage, 1)).toEqual([
      'Deployment/orders-api:2:app-scb',
      'StatefulSet/legacy:1:app-scb-v1',
    ]);

    // One download through the API, by a ServiceAccount allowed to.
    const reader = (await serviceAccountToken(namespace, 'reader')).token;
    await grantDownload(namespace, 'reader');
    const download = await httpsCall(
      `https://127.0.0.1:${Number(started.downloadPort)}/v1/namespaces/${namespace}/bundles/app`,
      { ca: serving.caPem, token: reader },
    );
    expect(download.status).toBe(200);
    const downloaded = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => (b.status?.usage?.downloads ?? []).length > 0,
      'the download in status.usage.downloads',
    );
    expect(downloaded.status?.usage?.downloads).toEqual([
      {
        version: 1,
        count: 1,
        recent: [
          {
            identity: `system:serviceaccount:${namespace}:reader`,
            time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            via: 'Token',
          },
        ],
      },
    ]);
    // The workloads written by the leader and the downloads by the replica that served them
    // live side by side.
    expect(workloadsOf(downloaded, 1)).toHaveLength(2);

    // Version 2: the limit of 0 would prune v1 at once, but legacy-0 mounts app-scb-v1.
    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '2' } },
    });
    const retained = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) =>
        b.status?.currentVersion === 2 && workloadsOf(b, 2).length === 1 && workloadsOf(b, 1).length === 1,
      'v2, with the Deployment on v2 and the StatefulSet still on v1',
    );
    const v1 = retained.status?.versions?.find((entry) => entry.version === 1);
    expect(v1).toMatchObject({
      state: 'Deprecated',
      secretName: 'app-scb-v1',
      retainedBy: ['StatefulSet/legacy'],
    });
    expect(await getSecret(namespace, 'app-scb-v1')).toBeDefined();
    expect(workloadsOf(retained, 2)).toEqual(['Deployment/orders-api:2:app-scb']);
    expect(workloadsOf(retained, 1)).toEqual(['StatefulSet/legacy:1:app-scb-v1']);

    const events = kubeConfig().makeApiClient(EventsV1Api);
    const warnings = await waitFor(
      async () =>
        (await events.listNamespacedEvent({ namespace })).items.filter((event) =>
          ['DeprecatedVersionInUse', 'VersionRetained'].includes(event.reason ?? ''),
        ),
      (found) => found.length === 2,
      'the DeprecatedVersionInUse and VersionRetained Events',
    );
    const byReason = Object.fromEntries(warnings.map((event) => [event.reason, event]));
    expect(byReason['DeprecatedVersionInUse']).toMatchObject({
      type: 'Warning',
      note: 'version 1 is Deprecated (superseded by version 2) and is still used by StatefulSet/legacy (1 pod): roll them to version 2',
    });
    expect(byReason['VersionRetained']).toMatchObject({
      type: 'Warning',
      note: 'version 1 is past spec.revisionHistoryLimit (0) but Secret app-scb-v1 is kept: running pods of StatefulSet/legacy mount it; it is pruned once no pod does',
    });

    const notice = await waitFor(
      async () => received.filter((message) => message.type === 'BundleVersionInUse'),
      (found) => found.length > 0,
      'the BundleVersionInUse webhook',
    );
    expect(notice).toHaveLength(1);
    expect(notice[0]?.signed).toBe(true);
    expect(notice[0]?.body).toMatchObject({
      type: 'BundleVersionInUse',
      condition: 'Deprecated',
      namespace,
      name: 'app',
      version: 1,
      state: 'Deprecated',
      currentVersion: 2,
      workloads: [{ kind: 'StatefulSet', name: 'legacy', pods: 1 }],
      workloadCount: 1,
    });

    // The pinned pod goes: v1 is pruned (Secret deleted, Archived) and its usage disappears.
    await core().deleteNamespacedPod({ namespace, name: 'legacy-0', gracePeriodSeconds: 0 });
    const pruned = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.versions?.find((entry) => entry.version === 1)?.state === 'Archived',
      'v1 archived once no pod mounts it',
    );
    expect(pruned.status?.versions?.find((entry) => entry.version === 1)?.retainedBy).toBeUndefined();
    await waitFor(
      () => getSecret(namespace, 'app-scb-v1'),
      (secret) => secret === undefined,
      'app-scb-v1 deleted',
    );
    const settled = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => usageOf(b, 1) === undefined,
      'no usage left on v1',
    );
    expect(workloadsOf(settled, 2)).toEqual(['Deployment/orders-api:2:app-scb']);
    // Each notice went out once.
    expect(received.filter((message) => message.type === 'BundleVersionInUse')).toHaveLength(1);
  });
});
