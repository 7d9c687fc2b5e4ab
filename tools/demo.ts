/**
 * The main job, end to end on this machine: a real control plane (etcd + kube-apiserver) with the
 * CRDs, the real operator as its own process, the managed-CA cluster ref and the minimal bundle
 * from examples/ applied with the real kubectl, and the bundle the operator issued read back from
 * its Secret, verified against the operator's published signing key and unpacked.
 *
 *   node --import tsx tools/demo.ts [--out DIR] [--keep] [--node]
 *
 * `--keep` leaves the control plane and the operator running until Ctrl-C. `--node` runs the
 * operator the way users do instead: a real node (kubelet, containerd, scheduler,
 * controller-manager; test/support/node.ts) and `helm install` of the chart with the image built
 * from the Dockerfile (tools/image/build.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { exitOnSignals, startControlPlane, type ControlPlane } from '../test/support/control-plane.js';
import { operatorImageDir, startNode } from '../test/support/node.js';
import { podReady } from '../test/support/node-pods.js';
import { waitFor } from '../test/support/operator-fixtures.js';
import { startOperatorProcess } from '../test/support/operator-process.js';
import { chartDir, helm } from '../test/support/packaging.js';

const repo = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outDir = path.resolve(
  args.includes('--out') ? (args[args.indexOf('--out') + 1] ?? 'out/demo') : 'out/demo',
);
const keep = args.includes('--keep');
const onNode = args.includes('--node');
const namespace = 'scb-demo';
const bundleName = 'orders-app';
const clusterName = 'orders-cluster';
const startedAt = Date.now();

const say = (text: string): void => console.log(`\n\x1b[1m== ${text}\x1b[0m`);
const note = (text: string): void => console.log(`   ${text.replaceAll('\n', '\n   ')}`);
const run = (command: string, commandArgs: string[]): string =>
  execFileSync(command, commandArgs, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const scbctl = (...scbctlArgs: string[]): string => run('node', ['dist/cli/scbctl.js', ...scbctlArgs]);

exitOnSignals();
say('starting a real control plane (etcd + kube-apiserver) and installing the CRDs');
const controlPlane = await startControlPlane({ serviceAccountAdmission: onNode, log: note });
note(`ready in ${(controlPlane.startupMs / 1000).toFixed(1)} s at ${controlPlane.server}`);
const kubectlBin = path.join(controlPlane.connection.binDir, 'kubectl');
const kubectl = (...kubectlArgs: string[]): string =>
  run(kubectlBin, ['--kubeconfig', controlPlane.kubeconfigPath, '-n', namespace, ...kubectlArgs]);

kubectl('create', 'namespace', namespace);
interface RunningOperator {
  where: string;
  /** The operator's JSON log lines. */
  logLines(): string[];
  stop(): Promise<void>;
}

/** The operator as its own process, as in the tests. */
function operatorProcess(): RunningOperator {
  say(`starting the operator (src/operator/main.ts), watching namespace ${namespace}`);
  const operator = startOperatorProcess({
    kubeconfig: controlPlane.kubeconfigPath,
    namespace,
    leaderElect: false,
    extraArgs: ['--log-level', 'info'],
  });
  return {
    where: `pid ${operator.pid}`,
    logLines: () => operator.logs.map((line) => JSON.stringify(line)),
    stop: async () => {
      operator.kill('SIGTERM');
      await operator.exited;
    },
  };
}

