/**
 * The compiled clients (Java driver 4.x, gocql) against a real Cassandra 5.0
 * that requires mutual TLS. Each is built from the project files the bundle ships under
 * `platforms/<id>/` and run with the exact command the bundle's README gives for it, with
 * SCB_BUNDLE_DIR pointing at the unpacked bundle: the programs learn host, port, datacenter and
 * key material only from the bundle. Toolchain downloads are cached (see drivers-install.ts);
 * a test builds first, then runs, and logs both times.
 *
 * The Rust scylla crate is not here: its cold release build (the bundle's Cargo.toml, `cargo
 * build --release`) took 558 s on the 2-core machine, over the 8-minute limit set for one client
 * in CI (see tools/drivers/README.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { goEnv, mavenArgs } from '../support/drivers-install.js';
import {
  ansiEscape,
  createBundleWorkspace,
  createClientCa,
  lastLine,
  runClient,
  runStep,
  unexpectedJavaStderr,
  type BundleWorkspace,
  type ClientRun,
} from '../support/drivers.js';

const setupTimeoutMs = 300_000;
// A cold build downloads the driver and its dependencies; a warm one reuses the cache.
const buildTimeoutMs = 540_000;
const runTimeoutMs = 120_000;

let cassandra: Cassandra | undefined;
let workspace: BundleWorkspace | undefined;
let bundleDir: string;

beforeAll(async () => {
  workspace = await createBundleWorkspace();
  const clientCa = await createClientCa('e2e-compiled');
  cassandra = await startCassandra({
    serverCertPem: workspace.serving.certificatePem,
    serverKeyPem: workspace.serving.privateKeyPem,
    clientCaTrustPem: clientCa.rootPem.certificatePem,
    log: (message) => console.log(`[cassandra] ${message}`),
  });
  workspace.describeCluster(cassandra);
  bundleDir = workspace.issueBundle('e2e-compiled', { clientCa });
}, setupTimeoutMs);

afterAll(async () => {
  await cassandra?.stop();
  workspace?.remove();
});

function platformDir(id: string): string {
  return path.join(bundleDir, 'platforms', id);
}

function report(client: string, build: ClientRun, run: ClientRun): void {
  console.log(
    `[client] ${client}: build ${build.seconds.toFixed(1)} s, run exit ${run.status} in ${run.seconds.toFixed(1)} s`,
  );
}

describe('compiled drivers with only the bundle', () => {
  it(
    "Java driver 4.x: the bundle's pom.xml builds ScbExample, which connects with the bundle's application.conf",
    () => {
      const dir = platformDir('java-driver-4');
      const driver = /<artifactId>(java-driver-core)<\/artifactId>\s*<version>([^<]+)</.exec(
        readFileSync(path.join(dir, 'pom.xml'), 'utf8'),
      );
      expect(driver).not.toBeNull();
      const build = runStep('mvn', [...mavenArgs(), '-q', 'compile'], {
        cwd: dir,
        timeoutMs: buildTimeoutMs,
      });
      // README: cd platforms/java-driver-4 && SCB_BUNDLE_DIR=../.. mvn -q compile exec:java
      const run = runClient('mvn', [...mavenArgs(), '-q', 'compile', 'exec:java'], {
        cwd: dir,
        env: { SCB_BUNDLE_DIR: '../..' },
        timeoutMs: runTimeoutMs,
      });
      report(`Java ${driver?.[1]} ${driver?.[2]}`, build, run);
      expect({ status: run.status, stderr: unexpectedJavaStderr(run.stderr) }).toEqual({
        status: 0,
        stderr: '',
      });
      expect(lastLine(run.stdout.replaceAll(ansiEscape, ''))).toBe(cassandra?.version);
    },
    buildTimeoutMs + runTimeoutMs,
  );

  it(
    "gocql: the bundle's go.mod and main.go build and print the server's release_version",
    () => {
      const dir = platformDir('go-gocql');
      const module = /^require (\S+) (\S+)$/m.exec(readFileSync(path.join(dir, 'go.mod'), 'utf8'));
      expect(module).not.toBeNull();
      const env = goEnv();
      // README: cd platforms/go-gocql && go mod tidy && SCB_BUNDLE_DIR=../.. go run .
      const tidy = runStep('go', ['mod', 'tidy'], { cwd: dir, env, timeoutMs: buildTimeoutMs });
      const compile = runStep(
        'go',
        ['build', '-o', path.join(workspace?.workDir ?? dir, 'gocql-example'), '.'],
        {
          cwd: dir,
          env,
          timeoutMs: buildTimeoutMs,
        },
      );
      const run = runClient('go', ['run', '.'], {
        cwd: dir,
        env: { ...env, SCB_BUNDLE_DIR: '../..' },
        timeoutMs: runTimeoutMs,
      });
      report(
        `gocql ${module?.[1]} ${module?.[2]}`,
        { ...compile, seconds: tidy.seconds + compile.seconds },
        run,
      );
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout.trim()).toBe(cassandra?.version);
    },
    buildTimeoutMs + runTimeoutMs,
  );
});
