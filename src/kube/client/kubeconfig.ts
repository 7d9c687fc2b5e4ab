import path from 'node:path';
import { InvalidInputError } from '../../errors.js';

/**
 * Where the API server is and how to prove who we are, resolved from a kubeconfig's current (or
 * named) context. File paths are made absolute against the kubeconfig's folder, as kubectl does;
 * files are read later, by the connection, so a rotated file is picked up.
 */
export interface ClusterCredentials {
  server: string;
  /** PEM, or a file holding it. */
  ca?: Material;
  tlsServerName?: string;
  insecureSkipTlsVerify: boolean;
  clientCertificate?: Material;
  clientKey?: Material;
  token?: Material;
  /** client.authentication.k8s.io exec plugin, e.g. `aws eks get-token`. */
  exec?: ExecPlugin;
}

export type Material = { inline: string } | { file: string };

export interface ExecPlugin {
  apiVersion: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

type Doc = Record<string, unknown>;

/** Resolves the kubeconfig document `doc` (parsed YAML) read from the file `source`. */
export function resolveKubeconfig(doc: unknown, source: string, contextName?: string): ClusterCredentials {
  const root = asRecord(doc, source, 'the document');
  const wanted = contextName ?? stringField(root, 'current-context');
  if (!wanted) {
    throw invalid(
      source,
      'current-context',
      'is not set; set it (kubectl config use-context) or pass a context',
    );
  }
  const context = asRecord(
    named(root, 'contexts', wanted, source)['context'],
    source,
    `contexts[${wanted}].context`,
  );
  const clusterName = stringField(context, 'cluster');
  if (!clusterName) throw invalid(source, `contexts[${wanted}].context.cluster`, 'is missing');
  const cluster = asRecord(
    named(root, 'clusters', clusterName, source)['cluster'],
    source,
    `clusters[${clusterName}].cluster`,
  );
  const userName = stringField(context, 'user');
  const user = userName
    ? asRecord(named(root, 'users', userName, source)['user'] ?? {}, source, `users[${userName}].user`)
    : {};

  const server = stringField(cluster, 'server');
  if (!server) throw invalid(source, `clusters[${clusterName}].cluster.server`, 'is missing');
  if (cluster['proxy-url'] !== undefined) {
    throw invalid(
      source,
      `clusters[${clusterName}].cluster.proxy-url`,
      'is not supported; reach the API server directly',
    );
  }
  if (user['auth-provider'] !== undefined) {
    throw invalid(
      source,
      `users[${userName}].user.auth-provider`,
      'is not supported (the legacy gcp/azure/oidc providers); use an exec plugin, a token or a client certificate',
    );
  }
  const baseDir = path.dirname(source);
  const material = (record: Doc, key: string): Material | undefined => {
    const data = stringField(record, `${key}-data`);
    if (data) return { inline: Buffer.from(data, 'base64').toString('utf8') };
    const file = stringField(record, key);
    return file ? { file: path.resolve(baseDir, file) } : undefined;
  };
  const token = stringField(user, 'token');
  const tokenFile = stringField(user, 'tokenFile');
  const exec =
    user['exec'] === undefined ? undefined : execPlugin(user['exec'], source, `users[${userName}].user.exec`);
  const credentials: ClusterCredentials = {
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const ca = material(cluster, 'certificate-authority');
  if (ca) credentials.ca = ca;
  const tlsServerName = stringField(cluster, 'tls-server-name');
  if (tlsServerName) credentials.tlsServerName = tlsServerName;
  const clientCertificate = material(user, 'client-certificate');
  if (clientCertificate) credentials.clientCertificate = clientCertificate;
  const clientKey = material(user, 'client-key');
  if (clientKey) credentials.clientKey = clientKey;
  if (token) credentials.token = { inline: token };
  else if (tokenFile) credentials.token = { file: path.resolve(baseDir, tokenFile) };
  if (exec) credentials.exec = exec;
  if (Boolean(clientCertificate) !== Boolean(clientKey)) {
    throw invalid(
      source,
      `users[${userName}].user`,
      'has only one of client-certificate and client-key; give both',
    );
  }
  return credentials;
}

function execPlugin(value: unknown, source: string, field: string): ExecPlugin {
  const record = asRecord(value, source, field);
  const command = stringField(record, 'command');
  if (!command) throw invalid(source, `${field}.command`, 'is missing');
  const args = Array.isArray(record['args']) ? record['args'].map(String) : [];
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(record['env']) ? record['env'] : []) {
    const { name, value: envValue } = asRecord(entry, source, `${field}.env[]`);
    if (typeof name === 'string') env[name] = String(envValue ?? '');
  }
  return {
    apiVersion: stringField(record, 'apiVersion') ?? 'client.authentication.k8s.io/v1',
    command,
    args,
    env,
  };
}

function named(root: Doc, list: 'contexts' | 'clusters' | 'users', name: string, source: string): Doc {
  const entries = Array.isArray(root[list]) ? (root[list] as unknown[]) : [];
  const found = entries.find((entry) => asRecord(entry, source, `${list}[]`)['name'] === name);
  if (!found) throw invalid(source, list, `has no entry named "${name}"`);
  return found as Doc;
}

function asRecord(value: unknown, source: string, field: string): Doc {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(source, field, 'must be a mapping');
  }
  return value as Doc;
}

function stringField(record: Doc, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function invalid(source: string, field: string, problem: string): InvalidInputError {
  return new InvalidInputError('InvalidKubeconfig', `kubeconfig ${source}: ${field} ${problem}`, field);
}
