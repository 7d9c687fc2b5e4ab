// Defaults that depend on other fields (the object's name, namespace or key algorithm), which a
// CRD `default:` cannot express. Each function is the one place that rule lives; the CRD
// descriptions state the same rules for users, and tests hold both together.
import { InvalidInputError } from '../../errors.js';
import {
  PLATFORM_IDS,
  type BundlePrivateKey,
  type CAPrivateKey,
  type CassandraClusterRef,
  type PlatformId,
  type SecureConnectionBundle,
  type SecureConnectionBundleSpec,
} from './generated.js';

type Named = { metadata: { name?: string; namespace?: string } };

function nameOf(object: Named, kind: string): string {
  const name = object.metadata.name;
  if (!name)
    throw new InvalidInputError('MissingName', `${kind} metadata.name is empty; set a name`, 'metadata.name');
  return name;
}

function namespaceOf(object: Named, kind: string): string {
  const namespace = object.metadata.namespace;
  if (!namespace) {
    throw new InvalidInputError(
      'MissingNamespace',
      `${kind} metadata.namespace is empty; set the namespace the object lives in`,
      'metadata.namespace',
    );
  }
  return namespace;
}

/** The Secret that holds the current bundle: spec.target.secret.name, default `<name>-scb`. */
export function bundleSecretName(bundle: SecureConnectionBundle): string {
  return bundle.spec.target?.secret?.name ?? `${nameOf(bundle, 'SecureConnectionBundle')}-scb`;
}

/** Subject CN of the client certificate: spec.identity.commonName, default metadata.name. */
export function bundleCommonName(bundle: SecureConnectionBundle): string {
  return bundle.spec.identity?.commonName ?? nameOf(bundle, 'SecureConnectionBundle');
}

/** Where the referenced CassandraClusterRef lives: spec.clusterRef.namespace, default the bundle's own. */
export function clusterRefNamespace(bundle: SecureConnectionBundle): string {
  return bundle.spec.clusterRef.namespace ?? namespaceOf(bundle, 'SecureConnectionBundle');
}

/**
 * The SPIFFE ID for the certificate's URI SAN: spec.identity.spiffeID, else
 * `spiffe://<trustDomain>/ns/<namespace>/scb/<name>` when the cluster has a trust domain, else none.
 */
export function bundleSpiffeID(
  bundle: SecureConnectionBundle,
  trustDomain: string | undefined,
): string | undefined {
  const explicit = bundle.spec.identity?.spiffeID;
  if (explicit !== undefined) return explicit;
  if (!trustDomain) return undefined;
  const namespace = namespaceOf(bundle, 'SecureConnectionBundle');
  return `spiffe://${trustDomain}/ns/${namespace}/scb/${nameOf(bundle, 'SecureConnectionBundle')}`;
}

/** Key size in bits; when size is omitted: 256 (P-256) for ECDSA, 2048 for RSA. */
export function privateKeySize(privateKey: BundlePrivateKey | CAPrivateKey | undefined): number {
  return privateKey?.size ?? (privateKey?.algorithm === 'RSA' ? 2048 : 256);
}

/** Platforms to include: spec.platforms as given (an empty list means none), all when omitted. */
export function selectedPlatforms(spec: SecureConnectionBundleSpec): readonly PlatformId[] {
  return spec.platforms ?? PLATFORM_IDS;
}

/** The ConfigMap that publishes the client CA certificates: default `<name>-client-ca`. */
export function trustBundleConfigMapName(cluster: CassandraClusterRef): string {
  return cluster.spec.trustBundle?.configMapName ?? `${nameOf(cluster, 'CassandraClusterRef')}-client-ca`;
}

/** CN of an operator-managed client CA: spec.clientCA.managed.commonName, default `<name> client CA`. */
export function managedClientCACommonName(cluster: CassandraClusterRef): string {
  return cluster.spec.clientCA.managed?.commonName ?? `${nameOf(cluster, 'CassandraClusterRef')} client CA`;
}
