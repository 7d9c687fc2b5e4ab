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
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Deployment,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { bundleVersionAnnotation } from '../../src/distribution/rollouts/rollout-decision.js';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { nodeDriverModules } from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { operatorImageDir, startNode, type TestNode } from '../support/node.js';
import { createPod, podReady } from '../support/node-pods.js';
import {
  clusterApi,
  isReady,
  rotateClientCa,
  secretFile,
  waitFor,
  type ClusterApi,
} from '../support/operator-fixtures.js';
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
let consumerBefore: { deployment: V1Deployment; pods: V1Pod[] } | undefined;
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

// ---- pods that use bundles ------------------------------------------------------------------

type ClientEvent =
  | { event: 'connected'; version: number; fileSerial: string; presentedSerials: string[] }
  | { event: 'query'; ok: boolean; version: number; error?: string }
  | { event: 'connect-failed'; version: number; error: string };

/** What test/e2e/clients/rotating-client.mjs printed in the client pod so far. */
function clientEvents(): ClientEvent[] {
  return nodeOrThrow()
    .podLog(namespace, clientPod, 'main')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ClientEvent);
}

const failures = (events: ClientEvent[]) =>
  events.filter((e) => (e.event === 'query' && !e.ok) || e.event === 'connect-failed');
const queriesOn = (events: ClientEvent[], version: number) =>
  events.filter((e) => e.event === 'query' && e.version === version).length;

/**
 * Waits for the Secret to carry `version` (noting when the test first saw it there), then for the
 * bundle to report it current and Ready; returns its serial.
 */
async function publishedVersion(version: number) {
  // The files the kubelet projects: manifest.json names the version they belong to.
  const manifestVersion = (secret: V1Secret | undefined) =>
    (JSON.parse(secretFile(secret, 'manifest.json').toString('utf8')) as { bundle: { version: number } })
      .bundle.version;
  await waitFor(
    () => api.getSecret(namespace, `${bundleName}-scb`),
    (s) => s?.data?.['manifest.json'] !== undefined && manifestVersion(s) === version,
    `Secret ${bundleName}-scb holding version ${version}'s files`,
    rotationTimeoutMs,
  );
  const publishedAt = Date.now();
  const secret = await waitFor(
    () => api.getSecret(namespace, `${bundleName}-scb`),
    (s) => s?.metadata?.annotations?.['scb-operator.io/version'] === String(version),
    `Secret ${bundleName}-scb annotated with version ${version}`,
  );
  const bundle = await waitFor(
    () => api.getBundle(namespace, bundleName),
    (b) => b.status?.currentVersion === version && isReady(b),
    `${bundleName} version ${version} Ready`,
    rotationTimeoutMs,
  );
  return {
    secret,
    publishedAt,
    serialNumber: normalizeSerial(bundle.status?.versions?.[0]?.serialNumber ?? ''),
  };
}

/** Hex serials compare as numbers: case and leading zeros differ between tools. */
const normalizeSerial = (hex: string) => hex.toLowerCase().replace(/^0+/, '');

/**
 * Waits until the client pod has run `queries` queries on `version` (read from its log), and
 * checks its session on that version used the certificate of that version's Secret, on every
 * TLS connection.
 */
async function clientOn(
  version: number,
  serialNumber: string,
  queries = 3,
): Promise<{ events: ClientEvent[]; connectedAt: number }> {
  await waitFor(
    async () => clientEvents(),
    (e) => e.some((event) => event.event === 'connected' && event.version === version),
    `a session of the client pod on version ${version}`,
    rotationTimeoutMs,
  );
  const connectedAt = Date.now();
  const events = await waitFor(
    async () => clientEvents(),
    (e) => queriesOn(e, version) >= queries,
    `${queries} queries by the client pod on version ${version}`,
    rotationTimeoutMs,
  );
  const connected = events.find((e) => e.event === 'connected' && e.version === version);
  if (connected?.event !== 'connected') throw new Error(`no session on version ${version}`);
  expect(normalizeSerial(connected.fileSerial)).toBe(serialNumber);
  expect(new Set(connected.presentedSerials.map(normalizeSerial))).toEqual(new Set([serialNumber]));
  return { events, connectedAt };
}

/**
 * One row of the rotation table: queries so far, failures, and how long each step took (to the
 * test's 250 ms polling): until the Secret carried the new version, and from then until the client
 * pod had a session on the new files.
 */
function rotationRow(events: ClientEvent[], askedAt: number, publishedAt: number, inUseAt: number) {
  const row = {
    queries: events.filter((e) => e.event === 'query').length,
    failures: failures(events).length,
    'asked → Secret published (s)': ((publishedAt - askedAt) / 1000).toFixed(1),
    'Secret published → pod on it (s)': ((inUseAt - publishedAt) / 1000).toFixed(1),
  };
  console.log(`[rotation] ${JSON.stringify(row)}`);
  return row;
}

