/**
 * Passwordless mutual TLS: Cassandra 5.0's MutualTlsAuthenticator takes a client's identity from
 * the `spiffe://` URI SAN of its certificate and logs it in as the role `ADD IDENTITY` mapped it
 * to. Nobody can log in to map the first identity under that authenticator, so the node starts
 * with password authentication, a superuser maps bundle A's SPIFFE ID to a role and grants it one
 * table, and the node restarts with MutualTlsAuthenticator on the same data (the procedure
 * Cassandra's documentation gives). Bundle B comes from the same trusted CA with another identity.
 *
 * The node asks every client to authenticate even then; each client the bundle configures must
 * answer with an empty token on its own: Node.js, Python, cqlsh (its platform profile), the Java
 * driver (the bundle's application.conf and auth provider class) and gocql.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { cqlshBinDir, nodeDriverModules, pythonDriverInterpreter } from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { goEnv, mavenArgs } from '../support/drivers-install.js';
import {
  ansiEscape,
  createBundleWorkspace,
  createClientCa,
  lastLine,
  runClient,
  unexpectedJavaStderr,
  type BundleWorkspace,
  type ClientRun,
} from '../support/drivers.js';

const setupTimeoutMs = 300_000;
const clientTimeoutMs = 60_000;
// A cold Maven or Go build downloads the driver and its dependencies first.
const buildTimeoutMs = 540_000;
const trustDomain = 'e2e.test';
const intruderSpiffeId = `spiffe://${trustDomain}/ns/other/scb/intruder`;
const readTableScript = path.join(repositoryRoot, 'test/e2e/clients/read_table.py');

let cassandra: Cassandra | undefined;
let workspace: BundleWorkspace | undefined;
let bundleA: string;
let bundleB: string;
let spiffeIdA: string;
let nodeModules: string;
let python: string;

function spiffeIdOf(bundleDir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'manifest.json'), 'utf8')) as {
    identity: { spiffeId: string };
  };
  return manifest.identity.spiffeId;
}

/** Runs CQL as the default superuser over the bundle's TLS settings (password mode only). */
async function asSuperuser(bundleDir: string, statements: string): Promise<void> {
  const cqlsh = path.join(cqlshBinDir(), 'cqlsh');
  const args = ['--cqlshrc', './cqlshrc', '--ssl', '-u', 'cassandra', '-p', 'cassandra', '-e', statements];
  // The node creates the default superuser just after it starts listening.
  for (let attempt = 1; ; attempt += 1) {
    const result = runClient(cqlsh, args, { cwd: bundleDir, timeoutMs: clientTimeoutMs });
    if (result.status === 0) return;
    if (attempt === 20 || !/incorrect|AuthenticationFailed/.test(result.stderr)) {
      throw new Error(`cqlsh as superuser failed (exit ${result.status}):\n${result.stderr}`);
    }
    await sleep(1000);
  }
}

beforeAll(async () => {
  nodeModules = nodeDriverModules();
  python = pythonDriverInterpreter();
  workspace = await createBundleWorkspace();
  const clientCa = await createClientCa('e2e-passwordless');
  cassandra = await startCassandra({
    serverCertPem: workspace.serving.certificatePem,
    serverKeyPem: workspace.serving.privateKeyPem,
    clientCaTrustPem: clientCa.rootPem.certificatePem,
    authentication: 'password',
    log: (message) => console.log(`[cassandra] ${message}`),
  });
  // A's SPIFFE ID comes from the cluster's trust domain; B's is given on the command line.
  workspace.describeCluster(cassandra, trustDomain);
  bundleA = workspace.issueBundle('app-a', { clientCa });
  bundleB = workspace.issueBundle('app-b', { clientCa, spiffeId: intruderSpiffeId });
  spiffeIdA = spiffeIdOf(bundleA);

  await asSuperuser(
    bundleA,
    [
      'CREATE ROLE app_a WITH LOGIN = true;',
      "CREATE KEYSPACE orders WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};",
      'CREATE TABLE orders.items (id int PRIMARY KEY, name text);',
      "INSERT INTO orders.items (id, name) VALUES (1, 'granted-row');",
      'CREATE TABLE orders.secrets (id int PRIMARY KEY, name text);',
      "INSERT INTO orders.secrets (id, name) VALUES (1, 'secret-row');",
      'GRANT SELECT ON TABLE orders.items TO app_a;',
      `ADD IDENTITY '${spiffeIdA}' TO ROLE 'app_a';`,
    ].join('\n'),
  );
  await cassandra.restart('mutualTls');
}, setupTimeoutMs);

afterAll(async () => {
  await cassandra?.stop();
  workspace?.remove();
});

