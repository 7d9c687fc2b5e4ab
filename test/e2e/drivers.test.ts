/**
 * Real drivers against a real Cassandra 5.0 that requires mutual TLS, connecting with nothing but
 * an unpacked bundle: each test runs the example the bundle itself ships, with SCB_BUNDLE_DIR
 * pointing at it. Host, port and datacenter reach the clients only through the bundle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { createManagedCaHierarchy } from '../../src/pki/certificate-authority.js';
import { systemClock } from '../../src/time/clock.js';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import {
  cqlshBinDir,
  cqlshVersion,
  nodeDriverModules,
  nodeDriverVersion,
  pythonDriverInterpreter,
  pythonDriverVersion,
} from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';

const setupTimeoutMs = 300_000;
const clientTimeoutMs = 60_000;

let cassandra: Cassandra | undefined;
let workDir: string;
let bundleDir: string;
let foreignBundleDir: string;
let wrongServerCaBundleDir: string;
let nodeModules: string;
let python: string;
let cqlshBin: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}, cwd = repositoryRoot): Run {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: clientTimeoutMs,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function scbctl(...args: string[]): string {
  const result = run('node', ['--import', 'tsx', 'src/cli/scbctl.ts', ...args]);
  if (result.status !== 0) throw new Error(`scbctl ${args[0]} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function file(name: string, content: string, mode = 0o644): string {
  const target = path.join(workDir, name);
  writeFileSync(target, content, { mode });
  return target;
}

type ClientCa = Awaited<ReturnType<typeof createManagedCaHierarchy>>;

function createClientCa(name: string): Promise<ClientCa> {
  return createManagedCaHierarchy(
    {
      commonName: `${name} client CA`,
      rootDurationSeconds: 24 * 3600,
      intermediateDurationSeconds: 12 * 3600,
    },
    systemClock,
  );
}

/** `scbctl generate` a bundle for the cluster manifest, issued by the given client CA, and unpack it. */
function issueBundle(name: string, clientCa: ClientCa, clusterManifest: string, serverCa: string): string {
  const bundleManifest = file(
    `${name}-scb.yaml`,
    yaml.dump({
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'SecureConnectionBundle',
      metadata: { name },
      spec: { clusterRef: { name: 'e2e-cluster' }, duration: '2h' },
    }),
  );
  const signingKey = path.join(workDir, `${name}-signing.key`);
  scbctl('signing-key', 'generate', '--out', signingKey);
  const zip = path.join(workDir, `secure-connect-${name}.zip`);
  scbctl(
    'generate',
    '--cluster',
    clusterManifest,
    '--bundle',
    bundleManifest,
    '--namespace',
    'e2e',
    '--server-ca',
    serverCa,
    '--client-ca-cert',
    file(`${name}-ca.crt`, clientCa.intermediatePem.certificatePem),
    '--client-ca-key',
    file(`${name}-ca.key`, clientCa.intermediatePem.privateKeyPem, 0o600),
    '--client-ca-chain',
    file(`${name}-ca-chain.crt`, clientCa.intermediatePem.chainPem ?? ''),
    '--signing-key',
    signingKey,
    '--out',
    zip,
  );
  const dir = path.join(workDir, name);
  scbctl('unpack', zip, '--out', dir);
  return dir;
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-e2e-'));
  nodeModules = nodeDriverModules();
  python = pythonDriverInterpreter();
  cqlshBin = cqlshBinDir();

  const serverCa = await createCertificateAuthority('scb-operator e2e Cassandra server CA');
  const serving = await serverCa.issueServingCertificate(['127.0.0.1'], ['localhost']);
  const clientCa = await createClientCa('e2e-app');
  const foreignClientCa = await createClientCa('foreign-app');
  // Only the root is trusted: the node accepts a client only if the bundle's cert carries the
  // intermediate that links it there.
  cassandra = await startCassandra({
    serverCertPem: serving.certificatePem,
    serverKeyPem: serving.privateKeyPem,
    clientCaTrustPem: clientCa.rootPem.certificatePem,
    log: (message) => console.log(`[cassandra] ${message}`),
  });

  // The manifest an operator user would apply, describing the node that just started.
  const clusterManifest = file(
    'cluster.yaml',
    yaml.dump({
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'CassandraClusterRef',
      metadata: { name: 'e2e-cluster' },
      spec: {
        connection: {
          contactPoints: [cassandra.host],
          port: cassandra.port,
          localDatacenter: cassandra.datacenter,
        },
        serverCA: { configMapRef: { name: 'e2e-server-ca' } },
        clientCA: { managed: {} },
      },
    }),
  );
  const serverCaPath = file('server-ca.crt', serverCa.certificatePem);
  bundleDir = issueBundle('e2e-app', clientCa, clusterManifest, serverCaPath);
  foreignBundleDir = issueBundle('foreign-app', foreignClientCa, clusterManifest, serverCaPath);
  // A trusted client identity, but a ca.crt that did not sign the node: the client must refuse.
  const otherServerCa = await createCertificateAuthority('unrelated server CA');
  wrongServerCaBundleDir = issueBundle(
    'wrong-server-ca',
    clientCa,
    clusterManifest,
    file('other-server-ca.crt', otherServerCa.certificatePem),
  );
}, setupTimeoutMs);

