/**
 * Credentials for acting against a test control plane as anyone: the admin, any user with any
 * groups (a client certificate from the control plane's CA), or a ServiceAccount (a TokenRequest
 * token, the way pods authenticate). Works from the Jest parent and from workers, because it needs
 * only the connection file the control plane wrote.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { loadCertificateAuthority } from './control-plane-pki.js';

/** Everything a test needs to reach a running control plane; serialised to JSON by the global setup. */
export interface ControlPlaneConnection {
  server: string;
  kubernetesVersion: string;
  /** Folder holding kube-apiserver, kubectl and etcd. */
  binDir: string;
  /** The run's temp folder; kubeconfigs written for tests go under it. */
  workDir: string;
  /** Admin kubeconfig (user in group system:masters). */
  kubeconfigPath: string;
  /** One CA signs the serving certificate and every client certificate. */
  caCertificatePath: string;
  caPrivateKeyPath: string;
}

type Credentials = { clientCertificatePem: string; clientKeyPem: string } | { token: string };

export function writeKubeconfig(
  file: string,
  server: string,
  caCertificatePem: string,
  user: string,
  credentials: Credentials,
): string {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  const userEntry =
    'token' in credentials
      ? { token: credentials.token }
      : {
          'client-certificate-data': b64(credentials.clientCertificatePem),
          'client-key-data': b64(credentials.clientKeyPem),
        };
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'scb-test', cluster: { server, 'certificate-authority-data': b64(caCertificatePem) } },
    ],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: 'scb-test', context: { cluster: 'scb-test', user } }],
    'current-context': 'scb-test',
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, yaml.dump(kubeconfig), { mode: 0o600 });
  return file;
}

export function adminKubeConfig(connection: ControlPlaneConnection): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(connection.kubeconfigPath);
  return kubeConfig;
}

/** A kubeconfig for `user` in `groups`; RBAC decides what it may do. */
export async function kubeconfigFor(
  connection: ControlPlaneConnection,
  user: string,
  groups: readonly string[],
): Promise<string> {
  const ca = await loadCertificateAuthority({
    certificatePem: readFileSync(connection.caCertificatePath, 'utf8'),
    privateKeyPem: readFileSync(connection.caPrivateKeyPath, 'utf8'),
  });
  const issued = await ca.issueClientCertificate(user, groups);
  return writeKubeconfig(userKubeconfigPath(connection, user), connection.server, ca.certificatePem, user, {
    clientCertificatePem: issued.certificatePem,
    clientKeyPem: issued.privateKeyPem,
  });
}

/** Creates the ServiceAccount if needed and returns a kubeconfig holding a fresh TokenRequest token. */
export async function serviceAccountKubeconfig(
  connection: ControlPlaneConnection,
  namespace: string,
  name: string,
): Promise<string> {
  const core = adminKubeConfig(connection).makeApiClient(CoreV1Api);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (!token) throw new Error(`TokenRequest for ServiceAccount ${namespace}/${name} returned no token`);
  const user = `system:serviceaccount:${namespace}:${name}`;
  return writeKubeconfig(
    userKubeconfigPath(connection, user),
    connection.server,
    readFileSync(connection.caCertificatePath, 'utf8'),
    user,
    { token },
  );
}

function userKubeconfigPath(connection: ControlPlaneConnection, user: string): string {
  const safe = user.replace(/[^A-Za-z0-9.-]+/g, '_');
  return path.join(connection.workDir, 'kubeconfigs', `${safe}-${randomBytes(4).toString('hex')}.yaml`);
}
