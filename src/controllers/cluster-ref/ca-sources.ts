import type { CassandraClusterRef } from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import type { CaPem } from '../../pki/certificate-authority.js';
import { readCertificatesDer } from '../../pki/certificate-pem.js';
import { controllerOf, describeHolder, isControlledBy } from '../ownership.js';
import { gatewayServingCaSecretName } from './gateway-serving.js';
import { gatewayServingNameConflict, managedCaNameConflict } from './name-conflicts.js';

/**
 * Reading the CA material a CassandraClusterRef names. Both controllers use these: the cluster
 * controller to validate and publish, the bundle controller to sign. Errors name the field to
 * fix; a reason ending in NotFound means "create it" (retried soon), any other means "fix it". A
 * managed CA Secret is used only when this cluster ref controls it (owner reference, same uid);
 * a bring-your-own Secret only when no other resource of ours controls it.
 */

/** Where an operator-managed client CA lives: tls.crt/tls.key (intermediate), ca.crt (root), root.key. */
export function managedClientCaSecretName(cluster: CassandraClusterRef): string {
  return `${cluster.metadata.name ?? ''}-managed-client-ca`;
}

export const MANAGED_ROOT_KEY = 'root.key';

/** On the managed CA Secret: SHA-256 of the cluster's rotate annotation its intermediate answered. */
export const MANAGED_CA_ROTATE_TOKEN = 'scb-operator.io/rotate-token-sha256';

/** A CA as read from its Secret, the private key still wrapped. */
export type SealedCaPem = Omit<CaPem, 'privateKeyPem'> & { privateKeyPem: SecretValue<string> };

/** The CaPem to sign with: the one place a client CA's key leaves its wrapper. */
export function unsealCaPem(pem: SealedCaPem): CaPem {
  return { ...pem, privateKeyPem: pem.privateKeyPem.reveal() };
}

export interface ClientCaSource {
  pem: SealedCaPem;
  /** Which object it came from, for messages, and its resourceVersion, for caching. */
  secretName: string;
  resourceVersion: string;
  /** The managed root key, only for a managed CA (the cluster controller rotates with it). */
  rootKeyPem?: SecretValue<string>;
  /** Managed CA only: the rotate token its intermediate answered. */
  handledRotateToken?: string;
}

export async function readClientCa(kube: KubeObjects, cluster: CassandraClusterRef): Promise<ClientCaSource> {
  const namespace = cluster.metadata.namespace ?? '';
  const managed = cluster.spec.clientCA.managed !== undefined;
  const name = managed ? managedClientCaSecretName(cluster) : (cluster.spec.clientCA.secretRef?.name ?? '');
  const field = managed ? 'spec.clientCA.managed' : 'spec.clientCA.secretRef.name';
  const secret = await kube.getSecret(namespace, name);
  if (!secret) {
    throw new InvalidInputError(
      'ClientCANotFound',
      managed
        ? `the managed client CA Secret ${namespace}/${name} does not exist yet; the operator creates it`
        : `Secret ${namespace}/${name} (spec.clientCA.secretRef.name) does not exist: create it with tls.crt and tls.key of the client CA`,
      field,
    );
  }
  if (managed && !isControlledBy(secret, cluster)) throw managedCaNameConflict(cluster, name, secret);
  // Another resource's CA key (another cluster's managed CA): signing with it would make the
  // operator mint certificates that cluster's nodes trust for whoever may write this spec.
  if (!managed && controllerOf(secret.metadata) && !isControlledBy(secret, cluster)) {
    throw new InvalidInputError(
      'ClientCAInvalid',
      `Secret ${namespace}/${name} (spec.clientCA.secretRef.name) is written by scb-operator for ${describeHolder(secret.metadata)}: name a CA Secret you made, or use spec.clientCA.managed`,
      field,
    );
  }
  const text = (key: string) => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const certificatePem = text('tls.crt');
  const privateKeyPem = text('tls.key');
  if (certificatePem === undefined || privateKeyPem === undefined) {
    const missing = certificatePem === undefined ? 'tls.crt' : 'tls.key';
    throw new InvalidInputError(
      'ClientCAInvalid',
      `Secret ${namespace}/${name} (${field}) has no key "${missing}": it needs tls.crt (the CA certificate) and tls.key (its private key)`,
      field,
    );
  }
  const chainPem = text('ca.crt');
  const rootKeyPem = managed ? text(MANAGED_ROOT_KEY) : undefined;
  // Wrapped as they leave the Secret; unsealCaPem and the rotation reveal them to sign.
  const handledRotateToken = managed ? secret.metadata?.annotations?.[MANAGED_CA_ROTATE_TOKEN] : undefined;
  return {
    pem: {
      certificatePem,
      privateKeyPem: secretValue(privateKeyPem),
      ...(chainPem !== undefined ? { chainPem } : {}),
    },
    secretName: name,
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    ...(rootKeyPem !== undefined ? { rootKeyPem: secretValue(rootKeyPem) } : {}),
    ...(handledRotateToken !== undefined ? { handledRotateToken } : {}),
  };
}

