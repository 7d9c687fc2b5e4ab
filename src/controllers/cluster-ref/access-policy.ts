import type { AccessPolicy, LabelSelector, LabelSelectorRequirement } from '../../api/v1alpha1/index.js';

export interface AccessRequest {
  /** Namespace of the SecureConnectionBundle. */
  bundleNamespace: string;
  /** Labels of that Namespace object (empty when it has none). */
  namespaceLabels: Readonly<Record<string, string>>;
  cluster: { name: string; namespace: string; access: AccessPolicy | undefined };
}

export type AccessDecision =
  | { allowed: true; basis: 'SameNamespace' | 'NamespaceList' | 'NamespaceSelector' }
  | { allowed: false; reason: 'NamespaceNotAllowed'; message: string };

/**
 * May a bundle in `bundleNamespace` use this CassandraClusterRef? Its own namespace always may;
 * others when listed in spec.access.namespaces or when their labels match
 * spec.access.namespaceSelector. The refusal names the fields that would allow it.
 */
export function evaluateAccess(request: AccessRequest): AccessDecision {
  const { bundleNamespace, cluster } = request;
  if (bundleNamespace === cluster.namespace) return { allowed: true, basis: 'SameNamespace' };
  if (cluster.access?.namespaces?.includes(bundleNamespace)) return { allowed: true, basis: 'NamespaceList' };
  const selector = cluster.access?.namespaceSelector;
  const unmet = selector && firstUnmetRequirement(selector, request.namespaceLabels);
  if (selector && unmet === undefined) return { allowed: true, basis: 'NamespaceSelector' };
  const ref = `CassandraClusterRef ${cluster.namespace}/${cluster.name}`;
  const selectorHint = unmet
    ? `, or label namespace "${bundleNamespace}" to match that CassandraClusterRef's spec.access.namespaceSelector (unmet: ${unmet})`
    : ` or set spec.access.namespaceSelector there`;
  return {
    allowed: false,
    reason: 'NamespaceNotAllowed',
    message: `namespace "${bundleNamespace}" may not use ${ref}: add "${bundleNamespace}" to its spec.access.namespaces${selectorHint}`,
  };
}

/**
 * Kubernetes label-selector semantics: every matchLabels entry and every matchExpressions
 * requirement must hold; an empty selector ({}) matches every namespace.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  return firstUnmetRequirement(selector, labels) === undefined;
}

/** The first requirement the labels do not meet, written for a message; undefined when all hold. */
function firstUnmetRequirement(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (value !== undefined && labels[key] !== value) return `${key}=${value}`;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    if (!requirementHolds(requirement, labels)) return describe(requirement);
  }
  return undefined;
}

/**
 * A malformed requirement (In/NotIn without values, Exists/DoesNotExist with values) is refused by
 * the CRD; should one slip through it matches nothing, so access fails closed.
 */
function requirementHolds(
  { key, operator, values = [] }: LabelSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const wantsValues = operator === 'In' || operator === 'NotIn';
  if (wantsValues !== values.length > 0) return false;
  const present = Object.hasOwn(labels, key);
  switch (operator) {
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'In':
      return present && values.includes(labels[key] as string);
    case 'NotIn':
      return !present || !values.includes(labels[key] as string);
  }
}

function describe({ key, operator, values = [] }: LabelSelectorRequirement): string {
  return operator === 'In' || operator === 'NotIn'
    ? `${key} ${operator} (${values.join(', ')})`
    : `${key} ${operator}`;
}
