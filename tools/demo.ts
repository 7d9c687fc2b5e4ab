/**
 * The main job, end to end on this machine: a real control plane (etcd + kube-apiserver), the CRDs,
 * the examples applied with the real kubectl, and a signed bundle written out with scbctl.
 *
 * Until the operator exists (issue "operator"), the bundle is made offline by `scbctl generate`
 * from the same CassandraClusterRef and SecureConnectionBundle manifests that were applied.
 *
 *   node --import tsx tools/demo.ts [--out DIR] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { createManagedCaHierarchy } from '../src/pki/certificate-authority.js';
import { systemClock } from '../src/time/clock.js';
import { exitOnSignals, startControlPlane } from '../test/support/control-plane.js';

const repo = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outDir = path.resolve(
  args.includes('--out') ? (args[args.indexOf('--out') + 1] ?? 'out/demo') : 'out/demo',
);
const keep = args.includes('--keep');
const namespace = 'scb-demo';
const clusterManifest = path.join(repo, 'examples/cassandraclusterref-managed-ca.yaml');
const bundleManifest = path.join(repo, 'examples/secureconnectionbundle-minimal.yaml');

const say = (text: string): void => console.log(`\n\x1b[1m== ${text}\x1b[0m`);
const run = (command: string, commandArgs: string[]): string =>
  execFileSync(command, commandArgs, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

exitOnSignals();
say('starting a real control plane (etcd + kube-apiserver) and installing the CRDs');
const controlPlane = await startControlPlane({ log: (message) => console.log(`   ${message}`) });
console.log(`   ready in ${(controlPlane.startupMs / 1000).toFixed(1)} s at ${controlPlane.server}`);
const kubectlBin = path.join(controlPlane.connection.binDir, 'kubectl');
const kubectl = (...kubectlArgs: string[]): string =>
  run(kubectlBin, ['--kubeconfig', controlPlane.kubeconfigPath, ...kubectlArgs]);

try {
  say(`kubectl apply -n ${namespace} -f examples/`);
  kubectl('create', 'namespace', namespace);
  process.stdout.write(kubectl('apply', '-n', namespace, '-f', 'examples/'));
  say(`kubectl get scb-all -n ${namespace}   (no operator yet: no status)`);
  process.stdout.write(kubectl('get', 'scb-all', '-n', namespace));

  say('making a demo client CA (root -> intermediate) and a manifest signing key');
  rmSync(outDir, { recursive: true, force: true });
  const pkiDir = path.join(outDir, 'pki');
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const hierarchy = await createManagedCaHierarchy(
    {
      commonName: 'orders-cluster client CA',
      rootDurationSeconds: 87600 * 3600,
      intermediateDurationSeconds: 8760 * 3600,
    },
    systemClock,
  );
  const file = (name: string, content: string, mode = 0o644): string => {
    const target = path.join(pkiDir, name);
    writeFileSync(target, content, { mode });
    return target;
  };
  const clientCaCert = file('client-ca.crt', hierarchy.intermediatePem.certificatePem);
  const clientCaKey = file('client-ca.key', hierarchy.intermediatePem.privateKeyPem, 0o600);
  const clientCaChain = file('client-ca-chain.crt', hierarchy.intermediatePem.chainPem ?? '');
  const clientCaRoot = file('client-ca-root.crt', hierarchy.rootPem.certificatePem);
  const serverCa = file('server-ca.crt', serverCaFromExample());
  const signingKey = path.join(pkiDir, 'signing.key');
  const scbctl = (...scbctlArgs: string[]): string => run('node', ['dist/cli/scbctl.js', ...scbctlArgs]);
  scbctl('signing-key', 'generate', '--out', signingKey);
  const signingPub = file('signing.pub', scbctl('signing-key', 'public', '--key', signingKey));
  console.log(`   written to ${path.relative(repo, pkiDir)}/ (keys with mode 0600)`);

  const zipPath = path.join(outDir, 'secure-connect-orders-app.zip');
  say('scbctl generate   (the same manifests that were applied)');
  process.stdout.write(
    scbctl(
      'generate',
      '--cluster',
      clusterManifest,
      '--bundle',
      bundleManifest,
      '--namespace',
      namespace,
      '--server-ca',
      serverCa,
      '--client-ca-cert',
      clientCaCert,
      '--client-ca-key',
      clientCaKey,
      '--client-ca-chain',
      clientCaChain,
      '--signing-key',
      signingKey,
      '--out',
      zipPath,
    ),
  );
  say('scbctl verify');
  process.stdout.write(scbctl('verify', zipPath, '--public-key', signingPub, '--client-ca', clientCaRoot));
  say('scbctl inspect');
  process.stdout.write(scbctl('inspect', zipPath));
  scbctl('unpack', zipPath, '--out', path.join(outDir, 'unpacked'));
  say(`done: ${path.relative(repo, zipPath)} and its files in ${path.relative(repo, outDir)}/unpacked/`);
  if (keep) {
    console.log(
      `   control plane still running: export KUBECONFIG=${controlPlane.kubeconfigPath}; Ctrl-C stops it`,
    );
    await new Promise(() => undefined);
  }
} finally {
  if (!keep) await controlPlane.stop();
}

function exampleDocuments(): Record<string, unknown>[] {
  return yaml.loadAll(readFileSync(clusterManifest, 'utf8')) as Record<string, unknown>[];
}

function serverCaFromExample(): string {
  const configMap = exampleDocuments().find((doc) => doc.kind === 'ConfigMap') as {
    data: { 'ca.crt': string };
  };
  return configMap.data['ca.crt'];
}