/** The PEM server CA certificate(s), from the Secret or ConfigMap spec.serverCA names. */
export async function readServerCaPem(kube: KubeObjects, cluster: CassandraClusterRef): Promise<string> {
  const namespace = cluster.metadata.namespace ?? '';
  const { secretRef, configMapRef } = cluster.spec.serverCA;
  const ref = secretRef ?? configMapRef;
  const kind = secretRef ? 'Secret' : 'ConfigMap';
  const field = secretRef ? 'spec.serverCA.secretRef' : 'spec.serverCA.configMapRef';
  if (!ref) {
    throw new InvalidInputError(
      'ServerCAInvalid',
      'spec.serverCA names neither a secretRef nor a configMapRef: set one of them',
      'spec.serverCA',
    );
  }
  const key = ref.key ?? 'ca.crt';
  const object = secretRef
    ? await kube.getSecret(namespace, ref.name)
    : await kube.getConfigMap(namespace, ref.name);
  if (!object) {
    throw new InvalidInputError(
      'ServerCANotFound',
      `${kind} ${namespace}/${ref.name} (${field}.name) does not exist: create it with the PEM CA certificate of the Cassandra nodes under key "${key}"`,
      `${field}.name`,
    );
  }
  const value = secretRef
    ? decodeBase64((object as { data?: Record<string, string> }).data?.[key])
    : (object as { data?: Record<string, string> }).data?.[key];
  if (value === undefined || value.trim() === '') {
    throw new InvalidInputError(
      'ServerCAInvalid',
      `${kind} ${namespace}/${ref.name} has no key "${key}" (${field}.key): put the PEM CA certificate there or set ${field}.key`,
      `${field}.key`,
    );
  }
  return value;
}

/**
 * The CA of the cloud-mode gateway's metadata service (spec.gateway.servingCA, or the CA the
 * operator manages for spec.gateway.servingCertificate.managed), which bundles ship beside the
 * server CA so drivers trust the metadata service; undefined when neither is set.
 */
export async function readGatewayCaPem(
  kube: KubeObjects,
  cluster: CassandraClusterRef,
): Promise<string | undefined> {
  const namespace = cluster.metadata.namespace ?? '';
  if (cluster.spec.gateway?.servingCertificate?.managed !== undefined) {
    const name = gatewayServingCaSecretName(cluster);
    const secret = await kube.getSecret(namespace, name);
    if (!secret) {
      throw new InvalidInputError(
        'GatewayCANotFound',
        `the managed gateway serving CA Secret ${namespace}/${name} does not exist yet; the operator creates it`,
        'spec.gateway.servingCertificate.managed',
      );
    }
    if (!isControlledBy(secret, cluster)) throw gatewayServingNameConflict(cluster, name, secret);
    const pem = decodeBase64(secret.data?.['tls.crt']) ?? '';
    readCertificatesDer(pem, 'the managed gateway serving CA');
    return pem;
  }
  const ref = cluster.spec.gateway?.servingCA?.configMapRef;
  if (ref === undefined) return undefined;
  const key = ref.key ?? 'ca.crt';
  const configMap = await kube.getConfigMap(namespace, ref.name);
  const value = (configMap as { data?: Record<string, string> } | undefined)?.data?.[key];
  if (value === undefined || value.trim() === '') {
    throw new InvalidInputError(
      'GatewayCAInvalid',
      `ConfigMap ${namespace}/${ref.name} (spec.gateway.servingCA.configMapRef) has no key "${key}": put the PEM CA certificate of the metadata service there`,
      'spec.gateway.servingCA.configMapRef',
    );
  }
  readCertificatesDer(value, 'gateway CA');
  return value;
}

function decodeBase64(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}
