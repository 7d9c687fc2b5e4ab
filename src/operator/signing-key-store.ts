import { httpStatusOf } from '../kube/errors.js';
import type { KubeObjects } from '../kube/kube-objects.js';
import {
  generateSigningKey,
  loadSigningKey,
  signingKeyPem,
  signingPublicKeyPem,
  type ManifestSigningKey,
} from '../bundle/signing.js';
import { ownedLabels } from '../controllers/ownership.js';

export const SIGNING_KEY_FILE = 'signing-key.pem';
export const SIGNING_PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/**
 * The key that signs every bundle's manifest.json. It lives in a Secret in the operator's
 * namespace so all replicas, and restarts, sign with the same key; the first replica to start
 * creates it (a 409 means another replica won the race, and its key is read). The public half is
 * published in a ConfigMap of the same name, for `scbctl verify --public-key` and consumers.
 */
export async function loadOrCreateSigningKey(
  kube: KubeObjects,
  namespace: string,
  name: string,
): Promise<ManifestSigningKey> {
  const key =
    (await readSigningKey(kube, namespace, name)) ?? (await createSigningKey(kube, namespace, name));
  await kube.applyConfigMap(namespace, {
    metadata: { name, namespace, labels: ownedLabels('signing-key') },
    data: { [SIGNING_PUBLIC_KEY_FILE]: signingPublicKeyPem(key.publicKey) },
  });
  return key;
}

async function readSigningKey(kube: KubeObjects, namespace: string, name: string) {
  const secret = await kube.getSecret(namespace, name);
  const pem = secret?.data?.[SIGNING_KEY_FILE];
  if (!secret) return undefined;
  if (pem === undefined) {
    throw new Error(
      `Secret ${namespace}/${name} has no key "${SIGNING_KEY_FILE}": delete it to have a new signing key made, or add the PEM key`,
    );
  }
  return loadSigningKey(Buffer.from(pem, 'base64').toString('utf8'), `Secret ${namespace}/${name}`);
}

async function createSigningKey(kube: KubeObjects, namespace: string, name: string) {
  const key = generateSigningKey();
  try {
    await kube.createSecret(namespace, {
      metadata: { name, namespace, labels: ownedLabels('signing-key') },
      type: 'Opaque',
      data: { [SIGNING_KEY_FILE]: Buffer.from(signingKeyPem(key), 'utf8').toString('base64') },
    });
    return key;
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
    const theirs = await readSigningKey(kube, namespace, name);
    if (!theirs) throw error;
    return theirs;
  }
}
