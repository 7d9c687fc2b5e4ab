import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { InvalidInputError } from '../../errors.js';
import { resolveKubeconfig, type ClusterCredentials, type ExecPlugin, type Material } from './kubeconfig.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Projected ServiceAccount tokens are rotated on disk by the kubelet; re-read them this often. */
const TOKEN_FILE_TTL_MS = 60_000;
/** Shared keep-alive connections: a fresh TLS handshake per call was a third of our CPU at scale. */
const MAX_SOCKETS = 32;

/** What one request needs: where, over which connection pool, with which headers. */
export interface RequestTarget {
  server: URL;
  agent: http.Agent;
  headers: Record<string, string>;
}

/** How to reach and authenticate to one API server, refreshed as credentials rotate. */
export interface KubeConnection {
  readonly server: URL;
  target(): Promise<RequestTarget>;
  close(): void;
}

export interface LoadConnectionOptions {
  /** --kubeconfig (a path list like $KUBECONFIG); otherwise $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  now?: () => number;
  /** Where the kubelet mounts the pod's ServiceAccount token and CA; tests point it elsewhere. */
  serviceAccountDir?: string;
}

/**
 * The same lookup order as kubectl and client-node's loadFromDefault. $KUBECONFIG may list
 * several files; the first that exists is used (files are not merged).
 */
export function loadKubeConnection(options: LoadConnectionOptions): KubeConnection {
  const now = options.now ?? Date.now;
  const named = (options.kubeconfig ?? '').split(path.delimiter).filter(Boolean);
  if (named.length > 0) {
    return fromKubeconfigFile(named.find((file) => existsSync(file)) ?? named[0]!, options.env, now);
  }
  const listed = (options.env['KUBECONFIG'] ?? '').split(path.delimiter).filter(Boolean);
  const candidates = [...listed, path.join(options.env['HOME'] ?? os.homedir(), '.kube', 'config')];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file) return fromKubeconfigFile(file, options.env, now);
  const host = options.env['KUBERNETES_SERVICE_HOST'];
  if (host) {
    const port = options.env['KUBERNETES_SERVICE_PORT'] ?? '443';
    return inCluster(host, port, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, now);
  }
  throw new InvalidInputError(
    'NoKubeconfig',
    `no kubeconfig found (tried ${candidates.join(', ')}) and not running in a pod; pass --kubeconfig`,
    'kubeconfig',
  );
}

export function fromKubeconfigFile(
  file: string,
  env: NodeJS.ProcessEnv,
  now: () => number = Date.now,
): KubeConnection {
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(
      'InvalidKubeconfig',
      `kubeconfig ${file}: ${(error as Error).message}`,
      'kubeconfig',
    );
  }
  return credentialsConnection(resolveKubeconfig(doc, path.resolve(file)), env, now);
}

function inCluster(host: string, port: string, accountDir: string, now: () => number): KubeConnection {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return credentialsConnection(
    {
      server: `https://${hostPart}:${port}`,
      ca: { file: path.join(accountDir, 'ca.crt') },
      token: { file: path.join(accountDir, 'token') },
      insecureSkipTlsVerify: false,
    },
    {},
    now,
  );
}

function credentialsConnection(
  credentials: ClusterCredentials,
  env: NodeJS.ProcessEnv,
  now: () => number,
): KubeConnection {
  const server = new URL(credentials.server);
  const secure = server.protocol === 'https:';
  const ca = credentials.ca && read(credentials.ca);
  const agents = new Map<string, http.Agent>();
  const agentFor = (cert?: string, key?: string): http.Agent => {
    const id = `${cert ?? ''}\0${key ?? ''}`;
    let agent = agents.get(id);
    if (!agent) {
      agent = secure
        ? new https.Agent({
            keepAlive: true,
            maxSockets: MAX_SOCKETS,
            rejectUnauthorized: !credentials.insecureSkipTlsVerify,
            ...(ca ? { ca } : {}),
            ...(cert && key ? { cert, key } : {}),
            ...(credentials.tlsServerName ? { servername: credentials.tlsServerName } : {}),
          })
        : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
      agents.set(id, agent);
    }
    return agent;
  };
  const staticCert = credentials.clientCertificate && read(credentials.clientCertificate);
  const staticKey = credentials.clientKey && read(credentials.clientKey);
  const token = credentials.token && cachedMaterial(credentials.token, now);
  const exec = credentials.exec && execCredentials(credentials.exec, env, now);

  return {
    server,
    async target() {
      const headers: Record<string, string> = {};
      if (exec) {
        const issued = await exec();
        if (issued.token) headers['Authorization'] = `Bearer ${issued.token}`;
        return { server, agent: agentFor(issued.cert ?? staticCert, issued.key ?? staticKey), headers };
      }
      if (token) headers['Authorization'] = `Bearer ${token().trim()}`;
      return { server, agent: agentFor(staticCert, staticKey), headers };
    },
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

function read(material: Material): string {
  if ('inline' in material) return material.inline;
  try {
    return readFileSync(material.file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      'KubeCredentialsUnreadable',
      `cannot read ${material.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'kubeconfig',
    );
  }
}

function cachedMaterial(material: Material, now: () => number): () => string {
  if ('inline' in material) return () => material.inline;
  let value = read(material);
  let readAt = now();
  return () => {
    if (now() - readAt >= TOKEN_FILE_TTL_MS) {
      value = read(material);
      readAt = now();
    }
    return value;
  };
}

interface IssuedCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** Epoch ms; undefined: valid until the process ends. */
  expiresAt?: number;
}

/** Runs the exec plugin when there is no credential yet or the last one has expired. */
function execCredentials(plugin: ExecPlugin, env: NodeJS.ProcessEnv, now: () => number) {
  let current: Promise<IssuedCredential> | undefined;
  let issued: IssuedCredential | undefined;
  const run = async (): Promise<IssuedCredential> => {
    const { stdout } = await promisify(execFile)(plugin.command, plugin.args, {
      env: { ...env, ...plugin.env },
      timeout: 60_000,
    });
    const status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status ?? {};
    const text = (key: string) => (typeof status[key] === 'string' ? (status[key] as string) : undefined);
    const expiration = text('expirationTimestamp');
    const credential: IssuedCredential = {};
    const token = text('token');
    const cert = text('clientCertificateData');
    const key = text('clientKeyData');
    if (token) credential.token = token;
    if (cert && key) Object.assign(credential, { cert, key });
    if (expiration) credential.expiresAt = Date.parse(expiration);
    if (!token && !(cert && key)) {
      throw new Error(`exec plugin ${plugin.command} returned neither a token nor a client certificate`);
    }
    return credential;
  };
  return async (): Promise<IssuedCredential> => {
    if (issued && (issued.expiresAt === undefined || issued.expiresAt > now())) return issued;
    current ??= run().finally(() => (current = undefined));
    issued = await current;
    return issued;
  };
}
