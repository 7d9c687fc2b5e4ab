/**
 * What a user sees when something is wrong: every broken reference gives Ready=False with a reason
 * and a message naming what to fix, a namespace the cluster does not admit gets no certificate,
 * and fixing the cause makes the object Ready without restarting anything.
 */
import { jest } from '@jest/globals';
import { webcrypto } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import * as x509 from '../../../src/pki/x509.js';
import { encodePem } from '../../../src/pki/pem.js';
import { createTestNamespace, kubeConfig } from '../../support/kube.js';
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

jest.setTimeout(180_000);

let operator: OperatorProcess | undefined;
afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const notReadyWith = (reason: string) => (object: Parameters<typeof condition>[0]) =>
  condition(object, 'Ready')?.status === 'False' && condition(object, 'Ready')?.reason === reason;

/** A CA certificate and key in PEM; `validDays` negative makes one that has already expired. */
async function caPem(commonName: string, validFrom: Date, validTo: Date) {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: `CN=${commonName}`,
      notBefore: validFrom,
      notAfter: validTo,
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)),
    privateKeyPem: encodePem('PRIVATE KEY', new Uint8Array(pkcs8)),
  };
}

async function createCaSecret(
  namespace: string,
  name: string,
  pem: { certificatePem: string; privateKeyPem: string },
) {
  await core().createNamespacedSecret({
    namespace,
    body: { metadata: { name }, stringData: { 'tls.crt': pem.certificatePem, 'tls.key': pem.privateKeyPem } },
  });
}

const byoSpec = (secret: string) => managedClusterSpec({ clientCA: { secretRef: { name: secret } } });
const day = 86_400_000;

