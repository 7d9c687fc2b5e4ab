/**
 * Real drivers against a real Cassandra 5.0 that requires mutual TLS, connecting with nothing but
 * an unpacked bundle: each test runs the example the bundle itself ships, with SCB_BUNDLE_DIR
 * pointing at it. Host, port and datacenter reach the clients only through the bundle.
 */
import path from 'node:path';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import {
  cqlshBinDir,
  cqlshVersion,
  nodeDriverModules,
  nodeDriverVersion,
  pythonDriverInterpreter,
  pythonDriverVersion,
} from '../support/cassandra-install.js';
import { createCertificateAuthority } from '../support/control-plane-pki.js';
import {
  createBundleWorkspace,
  createClientCa,
  runClient,
  type BundleWorkspace,
  type ClientRun,
} from '../support/drivers.js';

const setupTimeoutMs = 300_000;
const clientTimeoutMs = 60_000;

let cassandra: Cassandra | undefined;
let workspace: BundleWorkspace | undefined;
let bundleDir: string;
let foreignBundleDir: string;
let wrongServerCaBundleDir: string;
let expiredBundleDir: string;
let nodeModules: string;
let python: string;
let cqlshBin: string;

beforeAll(async () => {
  nodeModules = nodeDriverModules();
  python = pythonDriverInterpreter();
  cqlshBin = cqlshBinDir();

  workspace = await createBundleWorkspace();
  const clientCa = await createClientCa('e2e-app');
  const foreignClientCa = await createClientCa('foreign-app');
  // Only the root is trusted: the node accepts a client only if the bundle's cert carries the
  // intermediate that links it there.
  cassandra = await startCassandra({
    serverCertPem: workspace.serving.certificatePem,
    serverKeyPem: workspace.serving.privateKeyPem,
    clientCaTrustPem: clientCa.rootPem.certificatePem,
    log: (message) => console.log(`[cassandra] ${message}`),
  });
  workspace.describeCluster(cassandra);

  bundleDir = workspace.issueBundle('e2e-app', { clientCa });
  foreignBundleDir = workspace.issueBundle('foreign-app', { clientCa: foreignClientCa });
  // A trusted client identity, but a ca.crt that did not sign the node: the client must refuse.
  const otherServerCa = await createCertificateAuthority('unrelated server CA');
  wrongServerCaBundleDir = workspace.issueBundle('wrong-server-ca', {
    clientCa,
    serverCaPem: otherServerCa.certificatePem,
  });
  // Issued by the trusted CA six hours ago for two hours: everything but the date is right.
  expiredBundleDir = workspace.issueBundle('expired-app', {
    clientCa,
    now: new Date(Date.now() - 6 * 3600_000),
    duration: '2h',
  });
}, setupTimeoutMs);

afterAll(async () => {
  await cassandra?.stop();
  workspace?.remove();
});

function pythonExample(dir: string): ClientRun {
  return runClient(python, [path.join(dir, 'platforms/python/example.py')], {
    env: { SCB_BUNDLE_DIR: dir },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function nodeExample(dir: string): ClientRun {
  return runClient('node', [path.join(dir, 'platforms/nodejs/example.js')], {
    env: { SCB_BUNDLE_DIR: dir, NODE_PATH: nodeModules },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function report(client: string, run: ClientRun): void {
  console.log(`[client] ${client}: exit ${run.status} in ${run.seconds.toFixed(1)} s`);
}

describe('real drivers with only the bundle', () => {
  it(
    `Node.js cassandra-driver ${nodeDriverVersion}: the bundle's example.js prints the server's release_version`,
    () => {
      const result = nodeExample(bundleDir);
      report(`Node.js cassandra-driver ${nodeDriverVersion}`, result);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout.trim()).toBe(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    `Python cassandra-driver ${pythonDriverVersion}: the bundle's example.py prints the server's release_version`,
    () => {
      const result = pythonExample(bundleDir);
      report(`Python cassandra-driver ${pythonDriverVersion}`, result);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout.trim()).toBe(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    `cqlsh ${cqlshVersion}: the bundle's release-version.sh, with the bundle's cqlshrc, prints the server's release_version`,
    () => {
      const result = runClient('sh', [path.join(bundleDir, 'platforms/cqlsh/release-version.sh')], {
        env: { SCB_BUNDLE_DIR: bundleDir, PATH: `${cqlshBin}:${process.env['PATH'] ?? ''}` },
        timeoutMs: clientTimeoutMs,
      });
      report(`cqlsh ${cqlshVersion}`, result);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      // cqlsh prints a table: the column name, a rule, the value, the row count.
      expect(result.stdout.split('\n').map((line) => line.trim())).toContain(cassandra?.version);
    },
    clientTimeoutMs,
  );
});

describe('connections the node or the client must refuse, saying why', () => {
  // Both examples ask the node why it refused, over a bare TLS connection, and print its alert.
  // Cassandra 5 answers an unknown issuer with alert 80 (internal error), which names no cause.
  const untrusted =
    /the node refused the client certificate: (certificate unknown|unknown ca|bad certificate|internal error) \(.*does not trust the CA that issued this bundle/;
  const expired =
    /the node refused the client certificate: certificate expired \(the bundle's certificate has expired; use a renewed bundle\)/;

  const refusals = [
    {
      bundle: 'a bundle issued by a client CA the node does not trust',
      outcome: 'is refused in the TLS handshake',
      dir: () => foreignBundleDir,
      says: untrusted,
    },
    {
      bundle: 'a bundle whose certificate has expired',
      outcome: 'is refused by the node, and the client says it expired',
      dir: () => expiredBundleDir,
      says: expired,
    },
  ];
  it.each(
    refusals.flatMap((refusal) => [
      { client: 'Node.js', example: nodeExample, ...refusal },
      { client: 'Python', example: pythonExample, ...refusal },
    ]),
  )(
    '$client: $bundle $outcome',
    ({ example, dir, says }) => {
      const result = example(dir());
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/NoHostAvailable|Unable to connect to any servers/);
      expect(result.stderr).toMatch(says);
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
