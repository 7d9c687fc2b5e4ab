/**
 * A real OCI registry for tests: distribution's `registry` (built from its Go module by
 * tools/registry/build.sh) serving a temp folder on a free loopback port, with htpasswd (Basic)
 * authentication for a random user and TLS from a test CA made here. TLS and not plain HTTP:
 * the operator and scbctl speak only HTTPS to registries (credentials travel with every request),
 * so the tests take the same path a real registry gets; clients trust the test CA through
 * NODE_EXTRA_CA_CERTS (the operator), --registry-ca (scbctl) and --ca-file (oras).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { scbCacheRoot } from './cassandra-install.js';
import { toolFolder } from './control-plane-binaries.js';
import { reapStrayRuns, registerRun } from './control-plane-strays.js';
import { detachedServer, freeLoopbackPorts } from './local-processes.js';
import { startTokenServer, type TokenServer } from './registry-token-server.js';

export interface OciRegistryServer {
  /** 127.0.0.1:<port>, as a repository reference starts. */
  host: string;
  username: string;
  password: string;
  /** The test CA that signed the registry's certificate, and a file holding it. */
  caPem: string;
  caFile: string;
  dataDir: string;
  /** With auth 'token': what the token server was asked (scope, credentials accepted). */
  tokenRequests?: TokenServer['requests'];
  /** Runs the built `oras` with the registry's CA and credentials; resolves with its stdout. */
  oras(args: readonly string[], options?: { cwd?: string }): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const loopback = '127.0.0.1';

/** The folder with registry, oras and scb-htpasswd; `SCB_REGISTRY_BIN` skips asking build.sh. */
export function registryBinDir(): string {
  return toolFolder('SCB_REGISTRY_BIN', 'tools/registry/build.sh');
}

export async function startOciRegistry(
  options: {
    log?: (message: string) => void;
    /** bcrypt cost of the htpasswd entry: the registry checks it on every request, so tests use the minimum. */
    bcryptCost?: number;
    /**
     * htpasswd (Basic, the default) or token: the registry answers with a Bearer challenge and
     * trusts tokens from a token server started here (registry-token-server.ts).
     */
    auth?: 'htpasswd' | 'token';
  } = {},
): Promise<OciRegistryServer> {
  const log = options.log ?? (() => {});
  const bin = registryBinDir();
  const runsDir = path.join(scbCacheRoot(), 'registry-runs');
  const reaped = reapStrayRuns(runsDir);
  if (reaped > 0) log(`killed ${reaped} registry process(es) left by an interrupted run`);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-registry-'));
  const dataDir = path.join(workDir, 'data');
  mkdirSync(dataDir);
  const logPath = path.join(workDir, 'registry.log');
  const registration = registerRun(runsDir, workDir);
  const [port] = (await freeLoopbackPorts(1, loopback)) as [number];
  const host = `${loopback}:${port}`;
  const username = `scbtest${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');

  const { caFile, certFile, keyFile } = makeTestCa(workDir);
  const caPem = readFileSync(caFile, 'utf8');
  const htpasswd = path.join(workDir, 'htpasswd');
  writeFileSync(
    htpasswd,
    execFileSync(path.join(bin, 'scb-htpasswd'), [username, String(options.bcryptCost ?? 4)], {
      input: `${password}\n`,
    }),
  );
  const tokenServer =
    options.auth === 'token'
      ? await startTokenServer({ dir: workDir, tls: { certFile, keyFile }, username, password })
      : undefined;
  const configFile = path.join(workDir, 'config.yml');
  writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dataDir}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: ${host}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      '  tls:',
      `    certificate: ${certFile}`,
      `    key: ${keyFile}`,
      ...(tokenServer
        ? [
            'auth:',
            '  token:',
            `    realm: ${tokenServer.realm}`,
            `    service: ${tokenServer.service}`,
            `    issuer: ${tokenServer.issuer}`,
            `    rootcertbundle: ${tokenServer.signerCertFile}`,
          ]
        : ['auth:', '  htpasswd:', '    realm: scb-test', `    path: ${htpasswd}`]),
      '',
    ].join('\n'),
  );

  const server = detachedServer({
    name: 'registry',
    command: path.join(bin, 'registry'),
    args: ['serve', configFile],
    cwd: workDir,
    // No trace exporter: it would dial a collector on every request.
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
    logPath,
    registration,
    address: host,
    // An anonymous GET /v2/ is answered 401 once it serves.
    answers: async () => (await probe(`https://${host}/v2/`, caPem)) === 401,
  });
  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await server.close();
    await tokenServer?.close();
    rmSync(workDir, { recursive: true, force: true });
    registration.remove();
  };
  try {
    await server.start();
  } catch (error) {
    await dispose();
    throw error;
  }
  log(`registry on https://${host} over ${dataDir}`);

  // oras reads a password from stdin; its config (credential store) goes to a folder of its own.
  const orasHome = path.join(workDir, 'oras-home');
  mkdirSync(orasHome);
  // Asynchronous: in token mode the token server answers oras from this very process.
  const oras = (args: readonly string[], orasOptions: { cwd?: string } = {}): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = execFile(
        path.join(bin, 'oras'),
        [...args, '--ca-file', caFile, '--username', username, '--password-stdin'],
        {
          encoding: 'utf8',
          cwd: orasOptions.cwd ?? workDir,
          env: { ...process.env, HOME: orasHome, DOCKER_CONFIG: orasHome },
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`oras ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
      );
      child.stdin?.end(password);
    });
  return {
    host,
    username,
    password,
    caPem,
    caFile,
    dataDir,
    oras,
    ...(tokenServer ? { tokenRequests: tokenServer.requests } : {}),
    stop: server.stop,
    start: server.start,
    dispose,
  };
}

function makeTestCa(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'tls.key');
  const csr = path.join(dir, 'tls.csr');
  const certFile = path.join(dir, 'tls.crt');
  const ext = path.join(dir, 'tls.ext');
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=scb test registry CA',
    '-out',
    caFile,
  ]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  openssl(['req', '-new', '-key', keyFile, '-subj', '/CN=127.0.0.1', '-out', csr]);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return { caFile, certFile, keyFile };
}

function probe(url: string, ca: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = https.get(url, { ca, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
