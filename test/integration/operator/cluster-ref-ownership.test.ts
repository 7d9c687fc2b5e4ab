/**
 * What a CassandraClusterRef writes is its own: the trust bundle is computed from the operator's
 * record of CAs (a certificate someone else writes into the ConfigMap is gone after the next
 * pass), and a trust-bundle ConfigMap or managed CA Secret whose name is held by anything else is
 * never read as ours nor written: Ready=False NameConflict, naming the holder, until it is gone.
 */
import { jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { CassandraClusterRef } from '../../../src/api/v1alpha1/index.js';
import { createCertificateAuthority } from '../../support/control-plane-pki.js';
import { createTestNamespace } from '../../support/kube.js';
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
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(300_000);

let operator: OperatorProcess | undefined;
afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const fingerprint = (pem: string): string =>
  new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
const fingerprints = (pem: string | undefined): string[] =>
  (pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []).map(fingerprint);

async function getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
  try {
    return await core().readNamespacedConfigMap({ namespace, name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Someone who may edit ConfigMaps adds a CA of their own to the published trust bundle. */
async function appendToTrustBundle(namespace: string, name: string, pem: string): Promise<void> {
  const configMap = (await getConfigMap(namespace, name)) as V1ConfigMap;
  const data = { ...configMap.data, 'ca.crt': `${configMap.data?.['ca.crt'] ?? ''}${pem}` };
  await core().replaceNamespacedConfigMap({ namespace, name, body: { ...configMap, data } });
}

/** CassandraClusterRef passes so far, from the operator's own metrics. */
async function clusterPasses(process: OperatorProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${await process.metricsPort()}/metrics`)).text();
  return [...text.matchAll(/^scb_reconcile_total\{[^}]*controller="CassandraClusterRef"[^}]*\} (\d+)/gm)]
    .map(([, count]) => Number(count))
    .reduce((sum, count) => sum + count, 0);
}

/** Changes an annotation of each cluster ref (a watch event, so a pass) and waits until they ran. */
async function poke(process: OperatorProcess, namespace: string, names: string[], round: number) {
  const before = await clusterPasses(process);
  for (const name of names) {
    await patchObject(namespace, 'cassandraclusterrefs', name, {
      metadata: { annotations: { 'test.example/poke': String(round) } },
    });
  }
  await waitFor(
    () => clusterPasses(process),
    (passes) => passes >= before + names.length,
    `${names.length} more cluster ref passes`,
  );
}

const notReadyWith = (reason: string) => (object: CassandraClusterRef) =>
  condition(object, 'Ready')?.status === 'False' && condition(object, 'Ready')?.reason === reason;

describe('operator: the trust bundle comes from the record of CAs', () => {
  it('drops a CA written into the ConfigMap by someone else, and keeps a rotated-out intermediate', async () => {
    const namespace = await createTestNamespace('own-trust');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    const before = await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    const published = (await getConfigMap(namespace, 'orders-client-ca'))?.data?.['ca.crt'] ?? '';
    expect(fingerprints(published)).toHaveLength(2);
    const stranger = (await createCertificateAuthority('stranger CA')).certificatePem;

    // The edit of an owned ConfigMap is a watch event: the next pass needs no other trigger.
    await appendToTrustBundle(namespace, 'orders-client-ca', stranger);
    await waitFor(
      () => getConfigMap(namespace, 'orders-client-ca'),
      (configMap) => configMap?.data?.['ca.crt'] === published,
      'the trust bundle as the operator published it',
    );
    await operator.waitForLog(
      (line) =>
        line.message === 'removed certificates the operator did not publish from the trust bundle' &&
        line.certificates === 1,
      'the removal logged',
    );

    await patchObject(namespace, 'cassandraclusterrefs', 'orders', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'ca-2' } },
    });
    const rotated = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (cluster) =>
        cluster.status?.clientCA?.sha256Fingerprint !== before.status?.clientCA?.sha256Fingerprint &&
        cluster.status?.trustBundle?.certificates === 3,
      'a rotated client CA',
    );
    const oldIntermediate = before.status?.clientCA?.sha256Fingerprint as string;
    expect(rotated.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([oldIntermediate]);
    const afterRotation = (await getConfigMap(namespace, 'orders-client-ca'))?.data?.['ca.crt'] ?? '';
    expect(fingerprints(afterRotation)).toContain(oldIntermediate);
    expect(fingerprints(afterRotation)).not.toContain(fingerprint(stranger));

    await appendToTrustBundle(namespace, 'orders-client-ca', stranger);
    await waitFor(
      () => getConfigMap(namespace, 'orders-client-ca'),
      (configMap) => configMap?.data?.['ca.crt'] === afterRotation,
      'the stranger removed again, the old intermediate kept',
    );
    const settled = await getClusterRef(namespace, 'orders');
    expect(settled.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([oldIntermediate]);
  });

  it('keeps a replaced bring-your-own CA trusted until it expires, and drops a foreign one', async () => {
    const namespace = await createTestNamespace('own-byo');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    const first = await createCertificateAuthority('team CA one');
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'client-ca' },
        stringData: { 'tls.crt': first.certificatePem, 'tls.key': first.privateKeyPem },
      },
    });
    await createClusterRef(
      namespace,
      'orders',
      managedClusterSpec({ clientCA: { secretRef: { name: 'client-ca' } } }),
    );
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');

    const second = await createCertificateAuthority('team CA two');
    await core().replaceNamespacedSecret({
      namespace,
      name: 'client-ca',
      body: {
        metadata: { name: 'client-ca' },
        stringData: { 'tls.crt': second.certificatePem, 'tls.key': second.privateKeyPem },
      },
    });
    // A bring-your-own Secret is not watched: a change of the cluster ref brings the next pass.
    await poke(operator, namespace, ['orders'], 1);
    const replaced = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (cluster) => cluster.status?.clientCA?.sha256Fingerprint === fingerprint(second.certificatePem),
      'the second CA active',
    );
    expect(replaced.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([
      fingerprint(first.certificatePem),
    ]);
    const published = (await getConfigMap(namespace, 'orders-client-ca'))?.data?.['ca.crt'] ?? '';
    expect(fingerprints(published)).toEqual([
      fingerprint(second.certificatePem),
      fingerprint(first.certificatePem),
    ]);

    const stranger = (await createCertificateAuthority('stranger CA')).certificatePem;
    await appendToTrustBundle(namespace, 'orders-client-ca', stranger);
    await waitFor(
      () => getConfigMap(namespace, 'orders-client-ca'),
      (configMap) => configMap?.data?.['ca.crt'] === published,
      'the stranger removed, the replaced CA kept',
    );
  });
});

describe('operator: names a cluster ref writes are its own', () => {
  it('leaves a trust-bundle ConfigMap it does not control untouched, and publishes once it is gone', async () => {
    const namespace = await createTestNamespace('own-cm');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    const stranger = (await createCertificateAuthority('stranger CA')).certificatePem;
    await core().createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'orders-client-ca', labels: { 'app.kubernetes.io/managed-by': 'scb-operator' } },
        data: { 'ca.crt': stranger, note: 'made by hand' },
      },
    });
    await createClusterRef(namespace, 'payments', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'payments'), isReady, 'payments Ready');
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    // Another cluster's trust bundle, by spec.trustBundle.configMapName.
    await createClusterRef(
      namespace,
      'billing',
      managedClusterSpec({ trustBundle: { configMapName: 'payments-client-ca' } }),
    );
    // The Cassandra nodes' server CA, which bundles ship as the CA to trust.
    await createClusterRef(
      namespace,
      'audit',
      managedClusterSpec({ trustBundle: { configMapName: 'cassandra-server-ca' } }),
    );

    const orders = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      notReadyWith('NameConflict'),
      'orders NameConflict',
    );
    expect(condition(orders, 'Ready')?.message).toBe(
      `ConfigMap ${namespace}/orders-client-ca is held by an object not controlled by scb-operator, not by this CassandraClusterRef, so the operator does not publish the trust bundle there: set spec.trustBundle.configMapName to a name not in use (or remove that ConfigMap)`,
    );
    expect(condition(orders, 'Stalled')?.status).toBe('True');
    const billing = await waitFor(
      () => getClusterRef(namespace, 'billing'),
      notReadyWith('NameConflict'),
      'billing NameConflict',
    );
    expect(condition(billing, 'Ready')?.message).toContain(
      `ConfigMap ${namespace}/payments-client-ca is held by CassandraClusterRef ${namespace}/payments,`,
    );

    const audit = await waitFor(
      () => getClusterRef(namespace, 'audit'),
      notReadyWith('NameConflict'),
      'audit NameConflict',
    );
    expect(condition(audit, 'Ready')?.message).toContain(
      `ConfigMap ${namespace}/cassandra-server-ca is held by an object not controlled by scb-operator,`,
    );

    const serverCa = await getConfigMap(namespace, 'cassandra-server-ca');
    const handMade = await getConfigMap(namespace, 'orders-client-ca');
    const payments = await getConfigMap(namespace, 'payments-client-ca');
    for (let round = 1; round <= 3; round += 1) {
      await poke(operator, namespace, ['orders', 'billing', 'audit'], round);
    }
    const handMadeAfter = await getConfigMap(namespace, 'orders-client-ca');
    expect(handMadeAfter?.metadata?.resourceVersion).toBe(handMade?.metadata?.resourceVersion);
    expect(handMadeAfter?.data).toEqual({ 'ca.crt': stranger, note: 'made by hand' });
    const paymentsAfter = await getConfigMap(namespace, 'payments-client-ca');
    expect(paymentsAfter?.metadata?.resourceVersion).toBe(payments?.metadata?.resourceVersion);
    expect(paymentsAfter?.data).toEqual(payments?.data);
    const serverCaAfter = await getConfigMap(namespace, 'cassandra-server-ca');
    expect(serverCaAfter?.metadata?.resourceVersion).toBe(serverCa?.metadata?.resourceVersion);
    expect(serverCaAfter?.data).toEqual(serverCa?.data);
    // Stopped before anything was written: no managed CA was made for either.
    expect(await getSecret(namespace, 'orders-managed-client-ca')).toBeUndefined();
    expect(await getSecret(namespace, 'billing-managed-client-ca')).toBeUndefined();

    // The holder going away is no event the operator sees: its backoff retry finds it gone.
    await core().deleteNamespacedConfigMap({ namespace, name: 'orders-client-ca' });
    const ready = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      isReady,
      'orders Ready once the ConfigMap is gone',
      150_000,
    );
    const ours = await getConfigMap(namespace, 'orders-client-ca');
    expect(ours?.metadata?.ownerReferences?.map((ref) => [ref.uid, ref.controller])).toEqual([
      [ready.metadata.uid, true],
    ]);
    expect(fingerprints(ours?.data?.['ca.crt'])).not.toContain(fingerprint(stranger));
    expect(fingerprints(ours?.data?.['ca.crt'])).toHaveLength(2);
  });

  it('never signs with nor replaces a managed CA Secret planted by hand', async () => {
    const namespace = await createTestNamespace('own-ca');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    const planted = await createCertificateAuthority('planted CA');
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    // Our labels prove nothing: anyone may set them.
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: 'orders-managed-client-ca',
          labels: {
            'app.kubernetes.io/managed-by': 'scb-operator',
            'scb-operator.io/role': 'managed-client-ca',
          },
        },
        data: {
          'tls.crt': b64(planted.certificatePem),
          'tls.key': b64(planted.privateKeyPem),
          'ca.crt': b64(planted.certificatePem),
          'root.key': b64(planted.privateKeyPem),
        },
      },
    });
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['cqlsh'] });

    const stalled = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      notReadyWith('NameConflict'),
      'NameConflict',
    );
    expect(condition(stalled, 'Ready')?.message).toBe(
      `Secret ${namespace}/orders-managed-client-ca is held by an object not controlled by scb-operator, not by this CassandraClusterRef, so the operator neither signs with it nor replaces it: give the CassandraClusterRef another name (metadata.name; its managed CA Secret is <name>-managed-client-ca) or remove that Secret`,
    );
    expect(stalled.status?.clientCA).toBeUndefined();

    const before = await getSecret(namespace, 'orders-managed-client-ca');
    // A rotation request is a write the operator would otherwise make to that Secret.
    await patchObject(namespace, 'cassandraclusterrefs', 'orders', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'now' } },
    });
    for (let round = 1; round <= 3; round += 1) await poke(operator, namespace, ['orders'], round);
    const after = await getSecret(namespace, 'orders-managed-client-ca');
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(after?.data).toEqual(before?.data);
    expect(await getConfigMap(namespace, 'orders-client-ca')).toBeUndefined();
    expect(await getSecret(namespace, 'app-scb')).toBeUndefined();
    expect(isReady(await getBundle(namespace, 'app'))).toBe(false);

    await core().deleteNamespacedSecret({ namespace, name: 'orders-managed-client-ca' });
    const ready = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      isReady,
      'Ready with a CA of its own once the planted Secret is gone',
      150_000,
    );
    expect(ready.status?.clientCA?.sha256Fingerprint).not.toBe(fingerprint(planted.certificatePem));
    const own = await getSecret(namespace, 'orders-managed-client-ca');
    expect(own?.metadata?.ownerReferences?.map((ref) => [ref.uid, ref.controller])).toEqual([
      [ready.metadata.uid, true],
    ]);
    const bundle = await waitFor(() => getBundle(namespace, 'app'), isReady, 'the bundle issued');
    expect(bundle.status?.currentVersion).toBe(1);
  });
});

describe('operator: a cluster ref signs only with its own CA', () => {
  it("refuses another cluster's managed CA Secret as a bring-your-own CA", async () => {
    const namespace = await createTestNamespace('own-deputy');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'payments', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'payments'), isReady, 'payments Ready');
    await createClusterRef(
      namespace,
      'rogue',
      managedClusterSpec({ clientCA: { secretRef: { name: 'payments-managed-client-ca' } } }),
    );
    await createBundle(namespace, 'app', { clusterRef: { name: 'rogue' }, platforms: ['cqlsh'] });

    const rogue = await waitFor(
      () => getClusterRef(namespace, 'rogue'),
      notReadyWith('ClientCAInvalid'),
      'ClientCAInvalid',
    );
    expect(condition(rogue, 'Ready')?.message).toBe(
      `Secret ${namespace}/payments-managed-client-ca (spec.clientCA.secretRef.name) is written by scb-operator for CassandraClusterRef ${namespace}/payments: name a CA Secret you made, or use spec.clientCA.managed`,
    );
    expect(rogue.status?.clientCA).toBeUndefined();
    expect(await getConfigMap(namespace, 'rogue-client-ca')).toBeUndefined();
    await waitFor(
      () => getBundle(namespace, 'app'),
      (bundle) => condition(bundle, 'Ready')?.status === 'False',
      'the bundle not Ready',
    );
    expect(await getSecret(namespace, 'app-scb')).toBeUndefined();
  });
});
