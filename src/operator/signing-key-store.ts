import type { KubeObjects } from '../kube/kube-objects.js';
import { httpStatusOf } from '../kube/errors.js';
import {
  generateSigningKey,
  loadSigningKey,
  signingKeyPem,
  signingPublicKeyPem,
  type ManifestSigningKey,
} from '../bundle/signing.js';
import { ownedLabels } from '../controllers/ownership.js';
import { loadOrCreateOperatorSecret, operatorObjectNameConflict } from './operator-secrets.js';

export const SIGNING_KEY_FILE = 'signing-key.pem';
export const SIGNING_PUBLIC_KEY_FILE = 'signing-key.pub.pem';
const SETTING = 'signingKeySecret (--signing-key-secret)';

/**
 * The key that signs every bundle's manifest.json, shared by all replicas and restarts. The
 * public half is published in a ConfigMap of the same name, for `scbctl verify --public-key` and
 * consumers.
 */
export async function loadOrCreateSigningKey(
  kube: KubeObjects,
  namespace: string,
  name: string,
): Promise<ManifestSigningKey> {
  const pem = await loadOrCreateOperatorSecret(
    kube,
    { namespace, name, key: SIGNING_KEY_FILE, role: 'signing-key', setting: SETTING },
    () => Buffer.from(signingKeyPem(generateSigningKey()), 'utf8'),
  );
  // Imported into a KeyObject, which does not print its key either.
  const key = loadSigningKey(pem.reveal().toString('utf8'), `Secret ${namespace}/${name}`);
  await publishPublicKey(kube, namespace, name, signingPublicKeyPem(key.publicKey));
  return key;
}

/**
 * Creates the public-key ConfigMap, or rewrites it only if it carries our labels. The test is
 * part of the patch rather than a read first: in a namespace-scoped install the operator may
 * create and patch this ConfigMap but not read it.
 */
async function publishPublicKey(kube: KubeObjects, namespace: string, name: string, publicKeyPem: string) {
  const labels = ownedLabels('signing-key');
  const data = { [SIGNING_PUBLIC_KEY_FILE]: publicKeyPem };
  try {
    await kube.createConfigMap(namespace, { metadata: { name, namespace, labels }, data });
    return;
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
  }
  try {
    await kube.replaceConfigMapDataIfLabelled(namespace, name, labels, data);
  } catch (error) {
    // A failed "test" operation: the ConfigMap of that name is not ours.
    if (httpStatusOf(error) !== 422) throw error;
    throw operatorObjectNameConflict(
      'ConfigMap',
      { namespace, name, role: 'signing-key', setting: SETTING },
      undefined,
    );
  }
}
