import type { AccessPolicy } from '../../api/v1alpha1/index.js';
import { labelSelectorMatches } from './access-policy.js';

/** One entry of a CassandraClusterRef's spec.access.identities. */
export type IdentityGrant = NonNullable<AccessPolicy['identities']>[number];

/** The identity a bundle asks for, with its defaults already applied. */
export interface RequestedIdentity {
  commonName: string;
  spiffeID: string | undefined;
  organizations: readonly string[];
}

/** A common name some bundle's current certificate carries (from that bundle's status). */
export interface CommonNameClaim {
  namespace: string;
  commonName: string;
  /** The claiming bundle's creationTimestamp; the older claim holds the name. */
  createdAt: Date;
  /** namespace/name of the claiming bundle, to order claims made in the same second. */
  key: string;
}

export interface IdentityRequest {
  bundle: { namespace: string; key: string; createdAt: Date };
  /** Labels of the bundle's Namespace; only read when a grant has a namespaceSelector. */
  namespaceLabels: () => Readonly<Record<string, string>>;
  identity: RequestedIdentity;
  cluster: {
    namespace: string;
    name: string;
    trustDomain: string | undefined;
    grants: readonly IdentityGrant[];
  };
  /** Common names held by bundles of this cluster in other namespaces. */
  claims: readonly CommonNameClaim[];
}

export const NAMESPACE_DEFAULT = 'NamespaceDefault';

export type IdentityDecision =
  | { allowed: true; grantedBy: string }
  | { allowed: false; reason: 'IdentityNotAllowed'; field: string; message: string };

/**
 * May this bundle's certificate carry the identity it asks for? A SecureConnectionBundle is a
 * credential, and Cassandra maps certificate identities to roles, so an identity belongs to
 * the bundle's namespace unless the cluster's owner grants more:
 * - SPIFFE ID: under spiffe://<cluster trust domain>/ns/<bundle namespace>/, or matched by a
 *   grant that applies to this namespace;
 * - common name: not reserved for other namespaces by a grant (unless a grant of this namespace
 *   matches it too), and not held by an older bundle of this cluster in another namespace
 *   (unless a grant gives it to this namespace);
 * - organizations: only those a grant of this namespace matches.
 * DNS SANs are not checked: client certificates carry only the clientAuth key usage, so a DNS
 * name in one proves nothing to a server.
 */
export function evaluateIdentity(request: IdentityRequest): IdentityDecision {
  const { identity, cluster, bundle } = request;
  const ref = `CassandraClusterRef ${cluster.namespace}/${cluster.name}`;
  const indexed = cluster.grants.map((grant, index) => ({ grant, at: `spec.access.identities[${index}]` }));
  let labels: Readonly<Record<string, string>> | undefined;
  const appliesHere = (grant: IdentityGrant) =>
    (grant.namespaces ?? []).includes(bundle.namespace) ||
    (grant.namespaceSelector !== undefined &&
      labelSelectorMatches(grant.namespaceSelector, (labels ??= request.namespaceLabels())));
  const own = indexed.filter(({ grant }) => appliesHere(grant));
  const foreign = indexed.filter(({ grant }) => !appliesHere(grant));
  const grantedBy = new Set<string>();
  const grantFor = (values: (grant: IdentityGrant) => readonly string[] | undefined, value: string) =>
    own.find(({ grant }) => (values(grant) ?? []).some((pattern) => globMatches(pattern, value)));
  const refuse = (field: string, message: string): IdentityDecision => ({
    allowed: false,
    reason: 'IdentityNotAllowed',
    field,
    message,
  });

  if (identity.spiffeID !== undefined) {
    // A '.' or '..' segment would let a path "under" this namespace (or a grant's glob) name
    // another one once normalised; the CRD refuses it too, but an older CRD may be installed.
    if (/\/\.\.?(\/|$)/.test(identity.spiffeID)) {
      return refuse(
        'spec.identity.spiffeID',
        `spec.identity.spiffeID "${identity.spiffeID}" has a '.' or '..' path segment: write the path without them`,
      );
    }
    const home = cluster.trustDomain && `spiffe://${cluster.trustDomain}/ns/${bundle.namespace}/`;
    const granted = grantFor((grant) => grant.spiffeIDs, identity.spiffeID);
    if (granted) grantedBy.add(granted.at);
    else if (!home || !identity.spiffeID.startsWith(home)) {
      const allowed = home
        ? `a bundle in namespace "${bundle.namespace}" may use SPIFFE IDs under ${home}`
        : `${ref} sets no spec.identity.trustDomain, so no SPIFFE ID is bound to namespace "${bundle.namespace}"`;
      return refuse(
        'spec.identity.spiffeID',
        `spec.identity.spiffeID "${identity.spiffeID}" is not this namespace's: ${allowed}; use one of those (or omit spiffeID for the default), or have ${ref} grant it in spec.access.identities`,
      );
    }
  }

  const cn = identity.commonName;
  const cnGrant = grantFor((grant) => grant.commonNames, cn);
  if (cnGrant) grantedBy.add(cnGrant.at);
  else {
    const reservedBy = foreign.find(({ grant }) =>
      (grant.commonNames ?? []).some((pattern) => globMatches(pattern, cn)),
    );
    if (reservedBy) {
      return refuse(
        'spec.identity.commonName',
        `spec.identity.commonName "${cn}" is reserved for other namespaces by ${ref} ${reservedBy.at}: choose another common name, or have that grant include namespace "${bundle.namespace}"`,
      );
    }
    const holder = request.claims
      .filter((claim) => claim.namespace !== bundle.namespace && claim.commonName === cn)
      .find((claim) => olderThan(claim, bundle));
    if (holder) {
      return refuse(
        'spec.identity.commonName',
        `spec.identity.commonName "${cn}" is held by a bundle in namespace "${holder.namespace}" for ${ref}: choose another common name (the default is metadata.name), or have ${ref} grant it to namespace "${bundle.namespace}" in spec.access.identities`,
      );
    }
  }

  for (const organization of identity.organizations) {
    const granted = grantFor((grant) => grant.organizations, organization);
    if (!granted) {
      return refuse(
        'spec.identity.organizations',
        `spec.identity.organizations "${organization}" is not granted to namespace "${bundle.namespace}": remove it, or have ${ref} grant it in spec.access.identities[].organizations`,
      );
    }
    grantedBy.add(granted.at);
  }

  const grants = [...grantedBy].map((at) => `${cluster.namespace}/${cluster.name} ${at}`);
  return { allowed: true, grantedBy: grants.length ? grants.join(', ') : NAMESPACE_DEFAULT };
}

function olderThan(claim: CommonNameClaim, bundle: { createdAt: Date; key: string }): boolean {
  const difference = claim.createdAt.getTime() - bundle.createdAt.getTime();
  return difference < 0 || (difference === 0 && claim.key < bundle.key);
}

/**
 * Does `value` match `pattern`, where '*' stands for any run of characters (none included)?
 * Linear in practice: on a mismatch it resumes after the last '*' only, so no pattern a tenant
 * or an owner writes can make matching explode the way a regular expression can.
 */
export function globMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === value[v]) {
      p += 1;
      v += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = v;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