/** A real node, and the chart installed with the image built from the Dockerfile. */
async function operatorOnNode(plane: ControlPlane): Promise<RunningOperator> {
  say('starting a real node (containerd, kubelet, scheduler, controller-manager) with the built image');
  const imageDir = operatorImageDir();
  const node = await startNode(plane, { imageArchives: [path.join(imageDir, 'image.tar')], log: note });
  say(`helm install scb-operator charts/scb-operator -n ${namespace} --set image.pullPolicy=Never`);
  const installedAt = Date.now();
  await helm([
    'install',
    'scb-operator',
    chartDir,
    `--kubeconfig=${plane.kubeconfigPath}`,
    `--namespace=${namespace}`,
    '--set=image.pullPolicy=Never',
  ]);
  const core = plane.adminKubeConfig().makeApiClient(CoreV1Api);
  const pods = async () =>
    (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=scb-operator' })).items;
  const ready = await waitFor(
    pods,
    (items) => items.length === 2 && items.every(podReady),
    'operator pods',
    180_000,
  );
  note(
    `${ready.length} operator pods of ${readFileSync(path.join(imageDir, 'name'), 'utf8').trim()} Ready ` +
      `${((Date.now() - installedAt) / 1000).toFixed(1)} s after helm install`,
  );
  return {
    where: `pods ${ready.map((pod) => pod.metadata?.name).join(', ')}`,
    logLines: () => ready.flatMap((pod) => node.podLog(namespace, pod.metadata?.name ?? '', 'operator')),
    stop: () => node.stop(),
  };
}

const operator = onNode ? await operatorOnNode(controlPlane) : operatorProcess();
// The operator's JSON log goes to a file: the demo prints what kubectl and scbctl show.
const operatorLog = path.join(outDir, 'operator.log');
const saveOperatorLog = (): void => {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(operatorLog, operator.logLines().join('\n') + '\n');
};
try {
  note(`the operator runs as ${operator.where}`);

  say(`kubectl apply -n ${namespace}   (the managed-CA cluster ref and the minimal bundle from examples/)`);
  process.stdout.write(
    kubectl(
      'apply',
      '-f',
      'examples/cassandraclusterref-managed-ca.yaml',
      '-f',
      'examples/secureconnectionbundle-minimal.yaml',
    ),
  );

  say(`kubectl wait --for=condition=Ready scb/${bundleName} --timeout=60s`);
  const applied = Date.now();
  process.stdout.write(kubectl('wait', '--for=condition=Ready', `scb/${bundleName}`, '--timeout=60s'));
  note(`Ready ${((Date.now() - applied) / 1000).toFixed(1)} s after the apply`);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const secretName = kubectl('get', `scb/${bundleName}`, '-o', 'jsonpath={.status.secretName}');
  const zipName = `secure-connect-${bundleName}.zip`;
  const zipPath = path.join(outDir, zipName);
  say(`reading ${zipName} from Secret ${secretName} and the signing public key from its ConfigMap`);
  const jsonKey = (key: string): string => key.replaceAll('.', '\\.');
  writeFileSync(
    zipPath,
    Buffer.from(kubectl('get', 'secret', secretName, '-o', `jsonpath={.data.${jsonKey(zipName)}}`), 'base64'),
    { mode: 0o600 },
  );
  const publicKey = path.join(outDir, 'signing-key.pub.pem');
  writeFileSync(
    publicKey,
    kubectl(
      'get',
      'configmap',
      'scb-operator-signing-key',
      '-o',
      `jsonpath={.data.${jsonKey('signing-key.pub.pem')}}`,
    ),
  );
  // The cluster's client-CA trust bundle: what Cassandra's truststore holds, root included.
  const clientCa = path.join(outDir, `${clusterName}-client-ca.crt`);
  writeFileSync(
    clientCa,
    kubectl('get', 'configmap', `${clusterName}-client-ca`, '-o', `jsonpath={.data.${jsonKey('ca.crt')}}`),
  );
  note(`written: ${[zipPath, publicKey, clientCa].map((file) => path.relative(repo, file)).join(', ')}`);

  say(`scbctl verify ${zipName} --public-key signing-key.pub.pem --client-ca ${clusterName}-client-ca.crt`);
  process.stdout.write(scbctl('verify', zipPath, '--public-key', publicKey, '--client-ca', clientCa));
  say(`scbctl inspect ${zipName}`);
  process.stdout.write(scbctl('inspect', zipPath));
  const unpacked = path.join(outDir, 'bundle');
  scbctl('unpack', zipPath, '--out', unpacked);
  note(`unpacked into ${path.relative(repo, unpacked)}/ (secret files with mode 0600)`);

  say(`kubectl get scb-all -n ${namespace} -o wide`);
  process.stdout.write(kubectl('get', 'scb-all', '-o', 'wide'));
  say(`kubectl get events.events.k8s.io -n ${namespace}`);
  process.stdout.write(kubectl('get', 'events.events.k8s.io', '--sort-by=.metadata.creationTimestamp'));

  saveOperatorLog();
  say(`done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: what you just saw`);
  note(
    [
      `- The operator made the cluster's client CA (root -> intermediate) itself, kept it in a Secret,`,
      `  and published the certificates Cassandra must trust in ConfigMap ${clusterName}-client-ca.`,
      `- For SecureConnectionBundle ${bundleName} it issued version 1: a client certificate from that CA,`,
      `  keystores, 13 platforms' configuration and a signed manifest, zipped into Secret ${secretName}`,
      `  (the zip plus its top-level files) and an immutable Secret for the version.`,
      `- scbctl verify checked that zip offline against the public key the operator publishes in`,
      `  ConfigMap scb-operator-signing-key, and the certificate against the cluster's trust bundle.`,
      `- The operator renews the certificate at two thirds of its life (90 days by default) as a new`,
      `  version in the same Secret; Events record each issue. An IssuanceFailed event with`,
      `  ClusterRefNotReady just means the bundle arrived before its cluster ref was Ready; the`,
      `  operator retried by itself.`,
      `Files: ${path.relative(repo, zipPath)}, unpacked in ${path.relative(repo, unpacked)}/;`,
      `the operator's JSON log is in ${path.relative(repo, operatorLog)}.`,
    ].join('\n'),
  );
  if (keep) {
    note(
      `control plane and operator still running: export KUBECONFIG=${controlPlane.kubeconfigPath}; Ctrl-C stops them`,
    );
    await new Promise(() => undefined);
  }
} catch (error) {
  saveOperatorLog();
  console.error(`\ndemo failed; the operator's log is in ${path.relative(repo, operatorLog)}`);
  throw error;
} finally {
  await operator.stop();
  await controlPlane.stop();
}
