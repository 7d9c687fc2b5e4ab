import { httpStatusOf } from '../kube/errors.js';
import type { KubeObjects } from '../kube/kube-objects.js';
import { ownedLabels, type OwnedRole } from '../controllers/ownership.js';
import { secretValue, type SecretValue } from '../observability/secret-value.js';

export interface OperatorSecret {
  namespace: string;
  name: string;
  /** The data key that holds the value. */
  key: string;
  role: OwnedRole;
}

/**
 * A value every replica must share (the manifest signing key, the download-link key), kept in a
 * Secret in the operator's namespace. The first replica to start creates it; a 409 means another
 * replica won the race, and its value is read instead, so all replicas end up with the same one.
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

async function readOperatorSecret(kube: KubeObjects, secret: OperatorSecret): Promise<Buffer | undefined> {
  const found = await kube.getSecret(secret.namespace, secret.name);
  if (!found) return undefined;
  const value = found.data?.[secret.key];
  if (value === undefined) {
    throw new Error(
      `Secret ${secret.namespace}/${secret.name} has no key "${secret.key}": delete it to have a new one made`,
    );
  }
  return Buffer.from(value, 'base64');
}