afterAll(async () => {
  await cassandra?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function pythonExample(dir: string): Run {
  return run(python, [path.join(dir, 'platforms/python/example.py')], { SCB_BUNDLE_DIR: dir }, dir);
}

function nodeExample(dir: string): Run {
  return run(
    'node',
    [path.join(dir, 'platforms/nodejs/example.js')],
    { SCB_BUNDLE_DIR: dir, NODE_PATH: nodeModules },
    dir,
  );
}

describe('real drivers with only the bundle', () => {
  it(
    `Node.js cassandra-driver ${nodeDriverVersion}: the bundle's example.js prints the server's release_version`,
    () => {
      const result = nodeExample(bundleDir);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout.trim()).toBe(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    `Python cassandra-driver ${pythonDriverVersion}: the bundle's example.py prints the server's release_version`,
    () => {
      const result = pythonExample(bundleDir);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout.trim()).toBe(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    `cqlsh ${cqlshVersion}: the bundle's release-version.sh, with the bundle's cqlshrc, prints the server's release_version`,
    () => {
      const result = run('sh', [path.join(bundleDir, 'platforms/cqlsh/release-version.sh')], {
        SCB_BUNDLE_DIR: bundleDir,
        PATH: `${cqlshBin}:${process.env['PATH'] ?? ''}`,
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      // cqlsh prints a table: the column name, a rule, the value, the row count.
      expect(result.stdout.split('\n').map((line) => line.trim())).toContain(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    'a bundle issued by a client CA the node does not trust is refused in the TLS handshake',
    () => {
      const result = nodeExample(foreignBundleDir);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/NoHostAvailableError/);
      // The node ends the handshake with a TLS alert once it has checked the client certificate.
      expect(result.stderr).toMatch(/ERR_SSL_TLSV1_ALERT|SSL alert number|ECONNRESET/);
    },
    clientTimeoutMs,
  );

  it(
    'a bundle whose ca.crt did not sign the node is refused by the Node.js and Python clients',
    () => {
      const node = nodeExample(wrongServerCaBundleDir);
      expect(node.status).not.toBe(0);
      expect(node.stdout).toBe('');
      expect(node.stderr).toMatch(/unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
      const python = pythonExample(wrongServerCaBundleDir);
      expect(python.status).not.toBe(0);
      expect(python.stdout).toBe('');
      expect(python.stderr).toMatch(/CERTIFICATE_VERIFY_FAILED/);
    },
    clientTimeoutMs,
  );
});
