import {
  bundleCommonName,
  bundleSpiffeID,
  clusterRefNamespace,
  type CassandraClusterRef,
  type SecureConnectionBundle,
  type SecureConnectionBundleStatus,
} from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import { objectKey } from '../../kube/object-key.js';
import { evaluateIdentity, type CommonNameClaim } from '../cluster-ref/identity-policy.js';

/** The identity a version's certificate carries, once the cluster's identity policy admitted it. */
export interface AdmittedIdentity {
  commonName: string;
  spiffeID: string | undefined;
  organizations: readonly string[];
  dnsNames: readonly string[];
  /** NamespaceDefault, or the grants that allowed it. */
  grantedBy: string;
}

/**
 * Applies the cluster's identity policy (cluster-ref/identity-policy.ts) to the bundle, with the
 * common names other namespaces' bundles of the same cluster hold. Refusal is an invalid spec
 * (IdentityNotAllowed, Stalled): nothing is issued, what is published stays.
 */
export function admitIdentity(
  bundle: SecureConnectionBundle,
  cluster: CassandraClusterRef,
  context: {
    /** Bundles filed under a claim key (COMMON_NAME_CLAIM_INDEX). */
    bundlesClaiming: (claim: string) => readonly SecureConnectionBundle[];
    namespaceLabels: () => Readonly<Record<string, string>>;
  },
): AdmittedIdentity {
  const trustDomain = cluster.spec.identity?.trustDomain;
  const requested = {
    commonName: bundleCommonName(bundle),
    spiffeID: bundleSpiffeID(bundle, trustDomain),
    organizations: bundle.spec.identity?.organizations ?? [],
  };
  const decision = evaluateIdentity({
    bundle: {
      namespace: bundle.metadata.namespace ?? '',
      key: objectKey(bundle),
      createdAt: creationTime(bundle),
    },
    namespaceLabels: context.namespaceLabels,
    identity: requested,
    cluster: {
      namespace: cluster.metadata.namespace ?? '',
      name: cluster.metadata.name ?? '',
      trustDomain,
      grants: cluster.spec.access?.identities ?? [],
    },
    claims: commonNameClaims(context.bundlesClaiming(claimKey(clusterKeyOf(cluster), requested.commonName))),
  });
  if (!decision.allowed) throw new InvalidInputError(decision.reason, decision.message, decision.field);
  return { ...requested, dnsNames: bundle.spec.identity?.dnsNames ?? [], grantedBy: decision.grantedBy };
}

/**
 * Cache indexes over bundles, so a reconcile finds the holders of one common name, and a holder's
 * change finds the bundles waiting for it, without walking every bundle.
 */
export const COMMON_NAME_CLAIM_INDEX = 'common-name-claim';
export const IDENTITY_REFUSED_INDEX = 'identity-refused';

/** `<cluster namespace>/<cluster name>` of the CassandraClusterRef a bundle or claim belongs to. */
export function clusterKeyOf(cluster: CassandraClusterRef): string {
  return `${cluster.metadata.namespace ?? ''}/${cluster.metadata.name ?? ''}`;
}

function bundleClusterKey(bundle: SecureConnectionBundle): string {
  return `${clusterRefNamespace(bundle)}/${bundle.spec.clusterRef.name}`;
}

function claimKey(clusterKey: string, commonName: string): string {
  return `${clusterKey}/${commonName}`;
}

/**
 * The claim a bundle holds, as the index files it: the common name its current certificate
 * carries, as its status (written only by the operator) records. A bundle that never got a
 * certificate holds nothing, so a namespace the cluster refuses cannot squat names by creating
 * bundles.
 */
export function commonNameClaimIndex(bundle: SecureConnectionBundle): readonly string[] {
  const commonName = bundle.status?.identity?.commonName;
  if (bundle.status?.currentVersion === undefined || commonName === undefined) return [];
  return [claimKey(bundleClusterKey(bundle), commonName)];
}

/** Bundles the identity policy refused, filed under their cluster. */
export function identityRefusedIndex(bundle: SecureConnectionBundle): readonly string[] {
  return bundle.status?.lastFailureReason === 'IdentityNotAllowed' ? [bundleClusterKey(bundle)] : [];
}

/** The refused bundles of other namespaces to look again when `holder`'s claim may have moved. */
export function identityWaiterKeys(
  refusedOfCluster: (clusterKey: string) => readonly SecureConnectionBundle[],
  holder: SecureConnectionBundle,
): string[] {
  if (holder.status?.identity?.commonName === undefined) return [];
  return refusedOfCluster(bundleClusterKey(holder))
    .filter((other) => other.metadata.namespace !== holder.metadata.namespace)
    .map((other) => objectKey(other));
}

/** Does the policy need the bundle namespace's labels (a grant selects namespaces by label)? */
export function identityNeedsNamespaceLabels(cluster: CassandraClusterRef): boolean {
  return (cluster.spec.access?.identities ?? []).some((grant) => grant.namespaceSelector !== undefined);
}

/**
 * The claims of the bundles the index filed under this cluster and common name (what makes a
 * claim is commonNameClaimIndex), less those being deleted.
 */
function commonNameClaims(holders: readonly SecureConnectionBundle[]): CommonNameClaim[] {
  return holders
    .filter((holder) => !holder.metadata.deletionTimestamp)
    .map((holder) => ({
      namespace: holder.metadata.namespace ?? '',
      commonName: holder.status?.identity?.commonName ?? '',
      createdAt: creationTime(holder),
      key: objectKey(holder),
    }));
}

/**
 * status.identity for the version now published, as a merge patch: fields the identity no
 * longer has are null, so the API server drops what an earlier version's identity left there.
 */
export function identityStatus(
  identity: AdmittedIdentity,
): NonNullable<SecureConnectionBundleStatus['identity']> {
  const patch = {
    commonName: identity.commonName,
    spiffeID: identity.spiffeID ?? null,
    organizations: identity.organizations.length ? [...identity.organizations] : null,
    grantedBy: identity.grantedBy,
  };
  // The generated status type has no nulls; a merge patch needs them to remove a field.
  return patch as NonNullable<SecureConnectionBundleStatus['identity']>;
}

function creationTime(bundle: SecureConnectionBundle): Date {
  const text = bundle.metadata.creationTimestamp as unknown as string | Date | undefined;
  const at = text === undefined ? Number.NaN : new Date(text).getTime();
  // Unknown age sorts last: such a bundle never takes a name from one whose age is known.
  return new Date(Number.isNaN(at) ? 8.64e15 : at);
}
