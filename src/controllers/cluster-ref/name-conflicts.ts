import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import { trustBundleConfigMapName, type CassandraClusterRef } from '../../api/v1alpha1/index.js';
import { NameConflictError } from '../../errors.js';
import { controllerOf, describeHolder } from '../ownership.js';

/**
 * The names a cluster ref writes (its trust-bundle ConfigMap, its managed CA Secret) held by an
 * object it does not control. The operator then neither reads the object as its own nor writes
 * it; the message names the object, who holds it and what to change, never the content.
 *
 * Control is the owner reference with this cluster ref's uid. Labels prove nothing (anyone can
 * set them), and neither does an owner reference to someone who can create objects here and read
 * the uid: the cluster ref's namespace is for the platform team (README, The operator).
 */
export function trustBundleNameConflict(cluster: CassandraClusterRef, holder: KubernetesObject) {
  const name = trustBundleConfigMapName(cluster);
  return conflict(
    cluster,
    'ConfigMap',
    name,
    holder.metadata,
    'so the operator does not publish the trust bundle there: set spec.trustBundle.configMapName to a name not in use (or remove that ConfigMap)',
    'spec.trustBundle.configMapName',
  );
}

export function managedCaNameConflict(cluster: CassandraClusterRef, name: string, holder: KubernetesObject) {
  return conflict(
    cluster,
    'Secret',
    name,
    holder.metadata,
    'so the operator neither signs with it nor replaces it: give the CassandraClusterRef another name (metadata.name; its managed CA Secret is <name>-managed-client-ca) or remove that Secret',
    'metadata.name',
  );
}

/** One of the managed gateway serving certificate's Secrets (the CA, or the gateway's TLS Secret). */
export function gatewayServingNameConflict(
  cluster: CassandraClusterRef,
  name: string,
  holder: KubernetesObject,
) {
  return conflict(
    cluster,
    'Secret',
    name,
    holder.metadata,
    'so the operator neither signs with it nor replaces it: give the CassandraClusterRef another name (metadata.name; the Secrets are <name>-gateway-serving-ca and <name>-gateway-tls), remove that Secret, or give the serving certificate yourself (spec.gateway.servingCA)',
    'spec.gateway.servingCertificate',
  );
}

function conflict(
  cluster: CassandraClusterRef,
  kind: 'Secret' | 'ConfigMap',
  name: string,
  metadata: V1ObjectMeta | undefined,
  consequence: string,
  field: string,
): NameConflictError {
  const holder = describeHolder(metadata);
  const controller = controllerOf(metadata);
  // Without garbage collection having run yet, a deleted and re-created cluster ref meets its
  // predecessor's objects: same kind and name, another uid.
  const earlier =
    controller?.kind === cluster.kind && controller.name === cluster.metadata.name
      ? ' (an earlier CassandraClusterRef of this name: it goes when garbage collection removes it)'
      : '';
  return new NameConflictError(
    kind,
    name,
    holder,
    `${kind} ${cluster.metadata.namespace ?? ''}/${name} is held by ${holder}${earlier}, not by this CassandraClusterRef, ${consequence}`,
    field,
  );
}
