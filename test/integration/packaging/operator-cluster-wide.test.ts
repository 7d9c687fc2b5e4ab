/**
 * The cluster-wide install, run for real: two replicas with the chart's ServiceAccount and exactly
 * its cluster-wide RBAC (ClusterRole, the download API's review ClusterRole, the Lease Role), with
 * the chart's container args (no --watch-namespace) and its download certificate Secret projected
 * as the kubelet would. They issue, rotate and publish bundles in every namespace, one of them in
 * another namespace than its cluster ref as spec.access.namespaceSelector allows (which reads the
 * namespace's labels), rotate the managed client CA and publish its trust bundle; both serve the
 * Secret's certificate, and a link minted by one is honoured by the other; a bundle with an object
 * store gets its finalizer and, on delete, its objects deleted.
 *
 * A cluster-wide operator sees every namespace, and the run's shared control plane holds the
 * bundles other test files leave behind: this file starts a control plane of its own.
 */
import { jest } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  AuthorizationV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { OBJECT_STORE_FINALIZER } from '../../../src/controllers/bundle/object-store-cleanup.js';
import { controlPlaneBinDir } from '../../support/control-plane-binaries.js';
import { createCertificateAuthority, type CertificateAuthority } from '../../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import {
  clusterApi,
  condition,
  isReady,
  managedClusterSpec,
  recordWhileRunning,
  secretFile,
  stopOperator,
  waitFor,
  type ClusterApi,
} from '../../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../../support/operator-process.js';
import { startObjectStore } from '../../support/object-store.js';
import { chartOperatorArgs, installChartIdentity, type ChartIdentity } from '../../support/packaging.js';
import { httpsCall } from '../distribution/distribution-support.js';

jest.setTimeout(240_000);

const operatorNamespace = 'scb-system';
const tlsSecret = 'scb-download-tls';
const teamLabel = { 'example.com/team': 'shop' };

let controlPlane: ControlPlane | undefined;
let admin: KubeConfig;
let api: ClusterApi;
let identity: ChartIdentity;
let downloadCa: CertificateAuthority;
let scratch: string | undefined;
const replicas: OperatorProcess[] = [];

beforeAll(async () => {
  controlPlane = await startControlPlane({ binDir: controlPlaneBinDir() });
  admin = controlPlane.adminKubeConfig();
  api = clusterApi(admin);
  for (const [name, labels] of [
    [operatorNamespace, {}],
    ['db', {}],
    ['shop', teamLabel],
    ['stranger', {}],
  ] as const) {
    await api.core().createNamespace({ body: { metadata: { name, labels } } });
  }
  downloadCa = await createCertificateAuthority('download API test CA');
  const serving = await downloadCa.issueServingCertificate(['127.0.0.1'], ['localhost']);
  await api.core().createNamespacedSecret({
    namespace: operatorNamespace,
    body: {
      metadata: { name: tlsSecret },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': serving.certificatePem, 'tls.key': serving.privateKeyPem },
    },
  });
  identity = await installChartIdentity({
    namespace: operatorNamespace,
    scope: 'cluster',
    releaseName: 'scb-operator',
    values: { download: { enabled: true, tls: { secretName: tlsSecret } } },
    controlPlane: controlPlane.connection,
  });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'scb-chart-mounts-'));
  const args = await chartOperatorArgs(identity.rendered, scratch, (name) =>
    api.getSecret(operatorNamespace, name),
  );
  expect(args.some((arg) => arg.startsWith('--watch-namespace'))).toBe(false);
  for (const replica of ['scb-operator-0', 'scb-operator-1']) {
    replicas.push(
      recordWhileRunning(
        startOperatorProcess({
          kubeconfig: identity.kubeconfigPath,
          namespace: operatorNamespace,
          allNamespaces: true,
          identity: replica,
          extraArgs: args,
        }),
        controlPlane.adminKubeConfig(),
      ),
    );
  }
});

