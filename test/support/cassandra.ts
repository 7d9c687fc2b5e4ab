/**
 * A real single-node Apache Cassandra (the pinned cassandra-all jar, see tools/cassandra/) on
 * loopback ports, in a temp folder, that accepts clients only over mutual TLS: the server
 * presents the given certificate and requires a client certificate chaining to the given CA.
 * Who may log in on top of that is the `authentication` mode, which a restart can change.
 */
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freeLoopbackPorts, logTail } from './local-processes.js';
import { cassandraLibDir, cassandraToolsDir, cassandraVersion, scbCacheRoot } from './cassandra-install.js';
import { killProcessGroup, reapStrayRuns, registerRun } from './control-plane-strays.js';

/**
 * How the node authenticates a client once TLS has accepted its certificate:
 * - `none`: anyone (AllowAllAuthenticator / AllowAllAuthorizer);
 * - `password`: roles and passwords (PasswordAuthenticator / CassandraAuthorizer), with the
 *   default superuser cassandra/cassandra;
 * - `mutualTls`: passwordless, the certificate's `spiffe://` URI SAN is the identity and
 *   `ADD IDENTITY` maps it to a role (MutualTlsAuthenticator with SpiffeCertificateValidator;
 *   CassandraAuthorizer). Nobody can log in to map the first identity, so a test starts in
 *   `password` mode, maps identities, and restarts in this one, as Cassandra's own docs do.
 */
export type ClientAuthentication = 'none' | 'password' | 'mutualTls';

// Flow-style YAML values for the template's authenticator/authorizer placeholders.
const authenticationSettings: Record<ClientAuthentication, { authenticator: string; authorizer: string }> = {
  none: { authenticator: 'AllowAllAuthenticator', authorizer: 'AllowAllAuthorizer' },
  password: { authenticator: 'PasswordAuthenticator', authorizer: 'CassandraAuthorizer' },
  mutualTls: {
    authenticator:
      '{class_name: org.apache.cassandra.auth.MutualTlsAuthenticator, ' +
      'parameters: {validator_class_name: org.apache.cassandra.auth.SpiffeCertificateValidator}}',
    authorizer: 'CassandraAuthorizer',
  },
};

