/**
 * What the real-driver e2e tests share: a work folder, client CAs, the cluster manifest of a
 * running node, bundles made by `scbctl generate` exactly as a user would, and a way to run a
 * client program and keep what it printed and how long it took.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { createManagedCaHierarchy } from '../../src/pki/certificate-authority.js';
import { fixedClock, systemClock } from '../../src/time/clock.js';
import type { Cassandra } from './cassandra.js';
import { repositoryRoot } from './control-plane-binaries.js';
import { createCertificateAuthority, type CertificateAuthority } from './control-plane-pki.js';

export interface ClientRun {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface ClientRunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a client program to its end; a spawn failure or a timeout throws. */
export function runClient(command: string, args: string[], options: ClientRunOptions = {}): ClientRun {
  const startedAt = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repositoryRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds };
}

/** Like runClient, but a non-zero exit throws with what the program printed. */
export function runStep(command: string, args: string[], options: ClientRunOptions = {}): ClientRun {
  const result = runClient(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

// Maven resets the terminal colour around a program's output, even with -Dstyle.color=never.
export const ansiEscape = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * What a Java client printed to stderr beyond SLF4J's notice that the example has no logging
 * backend on its classpath (the driver logs through the SLF4J API; the user picks the backend).
 */
export function unexpectedJavaStderr(stderr: string): string {
  return stderr
    .replaceAll(ansiEscape, '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('SLF4J: '))
    .join('\n');
}

/** The last non-empty line a client printed: build tools may print before the program does. */
export function lastLine(output: string): string | undefined {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}

export type ClientCa = Awaited<ReturnType<typeof createManagedCaHierarchy>>;

const day = 24 * 3600;

/**
 * A managed client CA (root + issuing intermediate), valid from a day ago, so a bundle issued
 * "in the past" with `scbctl generate --now` chains to a CA that was valid then.
 */
export function createClientCa(name: string): Promise<ClientCa> {
  const dayAgo = new Date(systemClock.now().getTime() - day * 1000);
  return createManagedCaHierarchy(
    { commonName: `${name} client CA`, rootDurationSeconds: 4 * day, intermediateDurationSeconds: 3 * day },
    fixedClock(dayAgo),
  );
}

export interface BundleOptions {
  /** The client CA that signs the bundle's certificate. */
  clientCa: ClientCa;
  /** PEM written as the bundle's ca.crt; default: the CA that signed the node. */
  serverCaPem?: string;
  /** `--spiffe-id`; default: the one derived from the cluster's trust domain. */
  spiffeId?: string;
  /** `--now`: issue as of this time. */
  now?: Date;
  /** `--duration` (a Go duration); default the manifest's 2h. */
  duration?: string;
}

export interface BundleWorkspace {
  workDir: string;
  /** The CA that signed the node's serving certificate. */
  serverCa: CertificateAuthority;
  serving: { certificatePem: string; privateKeyPem: string };
  /** Writes the CassandraClusterRef manifest that describes the running node. */
  describeCluster(cassandra: Cassandra, trustDomain?: string): void;
  /** `scbctl generate` a bundle for the described cluster, unpack it, and return its folder. */
  issueBundle(name: string, options: BundleOptions): string;
  /** Writes a file into the work folder and returns its path. */
  file(name: string, content: string, mode?: number): string;
  remove(): void;
}

export const namespace = 'e2e';

/** A work folder with a server CA and the node's serving certificate for 127.0.0.1. */
export async function createBundleWorkspace(): Promise<BundleWorkspace> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-e2e-'));
  const serverCa = await createCertificateAuthority('scb-operator e2e Cassandra server CA');
  const serving = await serverCa.issueServingCertificate(['127.0.0.1'], ['localhost']);
  const file = (name: string, content: string, mode = 0o644): string => {
    const target = path.join(workDir, name);
    writeFileSync(target, content, { mode });
    return target;
  };
  const clusterManifest = path.join(workDir, 'cluster.yaml');
  const serverCaPath = file('server-ca.crt', serverCa.certificatePem);
  const signingKey = path.join(workDir, 'manifest-signing.key');
  scbctl('signing-key', 'generate', '--out', signingKey);

  return {
    workDir,
    serverCa,
    serving,
    file,
    describeCluster(cassandra, trustDomain) {
      // The manifest an operator user would apply, describing the node that is running.
      file(
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
            ...(trustDomain === undefined ? {} : { identity: { trustDomain } }),
          },
        }),
      );
    },
    issueBundle(name, options) {
      const bundleManifest = file(
        `${name}-scb.yaml`,
        yaml.dump({
          apiVersion: 'scb-operator.io/v1alpha1',
          kind: 'SecureConnectionBundle',
          metadata: { name },
          spec: { clusterRef: { name: 'e2e-cluster' }, duration: '2h' },
        }),
      );
      const { clientCa } = options;
      const zip = path.join(workDir, `secure-connect-${name}.zip`);
      scbctl(
        'generate',
        ...['--cluster', clusterManifest, '--bundle', bundleManifest, '--namespace', namespace],
        '--server-ca',
        options.serverCaPem === undefined ? serverCaPath : file(`${name}-server-ca.crt`, options.serverCaPem),
        ...['--client-ca-cert', file(`${name}-ca.crt`, clientCa.intermediatePem.certificatePem)],
        ...['--client-ca-key', file(`${name}-ca.key`, clientCa.intermediatePem.privateKeyPem, 0o600)],
        ...['--client-ca-chain', file(`${name}-ca-chain.crt`, clientCa.intermediatePem.chainPem ?? '')],
        ...(options.spiffeId === undefined ? [] : ['--spiffe-id', options.spiffeId]),
        ...(options.now === undefined ? [] : ['--now', options.now.toISOString()]),
        ...(options.duration === undefined ? [] : ['--duration', options.duration]),
        ...['--signing-key', signingKey, '--out', zip],
      );
      const dir = path.join(workDir, name);
      scbctl('unpack', zip, '--out', dir);
      return dir;
    },
    remove() {
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

function scbctl(...args: string[]): string {
  return runStep('node', ['--import', 'tsx', 'src/cli/scbctl.ts', ...args]).stdout;
}
