import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../api/v1alpha1/index.js';

/**
 * How the operator marks what it writes. Every Secret and ConfigMap it creates carries
 * MANAGED_BY, and only objects with that label are watched, so unrelated Secrets cost no memory;
 * ROLE says what the object is for, and an owner reference ties it to the resource it belongs
 * to (so it is garbage-collected with it and its changes route back to that resource).
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'scb-operator';
export const OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

export const ROLE_LABEL = 'scb-operator.io/role';
export type OwnedRole =
  | 'published-bundle'
  | 'bundle-version'
  | 'managed-client-ca'
  | 'trust-bundle'
  | 'signing-key'
  | 'gateway-serving-ca'
  | 'gateway-serving';

const OWNED_ROLES: readonly OwnedRole[] = [
  'published-bundle',
  'bundle-version',
  'managed-client-ca',
  'trust-bundle',
  'signing-key',
  'gateway-serving-ca',
  'gateway-serving',
];

export const VERSION_LABEL = 'scb-operator.io/version';

/** Labels every owned object carries; `extra` (user labels) never overrides ours. */
export function ownedLabels(
  role: OwnedRole,
  extra: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) labels[key] = value;
  return { ...labels, [MANAGED_BY_LABEL]: MANAGED_BY, [ROLE_LABEL]: role };
}

/** A controller owner reference: deleting the owner deletes the object (foreground or background). */
export function controllerReference(owner: KubernetesObject & { kind: string }): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: owner.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The resource that controls `object`, if one of ours does. */
export function controllerOf(metadata: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  // By group, not version: objects owned under an earlier or later API version are still ours.
  return metadata?.ownerReferences?.find(
    (ref) => ref.controller === true && ref.apiVersion.startsWith(`${API_GROUP}/`),
  );
}

export function roleOf(metadata: V1ObjectMeta | undefined): OwnedRole | undefined {
  const role = metadata?.labels?.[ROLE_LABEL];
  return OWNED_ROLES.find((known) => known === role);
}

/** Cache index of the objects one of our resources controls, by that resource's uid. */
export const CONTROLLER_UID_INDEX = 'controller-uid';

export function controllerUidIndex(object: KubernetesObject): readonly string[] {
  const uid = controllerOf(object.metadata)?.uid;
  return uid ? [uid] : [];
}

/** Is `object` controlled by `owner` (same uid)? */
export function isControlledBy(object: KubernetesObject, owner: KubernetesObject): boolean {
  const uid = owner.metadata?.uid;
  return uid !== undefined && controllerOf(object.metadata)?.uid === uid;
}

/**
 * Who holds an object, in words for a NameConflict message: the controlling resource's kind and
 * name, or that nothing of ours controls it. Never the object's content.
 */
export function describeHolder(metadata: V1ObjectMeta | undefined): string {
  const controller = controllerOf(metadata);
  if (controller)
    return `${controller.kind} ${metadata?.namespace ? `${metadata.namespace}/` : ''}${controller.name}`;
  const other = metadata?.ownerReferences?.find((ref) => ref.controller === true);
  if (other) return `${other.kind} ${other.name} (${other.apiVersion})`;
  return 'an object not controlled by scb-operator';
}