export interface CassandraOptions {
  /** PEM server certificate, optionally followed by its intermediates. */
  serverCertPem: string;
  /** PEM unencrypted PKCS#8 private key of that certificate. */
  serverKeyPem: string;
  /** PEM CA certificate(s) a client certificate must chain to. */
  clientCaTrustPem: string;
  /** Default `none`. */
  authentication?: ClientAuthentication;
  /** Datacenter name the node reports (GossipingPropertyFileSnitch); default `e2e-dc1`. */
  datacenter?: string;
  /** Folder of cassandra-all and its dependencies; default: `SCB_CASSANDRA_LIB` or build.sh's. */
  libDir?: string;
  /**
   * The loopback address the node listens on (storage and CQL); default 127.0.0.1. Several nodes
   * of one cluster each take their own (127.0.0.2, 127.0.0.3, ...).
   */
  address?: string;
  /** `ip:storagePort` of a running node to join; default: the node is its own seed. */
  seed?: string;
  /** A fixed CQL port (several nodes on one port, each on its address); default: a free one. */
  nativePort?: number;
  /** JVM options after tools/cassandra/jvm.options (later ones win, e.g. a smaller -Xmx). */
  extraJvmOptions?: string[];
  /** How long the node may take to listen for CQL clients (default 180 s: the CPU is shared). */
  readyTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface Cassandra {
  host: string;
  /** The native transport (CQL) port; TLS only. */
  port: number;
  /** The internode (gossip) port, for `seed` of another node. */
  storagePort: number;
  datacenter: string;
  /** The release_version the node reports. */
  version: string;
  /** Wall time from the call until the node listened for CQL clients. */
  startupMs: number;
  logPath: string;
  /**
   * Drains the node (`nodetool drain`: every write so far is on disk), kills it and starts it
   * again on the same data, certificates and ports, with another authentication mode. Resolves
   * with the restart's wall time in ms once it listens again.
   */
  restart(authentication: ClientAuthentication): Promise<number>;
  /**
   * Replaces the client-CA truststore file and makes the running node use it for new client
   * connections (`nodetool reloadssl`), as an operator does when the mounted trust-bundle
   * ConfigMap changes; open connections are untouched.
   */
  reloadClientTrust(clientCaTrustPem: string): Promise<void>;
  /**
   * Replaces the node's serving certificate and key and makes it use them for new connections
   * (`nodetool reloadssl`), as after a certificate rotation on a real node.
   */
  reloadServerCertificate(serverCertPem: string, serverKeyPem: string): Promise<void>;
  /**
   * Freezes the node (SIGSTOP) or lets it go on (SIGCONT): a node that stops answering while its
   * sockets stay open, as a hung JVM does.
   */
  freeze(frozen: boolean): void;
  /** Kills the node and removes its temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

const jmxHost = '127.0.0.1';
const readyLine = 'Starting listening for CQL clients';

export async function startCassandra(options: CassandraOptions): Promise<Cassandra> {
  // Another process may take a port between our probe and Cassandra binding it: retry once.
  try {
    return await startOnce(options);
  } catch (error) {
    if (!/Address already in use|BindException|Port already in use/.test(String(error))) throw error;
    options.log?.('a port was taken while starting; retrying on new ports');
    return startOnce(options);
  }
}

async function startOnce(options: CassandraOptions): Promise<Cassandra> {
  const log = options.log ?? (() => {});
  const host = options.address ?? '127.0.0.1';
  const libDir = options.libDir ?? cassandraLibDir();
  // Start-up time is the node's own, not the first run's download.
  const startedAt = Date.now();
  const datacenter = options.datacenter ?? 'e2e-dc1';
  const runsDir = path.join(scbCacheRoot(), 'cassandra-runs');
  const reaped = reapStrayRuns(runsDir);
  if (reaped > 0) log(`killed ${reaped} Cassandra process(es) left by an interrupted run`);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-cassandra-'));
  const registration = registerRun(runsDir, workDir);
  let pid: number | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;
  // The data is throwaway, so there is nothing to drain: SIGKILL, at once, for the whole group.
  const kill = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    if (pid !== undefined) killProcessGroup(pid, 'SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };
  process.once('exit', kill);
  const stop = async (): Promise<void> => {
    if (pid !== undefined && !stopped) killProcessGroup(pid, 'SIGKILL');
    await exited;
    kill();
  };

  const logPath = path.join(workDir, 'cassandra.log');
  const confDir = path.join(workDir, 'conf');
  const conf = (name: string, content: string): string => {
    const file = path.join(confDir, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  const values: Record<string, string> = { workDir };
  const writeYaml = (authentication: ClientAuthentication): string => {
    const settings: Record<string, string> = { ...values, ...authenticationSettings[authentication] };
    return conf(
      'cassandra.yaml',
      readFileSync(path.join(cassandraToolsDir, 'cassandra.yaml'), 'utf8').replaceAll(
        /\$\{(\w+)\}/g,
        (placeholder, key: string) => {
          const value = settings[key];
          if (value === undefined) throw new Error(`tools/cassandra/cassandra.yaml: unknown ${placeholder}`);
          return value;
        },
      ),
    );
  };

  /** Runs CassandraDaemon on the written configuration until it listens for CQL clients. */
  const launch = async (since: number): Promise<void> => {
    const java = process.env['JAVA_HOME'] ? path.join(process.env['JAVA_HOME'], 'bin/java') : 'java';
    const args = [
      ...jvmOptions(),
      ...(options.extraJvmOptions ?? []),
      `-Dcassandra.config=file://${path.join(confDir, 'cassandra.yaml')}`,
      // JMX on loopback only, without authentication, for nodetool.
      `-Dcassandra.jmx.local.port=${values['jmxPort']}`,
      `-Djava.rmi.server.hostname=${jmxHost}`,
      `-Dlogback.configurationFile=${path.join(cassandraToolsDir, 'logback.xml')}`,
      '-cp',
      `${confDir}:${libDir}/*`,
      'org.apache.cassandra.service.CassandraDaemon',
    ];
    // A restart appends to the same log: only what this run wrote counts as ready.
    const logOffset = existsSync(logPath) ? statSync(logPath).size : 0;
    const logFd = openSync(logPath, 'a');
    // detached: its own process group, so teardown kills the JVM and anything it forks at once.
    const child = spawn(java, args, { cwd: workDir, detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    if (child.pid === undefined) throw new Error(`could not start ${java}`);
    // A caller that never reaches stop() must not keep the test runner alive: its exit kills us.
    child.unref();
    pid = child.pid;
    registration.addProcess(pid);
    let exitStatus: string | undefined;
    exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exitStatus = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      }),
    );
    child.once('error', (error) => {
      exitStatus = error.message;
    });
    log(`Cassandra ${cassandraVersion} starting (pid ${pid}), log: ${logPath}`);

    const nativePort = Number(values['nativePort']);
    const deadline = since + (options.readyTimeoutMs ?? 180_000);
    for (;;) {
      if (exitStatus !== undefined) throw new Error(`Cassandra exited (${exitStatus}) before it was ready`);
      const written = readFileSync(logPath).subarray(logOffset).toString('utf8');
      if (written.includes(readyLine) && (await acceptsTcp(host, nativePort))) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for "${readyLine}"`);
      await sleep(250);
    }
  };
  const failure = (error: unknown): Error => {
    const message = error instanceof Error ? error.message : String(error);
    return new Error(
      `Cassandra failed to start: ${message}\n--- last lines of cassandra.log ---\n${logTail(logPath, 40)}`,
      { cause: error },
    );
  };

  let port: number;
  try {
    mkdirSync(confDir, { mode: 0o700 });
    const [storagePort, sslStoragePort, freeNativePort] = (await freeLoopbackPorts(3, host)) as [
      number,
      number,
      number,
    ];
    // JMX always listens on 127.0.0.1.
    const [jmxPort] = (await freeLoopbackPorts(1, jmxHost)) as [number];
    const nativePort = options.nativePort ?? freeNativePort;
    port = nativePort;
    Object.assign(values, {
      address: host,
      seeds: options.seed ?? `${host}:${storagePort}`,
      storagePort: String(storagePort),
      sslStoragePort: String(sslStoragePort),
      nativePort: String(nativePort),
      jmxPort: String(jmxPort),
    });
    writeYaml(options.authentication ?? 'none');
    // PEMBasedSslContextFactory reads the key and its chain from one file.
    conf('server-keystore.pem', `${options.serverKeyPem.trim()}\n${options.serverCertPem.trim()}\n`);
    conf('client-ca-trust.pem', `${options.clientCaTrustPem.trim()}\n`);
    // GossipingPropertyFileSnitch finds this on the classpath, which starts with confDir.
    conf('cassandra-rackdc.properties', `dc=${datacenter}\nrack=rack1\n`);
    await launch(startedAt);
  } catch (error) {
    const wrapped = failure(error);
    kill();
    throw wrapped;
  }
  const startupMs = Date.now() - startedAt;
  log(`Cassandra ready on ${host}:${port} in ${(startupMs / 1000).toFixed(1)} s`);

  const restart = async (authentication: ClientAuthentication): Promise<number> => {
    const restartedAt = Date.now();
    // Drain first: it flushes every memtable (the roles, identities and grants a test has just
    // written among them) to SSTables. Without it, a SIGKILL just after the last write leaves
    // that write to commit-log replay, which stops at the last sync marker the periodic syncer
    // wrote: in a trial, 5 restarts of 8 lost the writes made just before them.
    await nodetool(libDir, workDir, values['jmxPort'] ?? '', ['drain']);
    if (pid !== undefined) killProcessGroup(pid, 'SIGKILL');
    await exited;
    writeYaml(authentication);
    try {
      await launch(restartedAt);
    } catch (error) {
      throw failure(error);
    }
    const restartMs = Date.now() - restartedAt;
    log(`Cassandra restarted with ${authentication} authentication in ${(restartMs / 1000).toFixed(1)} s`);
    return restartMs;
  };
  const reloadClientTrust = async (clientCaTrustPem: string): Promise<void> => {
    // Written beside and renamed over, so the node never reads half a file.
    const staged = conf('client-ca-trust.pem.new', `${clientCaTrustPem.trim()}\n`);
    renameSync(staged, path.join(confDir, 'client-ca-trust.pem'));
    await nodetool(libDir, workDir, values['jmxPort'] ?? '', ['reloadssl']);
    log('client-CA truststore reloaded (nodetool reloadssl)');
  };
  const reloadServerCertificate = async (serverCertPem: string, serverKeyPem: string): Promise<void> => {
    const staged = conf('server-keystore.pem.new', `${serverKeyPem.trim()}\n${serverCertPem.trim()}\n`);
    renameSync(staged, path.join(confDir, 'server-keystore.pem'));
    await nodetool(libDir, workDir, values['jmxPort'] ?? '', ['reloadssl']);
    log('server certificate reloaded (nodetool reloadssl)');
  };
  const freeze = (frozen: boolean): void => {
    if (pid !== undefined) killProcessGroup(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
    log(frozen ? 'frozen (SIGSTOP)' : 'running again (SIGCONT)');
  };
  return {
    host,
    port,
    storagePort: Number(values['storagePort']),
    datacenter,
    version: cassandraVersion,
    startupMs,
    logPath,
    restart,
    reloadClientTrust,
    reloadServerCertificate,
    freeze,
    stop,
  };
}

/** Runs nodetool (from the same cassandra-all jar) against the node's loopback JMX port. */
async function nodetool(libDir: string, workDir: string, jmxPort: string, args: string[]): Promise<void> {
  const java = process.env['JAVA_HOME'] ? path.join(process.env['JAVA_HOME'], 'bin/java') : 'java';
  try {
    await promisify(execFile)(
      java,
      [
        '-Xmx256m',
        // The server's module exports and opens: the tool loads the same classes.
        ...jvmOptions().filter((option) => option.startsWith('--add-')),
        // nodetool keeps its history under ~/.cassandra: in the node's temp folder instead.
        `-Duser.home=${workDir}`,
        `-Dlogback.configurationFile=${path.join(cassandraToolsDir, 'logback.xml')}`,
        '-cp',
        `${libDir}/*`,
        'org.apache.cassandra.tools.NodeTool',
        ...['-h', jmxHost, '-p', jmxPort],
        ...args,
      ],
      { timeout: 120_000 },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`nodetool ${args.join(' ')} failed: ${String(error)}\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** tools/cassandra/jvm.options without comments and blank lines. */
function jvmOptions(): string[] {
  return readFileSync(path.join(cassandraToolsDir, 'jvm.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
