import type { V1Secret } from '@kubernetes/client-node';
import {
  CASSANDRA_CLUSTER_REF,
  managedClientCACommonName,
  privateKeySize,
  type CassandraClusterRef,
} from '../../api/v1alpha1/index.js';
import type { CaPem, ManagedCaOptions } from '../../pki/certificate-authority.js';
import { parseDuration } from '../../time/duration.js';
import { controllerReference, ownedLabels } from '../ownership.js';
import { MANAGED_CA_ROTATE_TOKEN, MANAGED_ROOT_KEY, managedClientCaSecretName } from './ca-sources.js';

export function managedCaOptions(cluster: CassandraClusterRef): ManagedCaOptions {
  const managed = cluster.spec.clientCA.managed ?? {};
  return {
    commonName: managedClientCACommonName(cluster),
    organizations: managed.organizations ?? [],
    rootDurationSeconds: parseDuration(
      managed.rootDuration ?? '87600h',
      'spec.clientCA.managed.rootDuration',
    ),
    intermediateDurationSeconds: parseDuration(
      managed.intermediateDuration ?? '8760h',
      'spec.clientCA.managed.intermediateDuration',
    ),
    privateKey: {
      algorithm: managed.privateKey?.algorithm ?? 'ECDSA',
      size: privateKeySize(managed.privateKey),
      encoding: 'PKCS8',
    },
  };
}

/**
 * The managed CA in the layout a bring-your-own CA Secret has (tls.crt, tls.key, ca.crt), so
 * one reader serves both, plus the root key that signs the next intermediate. The root key never
 * leaves this Secret; bundles only ever receive certificates.
 */
export function managedCaSecret(
  cluster: CassandraClusterRef,
  root: CaPem,
  intermediate: CaPem,
  rotateTokenDigest: string | undefined,
): V1Secret {
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: managedClientCaSecretName(cluster),
      namespace: cluster.metadata.namespace,
      labels: ownedLabels('managed-client-ca'),
      ...(rotateTokenDigest ? { annotations: { [MANAGED_CA_ROTATE_TOKEN]: rotateTokenDigest } } : {}),
      ownerReferences: [controllerReference({ ...cluster, kind: CASSANDRA_CLUSTER_REF.kind })],
    },
    type: 'Opaque',
    data: {
      'tls.crt': base64(intermediate.certificatePem),
      'tls.key': base64(intermediate.privateKeyPem),
      'ca.crt': base64(root.certificatePem),
      [MANAGED_ROOT_KEY]: base64(root.privateKeyPem),
    },
  };
}