describe('operator: broken references and access policy', () => {
  it('reports a missing server CA, then recovers when it is created', async () => {
    const namespace = await createTestNamespace('op-missing');
    operator = await startTestOperator({ namespace });
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });

    const cluster = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      notReadyWith('ServerCANotFound'),
      'ServerCANotFound',
    );
    expect(condition(cluster, 'Ready')?.message).toMatch(
      /ConfigMap .*cassandra-server-ca \(spec\.serverCA\.configMapRef\.name\) does not exist: create it/,
    );
    expect(condition(cluster, 'Reconciling')?.status).toBe('True');
    const bundle = await waitFor(
      () => getBundle(namespace, 'app'),
      notReadyWith('ClusterRefNotReady'),
      'ClusterRefNotReady',
    );
    expect(condition(bundle, 'Ready')?.message).toMatch(
      /CassandraClusterRef .*orders is not Ready \(ServerCANotFound/,
    );
    expect(await getSecret(namespace, 'app-scb')).toBeUndefined();

    await createServerCaConfigMap(namespace);
    await waitFor(
      () => getBundle(namespace, 'app'),
      isReady,
      'the bundle Ready once the ConfigMap exists',
      90_000,
    );
  });

  it.each([
    {
      name: 'a key that does not belong to the certificate',
      reason: 'KeyMismatch',
      message: /private key does not belong to CA certificate/,
      make: async () => {
        const a = await caPem('a CA', new Date(Date.now() - day), new Date(Date.now() + 30 * day));
        const b = await caPem('b CA', new Date(Date.now() - day), new Date(Date.now() + 30 * day));
        return { certificatePem: a.certificatePem, privateKeyPem: b.privateKeyPem };
      },
    },
    {
      name: 'an expired CA',
      reason: 'CaExpired',
      message: /expired at .*renew the CA and update its Secret/,
      make: () => caPem('old CA', new Date(Date.now() - 30 * day), new Date(Date.now() - day)),
    },
  ])('reports $name in a bring-your-own client CA as Stalled', async ({ reason, message, make }) => {
    const namespace = await createTestNamespace('op-badca');
    operator = await startTestOperator({ namespace });
    await createServerCaConfigMap(namespace);
    await createCaSecret(namespace, 'client-ca', await make());
    await createClusterRef(namespace, 'orders', byoSpec('client-ca'));
    const cluster = await waitFor(() => getClusterRef(namespace, 'orders'), notReadyWith(reason), reason);
    expect(condition(cluster, 'Ready')?.message).toMatch(message);
    expect(condition(cluster, 'Stalled')?.status).toBe('True');
    expect(JSON.stringify(cluster.status)).not.toMatch(/PRIVATE KEY/);
  });

  it('refuses a bundle from a namespace the cluster does not admit, and issues once it is admitted', async () => {
    const clusterNamespace = await createTestNamespace('op-db');
    const appNamespace = await createTestNamespace('op-app');
    // Cross-namespace references need the cluster-wide operator.
    operator = await startTestOperator({ namespace: '', operatorNamespace: clusterNamespace });
    await createServerCaConfigMap(clusterNamespace);
    await createClusterRef(clusterNamespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(clusterNamespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(appNamespace, 'app', {
      clusterRef: { name: 'orders', namespace: clusterNamespace },
      platforms: ['nodejs'],
    });

    const refused = await waitFor(
      () => getBundle(appNamespace, 'app'),
      notReadyWith('NamespaceNotAllowed'),
      'NamespaceNotAllowed',
    );
    expect(condition(refused, 'Ready')?.message).toContain(
      `add "${appNamespace}" to its spec.access.namespaces`,
    );
    expect(condition(refused, 'Stalled')?.status).toBe('True');
    expect(await getSecret(appNamespace, 'app-scb')).toBeUndefined();
    // Stalled means no retry loop: our own status write and later events do not count attempts.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await getBundle(appNamespace, 'app')).status?.failedIssuanceAttempts).toBe(1);

    // Admit it by label through a selector: the cluster change re-queues the bundle.
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .patchNamespace({
        name: appNamespace,
        body: [{ op: 'add', path: '/metadata/labels/cassandra-access~1orders', value: 'true' }],
      });
    await patchObject(clusterNamespace, 'cassandraclusterrefs', 'orders', {
      spec: { access: { namespaceSelector: { matchLabels: { 'cassandra-access/orders': 'true' } } } },
    });
    const admitted = await waitFor(
      () => getBundle(appNamespace, 'app'),
      isReady,
      'the admitted bundle Ready',
      60_000,
    );
    expect(admitted.status?.currentVersion).toBe(1);
    expect(condition(admitted, 'Stalled')).toBeUndefined();
  });

  it("re-judges a namespace's bundles when its labels change, with no other change to wake them", async () => {
    const clusterNamespace = await createTestNamespace('op-db');
    const appNamespace = await createTestNamespace('op-app');
    operator = await startTestOperator({ namespace: '', operatorNamespace: clusterNamespace });
    await createServerCaConfigMap(clusterNamespace);
    const label = 'cassandra-access/orders';
    await createClusterRef(
      clusterNamespace,
      'orders',
      managedClusterSpec({ access: { namespaceSelector: { matchLabels: { [label]: 'true' } } } }),
    );
    await waitFor(() => getClusterRef(clusterNamespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(appNamespace, 'app', {
      clusterRef: { name: 'orders', namespace: clusterNamespace },
      platforms: ['nodejs'],
    });
    const refused = await waitFor(
      () => getBundle(appNamespace, 'app'),
      notReadyWith('NamespaceNotAllowed'),
      'NamespaceNotAllowed',
    );
    expect(condition(refused, 'Ready')?.message).toContain(`(unmet: ${label}=true)`);
    // Stalled: only a change brings it back before the 10-minute safety retry. The namespace's
    // label is the only change here; the cluster ref and the bundle stay as they are.
    const namespaces = kubeConfig().makeApiClient(CoreV1Api);
    const path = `/metadata/labels/${label.replace('/', '~1')}`;
    await namespaces.patchNamespace({ name: appNamespace, body: [{ op: 'add', path, value: 'true' }] });
    const admitted = await waitFor(
      () => getBundle(appNamespace, 'app'),
      isReady,
      'the bundle Ready once its namespace is labelled',
      60_000,
    );
    expect(admitted.status?.currentVersion).toBe(1);
    const published = await getSecret(appNamespace, 'app-scb');
    expect(published).toBeDefined();

    // The label taken away: refused again at once, keeping the version it has.
    await namespaces.patchNamespace({ name: appNamespace, body: [{ op: 'remove', path }] });
    const withdrawn = await waitFor(
      () => getBundle(appNamespace, 'app'),
      notReadyWith('NamespaceNotAllowed'),
      'NamespaceNotAllowed once the label is gone',
      60_000,
    );
    expect(withdrawn.status?.currentVersion).toBe(1);
    expect((await getSecret(appNamespace, 'app-scb'))?.data).toEqual(published?.data);
  });
});