afterAll(async () => {
  await Promise.all(replicas.map((replica) => stopOperator(replica, controlPlane?.adminKubeConfig())));
  await controlPlane?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const started = (replica: OperatorProcess) =>
  replica.waitForLog((line) => line.message === 'operator started', 'start-up');

/** Lines that would show the chart's RBAC refusing the operator something. */
const refusals = () =>
  replicas.flatMap((replica) =>
    replica.logs.filter((line) => line.level === 'error' || /forbidden/i.test(JSON.stringify(line))),
  );

describe("the operator with the chart's cluster-wide RBAC, watching every namespace", () => {
  it('issues, rotates and publishes across namespaces, and rotates and publishes the client CA', async () => {
    await Promise.all(replicas.map(started));
    const lease = await admin
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: operatorNamespace, name: 'scb-operator' });
    expect(['scb-operator-0', 'scb-operator-1']).toContain(lease.spec?.holderIdentity);

    await api.createServerCaConfigMap('db');
    await api.createClusterRef(
      'db',
      'orders',
      managedClusterSpec({ access: { namespaceSelector: { matchLabels: teamLabel } } }),
    );
    const cluster = await waitFor(() => api.getClusterRef('db', 'orders'), isReady, 'cluster ref Ready');
    const trustBundle = cluster.status?.trustBundle?.configMapName ?? '';
    const trustedBefore = cluster.status?.trustBundle?.certificates ?? 0;
    expect(trustedBefore).toBeGreaterThan(0);

    const spec = { clusterRef: { name: 'orders', namespace: 'db' }, platforms: ['nodejs'] };
    await api.createBundle('db', 'local', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    await api.createBundle('shop', 'app', spec);
    await api.createBundle('stranger', 'app', spec);
    await waitFor(() => api.getBundle('db', 'local'), isReady, 'db/local Ready');
    await waitFor(
      () => api.getBundle('shop', 'app'),
      (b) => b.status?.currentVersion === 1 && isReady(b),
      'shop/app version 1',
    );
    const refused = await waitFor(
      () => api.getBundle('stranger', 'app'),
      (b) => condition(b, 'Ready')?.reason === 'NamespaceNotAllowed',
      'stranger/app: NamespaceNotAllowed',
    );
    // The refusal read the namespace's labels: it names the unmet selector requirement.
    expect(condition(refused, 'Ready')?.message).toContain('(unmet: example.com/team=shop)');
    expect(await api.getSecret('db', 'local-scb')).toBeDefined();
    expect(await api.getSecret('shop', 'app-scb')).toBeDefined();
    expect(await api.getSecret('stranger', 'app-scb')).toBeUndefined();

    await api.patchObject('shop', 'secureconnectionbundles', 'app', {
      metadata: { annotations: { 'scb-operator.io/rotate': '1' } },
    });
    await waitFor(
      () => api.getBundle('shop', 'app'),
      (b) => b.status?.currentVersion === 2 && isReady(b),
      'shop/app version 2',
    );
    await api.patchObject('db', 'cassandraclusterrefs', 'orders', {
      metadata: { annotations: { 'scb-operator.io/rotate': '1' } },
    });
    const rotated = await waitFor(
      () => api.getClusterRef('db', 'orders'),
      (c) =>
        c.status?.clientCA?.sha256Fingerprint !== cluster.status?.clientCA?.sha256Fingerprint &&
        (c.status?.trustBundle?.certificates ?? 0) > trustedBefore,
      'the rotated client CA, with the old one still trusted',
    );
    await waitFor(
      () => api.getBundle('shop', 'app'),
      (b) => b.status?.currentVersion === 3 && isReady(b),
      'shop/app version 3 after the CA rotation',
    );
    const trusted = await api.core().readNamespacedConfigMap({ namespace: 'db', name: trustBundle });
    const fingerprints = (trusted.data?.['ca.crt'] ?? '')
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .map((pem) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex'));
    expect(fingerprints).toHaveLength(rotated.status?.trustBundle?.certificates ?? -1);
    expect(fingerprints).toEqual(
      expect.arrayContaining([
        rotated.status?.clientCA?.sha256Fingerprint,
        cluster.status?.clientCA?.sha256Fingerprint,
      ]),
    );
    expect(refusals()).toEqual([]);
  });

  it("serves the chart's certificate Secret from both replicas, which honour each other's links", async () => {
    const [first, second] = await Promise.all(replicas.map(started));
    const secret = await api.getSecret(operatorNamespace, tlsSecret);
    const expected = createHash('sha256')
      .update(new X509Certificate(secretFile(secret, 'tls.crt')).raw)
      .digest('hex');
    expect([first?.downloadCertificateSha256, second?.downloadCertificateSha256]).toEqual([
      expected,
      expected,
    ]);
    const linkKey = await api.getSecret(operatorNamespace, 'scb-operator-download-link-key');
    expect(secretFile(linkKey, 'link-key')).toHaveLength(32);

    const token = await downloadToken('shop', 'ci');
    const published = secretFile(await api.getSecret('shop', 'app-scb'), 'secure-connect-app.zip');
    const base = (line: typeof first) => `https://127.0.0.1:${Number(line?.downloadPort)}`;
    const bundlePath = '/v1/namespaces/shop/bundles/app';
    const direct = await httpsCall(`${base(first)}${bundlePath}`, { ca: downloadCa.certificatePem, token });
    expect(direct.status).toBe(200);
    expect(direct.body.equals(published)).toBe(true);

    const minted = await httpsCall(`${base(first)}${bundlePath}/links`, {
      method: 'POST',
      ca: downloadCa.certificatePem,
      token,
      body: JSON.stringify({ ttlSeconds: 60 }),
    });
    expect(minted.status).toBe(201);
    const link = new URL(String(minted.json()['url']));
    const elsewhere = await httpsCall(`${base(second)}${link.pathname}${link.search}`, {
      ca: downloadCa.certificatePem,
    });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.equals(published)).toBe(true);
    expect(refusals()).toEqual([]);
  });

  it('holds a bundle with an object store under its finalizer, and deletes its objects on delete', async () => {
    const store = await startObjectStore();
    try {
      await store.createBucket('scb-bundles');
      await api.core().createNamespacedSecret({
        namespace: 'shop',
        body: {
          metadata: { name: 's3' },
          stringData: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
        },
      });
      const objectStore = {
        bucket: 'scb-bundles',
        endpoint: store.endpoint,
        pathStyle: true,
        credentialsSecretRef: { name: 's3' },
      };
      await api.createBundle('shop', 'stored', {
        clusterRef: { name: 'orders', namespace: 'db' },
        platforms: ['nodejs'],
        target: { objectStore },
      });
      const stored = await waitFor(
        () => api.getBundle('shop', 'stored'),
        (b) => condition(b, 'ObjectStoreSynced')?.status === 'True',
        'shop/stored in the bucket',
      );
      expect(stored.metadata.finalizers).toEqual([OBJECT_STORE_FINALIZER]);
      const listed = await store.client.send(new ListObjectsV2Command({ Bucket: 'scb-bundles' }));
      expect(listed.KeyCount).toBe(3);

      await admin.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
        group: 'scb-operator.io',
        version: 'v1alpha1',
        namespace: 'shop',
        plural: 'secureconnectionbundles',
        name: 'stored',
      });
      await waitFor(
        () =>
          api.getBundle('shop', 'stored').then(
            () => 'present',
            () => 'gone',
          ),
        (state) => state === 'gone',
        'shop/stored deleted',
      );
      const after = await store.client.send(new ListObjectsV2Command({ Bucket: 'scb-bundles' }));
      expect(after.KeyCount ?? 0).toBe(0);
      expect(refusals()).toEqual([]);
    } finally {
      await store.dispose();
    }
  });
});

/**
 * A TokenRequest token of a new ServiceAccount allowed `get` on secureconnectionbundles/download
 * in `namespace`, once the authorizer has seen the binding.
 */
async function downloadToken(namespace: string, name: string): Promise<string> {
  await api.core().createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'scb-download' },
      rules: [
        { apiGroups: ['scb-operator.io'], resources: ['secureconnectionbundles/download'], verbs: ['get'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: `scb-download-${name}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'scb-download' },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const reviews = admin.makeApiClient(AuthorizationV1Api);
  for (let attempt = 0; ; attempt += 1) {
    const review = await reviews.createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${name}`,
          resourceAttributes: {
            namespace,
            verb: 'get',
            group: 'scb-operator.io',
            resource: 'secureconnectionbundles',
            subresource: 'download',
          },
        },
      },
    });
    if (review.status?.allowed) break;
    if (attempt >= 40) throw new Error(`the RoleBinding for ${namespace}/${name} never took effect`);
    await sleep(250);
  }
  const request = await api.core().createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}
