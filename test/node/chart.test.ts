/**
 * The product the way users run it, on a real node: `helm install` of the chart with the image
 * built from the Dockerfile (imagePullPolicy Never), two operator pods with leader election and
 * in-cluster credentials from their projected ServiceAccount token, under Pod Security
 * "restricted". Then pods that use bundles: a client pod mounts the bundle Secret and queries a
 * real Cassandra 5 (on the host; the client pod is hostNetwork) with the mounted files, and moves
 * to the new files of a rotation when the kubelet itself updates the volume; a consumer
 * Deployment is restarted by the operator and the real Deployment controller replaces its pod;
 * deleting the bundle lets the real garbage collector delete its Secrets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { nodeDriverModules } from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { operatorImageDir, startNode, type TestNode } from '../support/node.js';
import { createPod, podReady } from '../support/node-pods.js';
import { clusterApi, isReady, waitFor, type ClusterApi } from '../support/operator-fixtures.js';
import { chartDir, helm } from '../support/packaging.js';

const setupTimeoutMs = 300_000;
const rotationTimeoutMs = 180_000;
const operatorNamespace = 'scb-system';
const namespace = 'apps';
const releaseName = 'scb-operator';
const clusterName = 'orders';
const bundleName = 'orders-app';
const consumerName = 'orders';
const clientPod = 'bundle-client';

let controlPlane: ControlPlane | undefined;
let node: TestNode | undefined;
let cassandra: Cassandra | undefined;
let api: ClusterApi;
let core: CoreV1Api;
let apps: AppsV1Api;
let image: string;
const timings: Record<string, string> = {};

const log = (component: string) => (message: string) => console.log(`[${component}] ${message}`);
const secondsSince = (startedAt: number) => ((Date.now() - startedAt) / 1000).toFixed(1);

beforeAll(async () => {
  const imageDir = operatorImageDir();
  image = readFileSync(path.join(imageDir, 'name'), 'utf8').trim();
  const serverCa = await createCertificateAuthority('scb-operator node-test Cassandra server CA');
  const serving = await serverCa.issueServingCertificate(['127.0.0.1'], ['localhost']);
  const nobody = await createCertificateAuthority('placeholder client CA that signs nothing');
  const startingCassandra = startCassandra({
    serverCertPem: serving.certificatePem,
    serverKeyPem: serving.privateKeyPem,
    clientCaTrustPem: nobody.certificatePem,
    log: log('cassandra'),
  });
  startingCassandra.catch(() => undefined);

  controlPlane = await startControlPlane({ serviceAccountAdmission: true, log: log('control plane') });
  node = await startNode(controlPlane, {
    imageArchives: [path.join(imageDir, 'image.tar')],
    log: log('node'),
  });
  timings['node Ready'] = `${(node.readyMs / 1000).toFixed(1)} s`;
  api = clusterApi(controlPlane.adminKubeConfig());
  core = controlPlane.adminKubeConfig().makeApiClient(CoreV1Api);
  apps = controlPlane.adminKubeConfig().makeApiClient(AppsV1Api);

  // The chart's pods must pass Pod Security "restricted" as shipped.
  const restricted = { 'pod-security.kubernetes.io/enforce': 'restricted' };
  await core.createNamespace({ body: { metadata: { name: operatorNamespace, labels: restricted } } });
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await api.createServerCaConfigMap(namespace, 'cassandra-server-ca', serverCa.certificatePem);
  cassandra = await startingCassandra;
}, setupTimeoutMs);

afterAll(async () => {
  console.log(`[timings] ${JSON.stringify(timings)}`);
  await node?.stop();
  await Promise.all([cassandra?.stop(), controlPlane?.stop()]);
}, 90_000);

function nodeOrThrow(): TestNode {
  if (!node) throw new Error('the node did not start');
  return node;
}

async function operatorPods(): Promise<V1Pod[]> {
  const pods = await core.listNamespacedPod({
    namespace: operatorNamespace,
    labelSelector: 'app.kubernetes.io/name=scb-operator',
  });
  return pods.items.filter((pod) => !pod.metadata?.deletionTimestamp);
}

describe('the chart on a real node', () => {
  it(
    'helm install runs two Ready operator pods of the built image; one holds the Lease, with its ServiceAccount token',
    async () => {
      const installedAt = Date.now();
      await helm([
        'install',
        releaseName,
        chartDir,
        `--kubeconfig=${controlPlane?.kubeconfigPath}`,
        `--namespace=${operatorNamespace}`,
        '--set=image.pullPolicy=Never',
      ]);
      const pods = await waitFor(
        operatorPods,
        (items) => items.length === 2 && items.every(podReady),
        'two Ready operator pods',
        setupTimeoutMs,
      );
      timings['operator pods Ready after helm install'] = `${secondsSince(installedAt)} s`;
      for (const pod of pods) {
        const container = pod.spec?.containers[0];
        expect(container?.image).toBe(image);
        expect(container?.imagePullPolicy).toBe('Never');
        expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
        // No kubeconfig: the operator's only credential is the projected token the kubelet mounts.
        expect(container?.args?.some((arg) => arg.startsWith('--kubeconfig'))).toBe(false);
        expect(pod.spec?.serviceAccountName).toBe(releaseName);
        expect(
          pod.spec?.volumes?.some((volume) =>
            volume.projected?.sources?.some((source) => source.serviceAccountToken),
          ),
        ).toBe(true);
      }
      const lease = await waitFor(
        () =>
          controlPlane!
            .adminKubeConfig()
            .makeApiClient(CoordinationV1Api)
            .readNamespacedLease({ namespace: operatorNamespace, name: 'scb-operator' })
            .catch(() => undefined),
        (found) => found?.spec?.holderIdentity !== undefined,
        'the Lease to have a holder',
      );
      // Only the pods run an operator: the holder reached the API with its projected token.
      expect(pods.map((pod) => pod.metadata?.name)).toContain(lease?.spec?.holderIdentity);
    },
    setupTimeoutMs,
  );
});