function nodeExample(dir: string): ClientRun {
  return runClient('node', [path.join(dir, 'platforms/nodejs/example.js')], {
    env: { SCB_BUNDLE_DIR: dir, NODE_PATH: nodeModules },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function pythonExample(dir: string): ClientRun {
  return runClient(python, [path.join(dir, 'platforms/python/example.py')], {
    env: { SCB_BUNDLE_DIR: dir },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

function cqlshScript(dir: string): ClientRun {
  return runClient('sh', [path.join(dir, 'platforms/cqlsh/release-version.sh')], {
    env: { SCB_BUNDLE_DIR: dir, PATH: `${cqlshBinDir()}:${process.env['PATH'] ?? ''}` },
    timeoutMs: clientTimeoutMs,
  });
}

/** The README's command: `cd platforms/go-gocql && go mod tidy && SCB_BUNDLE_DIR=../.. go run .` */
function gocqlExample(dir: string): ClientRun {
  const cwd = path.join(dir, 'platforms/go-gocql');
  const env = goEnv();
  const tidy = runClient('go', ['mod', 'tidy'], { cwd, env, timeoutMs: buildTimeoutMs });
  if (tidy.status !== 0) throw new Error(`go mod tidy failed:\n${tidy.stderr}`);
  return runClient('go', ['run', '.'], {
    cwd,
    env: { ...env, SCB_BUNDLE_DIR: '../..' },
    timeoutMs: buildTimeoutMs,
  });
}

/** The README's command: `cd platforms/java-driver-4 && SCB_BUNDLE_DIR=../.. mvn -q compile exec:java` */
function javaExample(dir: string): ClientRun {
  return runClient('mvn', [...mavenArgs(), '-q', 'compile', 'exec:java'], {
    cwd: path.join(dir, 'platforms/java-driver-4'),
    env: { SCB_BUNDLE_DIR: '../..' },
    timeoutMs: buildTimeoutMs,
  });
}

function report(client: string, run: ClientRun): void {
  console.log(`[client] passwordless ${client}: exit ${run.status} in ${run.seconds.toFixed(1)} s`);
}

function readTable(dir: string, query: string): ClientRun {
  return runClient(python, [readTableScript, query], {
    env: { SCB_BUNDLE_DIR: dir },
    cwd: dir,
    timeoutMs: clientTimeoutMs,
  });
}

describe('passwordless mutual TLS (MutualTlsAuthenticator, SPIFFE identities)', () => {
  it('the bundles carry the SPIFFE IDs the test maps: A from the trust domain, B from --spiffe-id', () => {
    expect(spiffeIdA).toBe(`spiffe://${trustDomain}/ns/e2e/scb/app-a`);
    expect(spiffeIdOf(bundleB)).toBe(intruderSpiffeId);
  });

  it(
    "bundle A's own Node.js and Python examples log in with the certificate alone and print release_version",
    () => {
      for (const run of [nodeExample(bundleA), pythonExample(bundleA)]) {
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
        expect(run.stdout.trim()).toBe(cassandra?.version);
      }
    },
    clientTimeoutMs,
  );

  it(
    "bundle A's cqlsh script, with the bundle's passwordless cqlsh profile, prints release_version",
    () => {
      const run = cqlshScript(bundleA);
      report('cqlsh', run);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      // cqlsh prints a table: the column name, a rule, the value, the row count.
      expect(run.stdout.split('\n').map((line) => line.trim())).toContain(cassandra?.version);
    },
    clientTimeoutMs,
  );

  it(
    "bundle A's gocql example answers the node with an empty token and prints release_version",
    () => {
      const run = gocqlExample(bundleA);
      report('gocql', run);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout.trim()).toBe(cassandra?.version);
    },
    buildTimeoutMs * 2,
  );

  it(
    "bundle A's Java driver example logs in through the bundle's application.conf and CertificateAuthProvider",
    () => {
      const run = javaExample(bundleA);
      report('Java driver', run);
      // Maven prints a failed program's exception on stdout.
      const failure = run.status === 0 ? '' : run.stdout.replaceAll(ansiEscape, '').slice(-3000);
      expect({ status: run.status, stderr: unexpectedJavaStderr(run.stderr), failure }).toEqual({
        status: 0,
        stderr: '',
        failure: '',
      });
      expect(lastLine(run.stdout.replaceAll(ansiEscape, ''))).toBe(cassandra?.version);
    },
    buildTimeoutMs,
  );

  it(
    "bundle A's role reads the table granted to it, and is refused a table it was not granted",
    () => {
      const granted = readTable(bundleA, 'SELECT name FROM orders.items');
      expect({ status: granted.status, stderr: granted.stderr }).toEqual({ status: 0, stderr: '' });
      expect(granted.stdout.trim()).toBe('granted-row');

      const notGranted = readTable(bundleA, 'SELECT name FROM orders.secrets');
      expect(notGranted.status).not.toBe(0);
      expect(notGranted.stdout).toBe('');
      expect(notGranted.stderr).toMatch(/User app_a has no SELECT permission on <table orders\.secrets>/);
    },
    clientTimeoutMs,
  );

  it(
    'bundle B, from the same trusted CA but with an unmapped SPIFFE ID, is refused, naming that identity',
    () => {
      // Python prints the server's message inside a repr, which escapes the quotes.
      const id = intruderSpiffeId.replaceAll('.', '\\.');
      const refusal = new RegExp(`Certificate identity \\\\?'${id}\\\\?' not authorized`);
      for (const run of [nodeExample(bundleB), pythonExample(bundleB)]) {
        expect(run.status).not.toBe(0);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(refusal);
      }
      const read = readTable(bundleB, 'SELECT name FROM orders.items');
      expect(read.status).not.toBe(0);
      expect(read.stdout).toBe('');
      expect(read.stderr).toMatch(refusal);
      // The same empty answer does not let cqlsh or gocql in with B's certificate either.
      for (const run of [cqlshScript(bundleB), gocqlExample(bundleB)]) {
        expect(run.status).not.toBe(0);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/Certificate identity .*not authorized/);
      }
    },
    buildTimeoutMs,
  );
});
