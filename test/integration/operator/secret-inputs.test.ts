/**
 * A bundle built from the tenant's own secrets: keystore passwords and CQL credentials read from
 * Secrets end up in the bundle's config.json, and nowhere in what the operator shows (its log
 * lines, the bundle's Events and status, /metrics). The run-wide leak scan covers every test; this
 * one makes sure these two inputs are exercised and checks them at the source.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { createTestNamespace, kubeConfig } from '../../support/kube.js';
import { findLeaks, secretNeedles } from '../../support/leak-scan.js';
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
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(180_000);

let operator: OperatorProcess | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const password = () => randomBytes(18).toString('base64url');

it('copies keystore passwords and CQL credentials from Secrets into the bundle, and shows them nowhere else', async () => {
  const namespace = await createTestNamespace('op-secret-inputs');
  operator = await startTestOperator({ namespace });
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, 'orders', managedClusterSpec());
  await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster ref Ready');

  const passwords: V1Secret = {
    metadata: { name: 'keystore-passwords', namespace },
    stringData: { keyStorePassword: password(), trustStorePassword: password(), pfxCertPassword: password() },
  };
  const login: V1Secret = {
    metadata: { name: 'orders-cql-login', namespace },
    stringData: { username: 'orders-app', password: password() },
  };
  for (const body of [passwords, login]) await core().createNamespacedSecret({ namespace, body });
  await createBundle(namespace, 'orders-app', {
    clusterRef: { name: 'orders' },
    keystores: { passwordSecretRef: { name: 'keystore-passwords' } },
    credentials: { secretRef: { name: 'orders-cql-login' } },
  });
  const bundle = await waitFor(() => getBundle(namespace, 'orders-app'), isReady, 'bundle Ready');

  const zip = secretFile(await getSecret(namespace, 'orders-app-scb'), 'secure-connect-orders-app.zip');
  const config = JSON.parse(
    readZip(zip, 'published zip')
      .find((entry) => entry.path === 'config.json')
      ?.content.toString('utf8') ?? '{}',
  ) as Record<string, unknown>;
  expect(config).toMatchObject({
    keyStorePassword: passwords.stringData?.['keyStorePassword'],
    trustStorePassword: passwords.stringData?.['trustStorePassword'],
    username: 'orders-app',
    password: login.stringData?.['password'],
  });

  const metricsPort = await operator.metricsPort();
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const events = await kubeConfig().makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  const asData = (secret: V1Secret): V1Secret => ({
    metadata: secret.metadata,
    data: Object.fromEntries(
      Object.entries(secret.stringData ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value).toString('base64'),
      ]),
    ),
  });
  const { needles } = secretNeedles([asData(passwords), asData(login)], [bundle]);
  // The three keystore passwords and the CQL password (not the user name) are searched for.
  expect(needles.map((needle) => needle.text)).toEqual(
    expect.arrayContaining([
      ...Object.values(passwords.stringData ?? {}),
      login.stringData?.['password'],
    ]) as unknown as string[],
  );
  expect(needles.map((needle) => needle.text)).not.toContain('orders-app');
  expect(events.items.length).toBeGreaterThan(0);
  expect(
    findLeaks(
      [
        { source: 'operator log', text: operator.logs.map((line) => JSON.stringify(line)).join('\n') },
        { source: 'operator stderr', text: operator.stderr() },
        { source: 'Events', text: JSON.stringify(events.items) },
        { source: 'status', text: JSON.stringify(bundle.status) },
        { source: '/metrics', text: metrics },
      ],
      needles,
    ),
  ).toEqual([]);
});
