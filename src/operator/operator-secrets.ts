import type { V1ObjectMeta } from '@kubernetes/client-node';
import { NameConflictError } from '../errors.js';
import { httpStatusOf } from '../kube/errors.js';
import type { KubeObjects } from '../kube/kube-objects.js';
import { describeHolder, ownedLabels, type OwnedRole } from '../controllers/ownership.js';
import { secretValue, type SecretValue } from '../observability/secret-value.js';

export interface OperatorSecret {
  namespace: string;
  name: string;
  /** The data key that holds the value. */
  key: string;
  role: OwnedRole;
  /** The chart value and flag that name it, for the message when the name is taken. */
  setting: string;
}

/**
 * A value every replica must share (the manifest signing key, the download-link key), kept in a
 * Secret in the operator's namespace. The first replica to start creates it; a 409 means another
 * replica won the race, and its value is read instead, so all replicas end up with the same one.
 *
 * An existing Secret is used only if it carries the labels the operator gives the ones it makes
 * (so a reinstall keeps its key). Labels are no proof of who wrote it, but they keep a Secret
 * that merely has the name (someone else's, or one planted without care) from being adopted as
 * key material unnoticed; supplying a key of your own is done by labelling it (docs/install.md).
 * The value comes back wrapped: it is key material.
 */
export async function loadOrCreateOperatorSecret(
  kube: KubeObjects,
  secret: OperatorSecret,
  generate: () => Buffer,
): Promise<SecretValue<Buffer>> {
  const existing = await readOperatorSecret(kube, secret);
  if (existing) return secretValue(existing);
  const value = generate();
  try {
    await kube.createSecret(secret.namespace, {
      metadata: { name: secret.name, namespace: secret.namespace, labels: ownedLabels(secret.role) },
      type: 'Opaque',
      data: { [secret.key]: value.toString('base64') },
    });
    return secretValue(value);
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
    const theirs = await readOperatorSecret(kube, secret);
    if (!theirs) throw error;
    return secretValue(theirs);
  }
}

/** Does `metadata` carry the labels the operator gives what it makes for `role`? */
export function labelledAsOurs(metadata: V1ObjectMeta | undefined, role: OwnedRole): boolean {
  return Object.entries(ownedLabels(role)).every(([key, value]) => metadata?.labels?.[key] === value);
}

/**
 * The name of an operator Secret or ConfigMap is held by an object without the operator's labels.
 * A Secret may be one made to supply the key (labelling it says so); a ConfigMap is only ever
 * written by the operator.
 */
export function operatorObjectNameConflict(
  kind: 'Secret' | 'ConfigMap',
  object: { namespace: string; name: string; role: OwnedRole; setting: string },
  metadata: V1ObjectMeta | undefined,
): NameConflictError {
  const { namespace, name, role, setting } = object;
  const labels = Object.entries(ownedLabels(role))
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const holder = describeHolder(metadata);
  return new NameConflictError(
    kind,
    name,
    holder,
    `${kind} ${namespace}/${name} exists without the operator's labels (${labels}), so the operator does not use or overwrite it: choose another name with ${setting}, or ${
      kind === 'Secret'
        ? `if you made it to supply the key yourself, label it: kubectl -n ${namespace} label secret ${name} ${labels}`
        : 'remove it'
    }`,
    setting,
  );
}

async function readOperatorSecret(kube: KubeObjects, secret: OperatorSecret): Promise<Buffer | undefined> {
  const found = await kube.getSecret(secret.namespace, secret.name);
  if (!found) return undefined;
  if (!labelledAsOurs(found.metadata, secret.role)) {
    throw operatorObjectNameConflict('Secret', secret, found.metadata);
  }
  const value = found.data?.[secret.key];
  if (value === undefined) {
    throw new Error(
      `Secret ${secret.namespace}/${secret.name} has no key "${secret.key}": delete it to have a new one made`,
    );
  }
  return Buffer.from(value, 'base64');
}
