/**
 * What consumers of a bundle see when the operator publishes a version: a signed webhook per
 * version, and each declared workload rolled exactly once per version — an operator restart
 * re-sends nothing delivered and restarts nobody.
 */
import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppsV1Api, EventsV1Api } from '@kubernetes/client-node';
import { Webhook } from 'standardwebhooks';
import { bundleVersionAnnotation } from '../../../src/distribution/rollouts/index.js';
import { createTestNamespace, kubeConfig } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  isReady,
  managedClusterSpec,
  patchObject,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(240_000);

interface Delivery {
  version: number;
  signed: boolean;
  id: string | undefined;
}

let operator: OperatorProcess | undefined;
let receiver: Server | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
});

/** A loopback receiver that verifies with the standardwebhooks library, as a consumer would. */
async function startReceiver(key: Buffer): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const verifier = new Webhook(key, { format: 'raw' });
  const verified = (body: Buffer, headers: Record<string, string>) => {
    try {
      verifier.verify(body, headers);
      return true;
    } catch {
      return false;
    }
  };
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      deliveries.push({
        version: (JSON.parse(body.toString('utf8')) as { version: number }).version,
        signed: verified(body, request.headers as Record<string, string>),
        id: request.headers['webhook-id'] as string | undefined,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/scb`, deliveries };
}

describe('operator: notifications and consumer rollouts', () => {
  it('signs a webhook and rolls the consumer once per version, and a restart repeats neither', async () => {
    const namespace = await createTestNamespace('op-notify');
    const key = Buffer.from('an HMAC key of reasonable length, 32+');
    const { url, deliveries } = await startReceiver(key);
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'hook' }, data: { hmac: key.toString('base64') } },
    });
    const apps = kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'orders-api' },
        spec: {
          selector: { matchLabels: { app: 'orders-api' } },
          template: {
            metadata: { labels: { app: 'orders-api' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/orders-api:1' }] },
          },
        },
      },
    });
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(namespace, 'app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      consumers: [{ kind: 'Deployment', name: 'orders-api' }],
      notifications: { webhooks: [{ url, secretRef: { name: 'hook', key: 'hmac' } }] },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 1 && isReady(b),
      'v1',
    );

    const annotation = bundleVersionAnnotation('app');
    const rolledTo = async () =>
      (await apps.readNamespacedDeployment({ namespace, name: 'orders-api' })).spec?.template.metadata
        ?.annotations?.[annotation];
    await waitFor(rolledTo, (value) => value === '1', 'the Deployment rolled to version 1');
    await waitFor(
      async () => deliveries,
      (list) => list.length === 1,
      'the webhook for version 1',
    );
    expect(deliveries[0]).toMatchObject({ version: 1, signed: true });

    await patchObject(namespace, 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '2' } },
    });
    await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => b.status?.currentVersion === 2,
      'v2',
    );
    // At most one rollout per workload per 30 s: version 2 may wait for its turn.
    await waitFor(rolledTo, (value) => value === '2', 'the Deployment rolled to version 2', 60_000);
    await waitFor(
      async () => deliveries,
      (list) => list.length === 2,
      'the webhook for version 2',
    );
    expect(deliveries.map((d) => [d.version, d.signed])).toEqual([
      [1, true],
      [2, true],
    ]);

    const before = (await apps.readNamespacedDeployment({ namespace, name: 'orders-api' })).metadata
      ?.resourceVersion;
    await stopOperator(operator);
    operator = await startTestOperator({ namespace });
    await operator.waitForLog(
      (line) => line.message === 'leading: reconciling',
      'the restarted operator leading',
    );
    // Every bundle is reconciled at start (the informer lists it); give that pass and the
    // resumed webhook deliveries a few seconds to do anything they wrongly would.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(
      (await apps.readNamespacedDeployment({ namespace, name: 'orders-api' })).metadata?.resourceVersion,
    ).toBe(before);
    expect(deliveries).toHaveLength(2);
  });

  it('refuses a webhook on an internal address (loopback) unless allow-listed, told by an Event that does not say what answered', async () => {
    const namespace = await createTestNamespace('op-notify-refused');
    const key = Buffer.from('an HMAC key of reasonable length, 32+');
    const { url, deliveries } = await startReceiver(key);
    let connections = 0;
    receiver?.on('connection', () => (connections += 1));
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'hook' }, data: { hmac: key.toString('base64') } },
    });
    operator = await startTestOperator({ namespace, outboundAllow: '' });
    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(namespace, 'app', {
      clusterRef: { name: 'orders' },
      platforms: ['nodejs'],
      notifications: { webhooks: [{ url, secretRef: { name: 'hook', key: 'hmac' } }] },
    });
    const events = kubeConfig().makeApiClient(EventsV1Api);
    const [refused] = await waitFor(
      async () =>
        (await events.listNamespacedEvent({ namespace })).items.filter(
          (event) => event.reason === 'WebhookRefused',
        ),
      (found) => found.length > 0,
      'the WebhookRefused Event',
    );
    expect(refused?.type).toBe('Warning');
    expect(refused?.regarding?.name).toBe('app');
    expect(refused?.note).toContain(
      "spec.notifications.webhooks[0].url was refused by the operator's outbound policy",
    );
    expect(refused?.note).not.toMatch(/127\.0\.0\.1|ECONN|HTTP|\(loopback\)/);
    expect(connections).toBe(0);
    expect(deliveries).toEqual([]);
    expect(isReady(await getBundle(namespace, 'app'))).toBe(true);
  });
});