/** An application that mounts the bundle Secret; the operator restarts it for each new version. */
function consumerDeployment(): V1Deployment {
  const labels = { app: consumerName };
  return {
    metadata: { name: consumerName },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'main',
              image,
              imagePullPolicy: 'Never',
              command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
              volumeMounts: [{ name: 'bundle', mountPath: '/bundle', readOnly: true }],
            },
          ],
          volumes: [{ name: 'bundle', secret: { secretName: `${bundleName}-scb` } }],
        },
      },
    },
  };
}

/** The consumer's pods once its rollout is complete (all updated, available, no old pod left). */
async function settledConsumer(what: string): Promise<{ deployment: V1Deployment; pods: V1Pod[] }> {
  let pods: V1Pod[] = [];
  const deployment = await waitFor(
    async () => {
      pods = await consumerPods();
      return apps.readNamespacedDeployment({ namespace, name: consumerName });
    },
    (d) =>
      d.status?.observedGeneration === d.metadata?.generation &&
      d.status?.updatedReplicas === 1 &&
      d.status?.availableReplicas === 1 &&
      d.status?.replicas === 1 &&
      pods.length === 1 &&
      pods.every(podReady),
    what,
    rotationTimeoutMs,
  );
  return { deployment, pods };
}

async function consumerPods(): Promise<V1Pod[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${consumerName}` });
  return pods.items.filter((pod) => !pod.metadata?.deletionTimestamp);
}

describe('pods that use bundles, on the real node', () => {
  it(
    'a bundle becomes Ready: the operator pods issue it and publish its Secret',
    async () => {
      await api.createClusterRef(namespace, clusterName, {
        connection: {
          contactPoints: [cassandra!.host],
          port: cassandra!.port,
          localDatacenter: cassandra!.datacenter,
        },
        serverCA: { configMapRef: { name: 'cassandra-server-ca' } },
        clientCA: { managed: {} },
      });
      await waitFor(
        () => api.getClusterRef(namespace, clusterName),
        isReady,
        `${clusterName} Ready`,
        120_000,
      );
      const trust = await core.readNamespacedConfigMap({ namespace, name: `${clusterName}-client-ca` });
      await cassandra!.reloadClientTrust(trust.data?.['ca.crt'] ?? '');
      await apps.createNamespacedDeployment({ namespace, body: consumerDeployment() });
      await api.createBundle(namespace, bundleName, {
        clusterRef: { name: clusterName },
        consumers: [{ kind: 'Deployment', name: consumerName }],
      });
      const { secret } = await publishedVersion(1);
      expect(Object.keys(secret?.data ?? {})).toEqual(
        expect.arrayContaining(['ca.crt', 'cert', 'key', 'config.json', 'manifest.json']),
      );
    },
    rotationTimeoutMs,
  );

  it(
    'a client pod queries Cassandra with the mounted bundle, and moves to the rotated files the kubelet writes without a failed query',
    async () => {
      const createdAt = Date.now();
      await createPod(core, namespace, {
        metadata: { name: clientPod },
        spec: {
          // Cassandra listens on the host's loopback.
          hostNetwork: true,
          containers: [
            {
              name: 'main',
              image,
              imagePullPolicy: 'Never',
              command: ['node', '/client/rotating-client.mjs'],
              env: [
                { name: 'SCB_BUNDLE_DIR', value: '/bundle' },
                { name: 'NODE_PATH', value: '/driver' },
              ],
              volumeMounts: [
                { name: 'bundle', mountPath: '/bundle', readOnly: true },
                { name: 'client', mountPath: '/client', readOnly: true },
                { name: 'driver', mountPath: '/driver', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'bundle', secret: { secretName: `${bundleName}-scb` } },
            {
              name: 'client',
              hostPath: { path: path.join(repositoryRoot, 'test/e2e/clients'), type: 'Directory' },
            },
            { name: 'driver', hostPath: { path: nodeDriverModules(), type: 'Directory' } },
          ],
        },
      });
      await waitFor(
        () => core.readNamespacedPod({ namespace, name: clientPod }),
        podReady,
        'the client pod Ready',
      );
      timings['client pod Ready'] = `${secondsSince(createdAt)} s`;
      const v1 = await publishedVersion(1);
      await clientOn(1, v1.serialNumber);

      consumerBefore = await settledConsumer('the consumer Deployment settled on version 1');
      const askedAt = Date.now();
      await api.patchObject(namespace, 'secureconnectionbundles', bundleName, {
        metadata: { annotations: { 'scb-operator.io/rotate': 'node-1' } },
      });
      const v2 = await publishedVersion(2);
      // The kubelet, not the test, puts the new files into the pod (its syncFrequency is 10 s).
      const { events, connectedAt } = await clientOn(2, v2.serialNumber);
      const row = rotationRow(events, askedAt, v2.publishedAt, connectedAt);
      timings['rotation: Secret v2 → client pod on v2'] = `${row['Secret published → pod on it (s)']} s`;
      expect(v2.serialNumber).not.toBe(v1.serialNumber);
      expect(events.filter((e) => e.event === 'connected').map((e) => e.version)).toEqual([1, 2]);
      expect(failures(events)).toEqual([]);
    },
    rotationTimeoutMs * 2,
  );

  it(
    'the operator restarts the consumer Deployment for version 2, and the real controllers replace its pod',
    async () => {
      if (!consumerBefore) throw new Error('the rotation test did not run');
      const annotation = bundleVersionAnnotation(bundleName);
      const before = consumerBefore.pods.map((pod) => pod.metadata?.name);
      const after = await waitFor(
        () => settledConsumer('the consumer Deployment rolled and settled'),
        ({ deployment, pods }) =>
          deployment.spec?.template.metadata?.annotations?.[annotation] === '2' &&
          pods.every((pod) => !before.includes(pod.metadata?.name)),
        'the consumer rolled for version 2',
        rotationTimeoutMs,
      );
      expect(after.pods[0]?.metadata?.annotations?.[annotation]).toBe('2');
      expect(after.pods[0]?.metadata?.ownerReferences?.[0]?.name).not.toBe(
        consumerBefore.pods[0]?.metadata?.ownerReferences?.[0]?.name,
      );
      expect(after.deployment.metadata?.generation).toBeGreaterThan(
        consumerBefore.deployment.metadata?.generation ?? 0,
      );
    },
    rotationTimeoutMs * 2,
  );

  it(
    'status.usage names the consumer Deployment (through the ReplicaSet its controller made) and the client pod on version 2',
    async () => {
      const expected = [
        {
          version: 2,
          pods: 2,
          workloadCount: 2,
          workloads: [
            { kind: 'Deployment', name: consumerName, pods: 1, secretNames: [`${bundleName}-scb`] },
            { kind: 'Pod', name: clientPod, pods: 1, secretNames: [`${bundleName}-scb`] },
          ],
        },
      ];
      // The replaced consumer pod counts until it is gone (it still runs while terminating).
      const bundle = await waitFor(
        () => api.getBundle(namespace, bundleName),
        (b) =>
          isDeepStrictEqual(b.status?.usage?.versions, expected) &&
          b.status?.usage?.consumers?.[0]?.templateVersion === 2,
        'the usage of version 2',
        rotationTimeoutMs,
      );
      expect(bundle.status?.usage?.versions).toEqual(expected);
      expect(bundle.status?.usage?.consumers).toEqual([
        { kind: 'Deployment', name: consumerName, templateVersion: 2 },
      ]);
    },
    rotationTimeoutMs,
  );

  it(
    'a client-CA rotation: Cassandra trusts the new CA, and the client pod moves to version 3 through the kubelet without a failed query',
    async () => {
      const askedAt = Date.now();
      const { before, after } = await rotateClientCa(
        api,
        namespace,
        clusterName,
        'node-ca-2',
        rotationTimeoutMs,
      );
      // The old intermediate stays trusted beside the new one and the root.
      expect(after.status?.previousClientCAs?.map((ca) => ca.sha256Fingerprint)).toEqual([
        before.status?.clientCA?.sha256Fingerprint,
      ]);
      // What a Cassandra node does when its mounted trust-bundle ConfigMap changes.
      const trust = await core.readNamespacedConfigMap({ namespace, name: `${clusterName}-client-ca` });
      await cassandra!.reloadClientTrust(trust.data?.['ca.crt'] ?? '');
      const v3 = await publishedVersion(3);
      const { events, connectedAt } = await clientOn(3, v3.serialNumber);
      rotationRow(events, askedAt, v3.publishedAt, connectedAt);
      expect(failures(events)).toEqual([]);
      expect(new Set(events.filter((e) => e.event === 'query').map((e) => e.version))).toEqual(
        new Set([1, 2, 3]),
      );
    },
    rotationTimeoutMs * 2,
  );

  it(
    'deleting the bundle: the real garbage collector deletes the Secrets it owns',
    async () => {
      const bundle = await api.getBundle(namespace, bundleName);
      const uid = bundle.metadata?.uid;
      const owned = async () =>
        (await core.listNamespacedSecret({ namespace })).items.filter((secret) =>
          secret.metadata?.ownerReferences?.some((owner) => owner.uid === uid),
        );
      const ownedBefore = (await owned()).map((secret) => secret.metadata?.name);
      expect(ownedBefore).toContain(`${bundleName}-scb`);
      await controlPlane!.adminKubeConfig().makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
        group: 'scb-operator.io',
        version: 'v1alpha1',
        namespace,
        plural: 'secureconnectionbundles',
        name: bundleName,
      });
      await waitFor(
        owned,
        (secrets) => secrets.length === 0,
        `the Secrets of ${bundleName} to be collected`,
        120_000,
      );
    },
    rotationTimeoutMs,
  );
});
