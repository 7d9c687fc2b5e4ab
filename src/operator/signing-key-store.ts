import type { KubeObjects } from '../kube/kube-objects.js';
import {
  generateSigningKey,
  loadSigningKey,
  signingKeyPem,
  signingPublicKeyPem,
  type ManifestSigningKey,
} from '../bundle/signing.js';
import { ownedLabels } from '../controllers/ownership.js';
import { loadOrCreateOperatorSecret } from './operator-secrets.js';

export const SIGNING_KEY_FILE = 'signing-key.pem';
export const SIGNING_PUBLIC_KEY_FILE = 'signing-key.pub.pem';

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
    { namespace, name, key: SIGNING_KEY_FILE, role: 'signing-key' },
    () => Buffer.from(signingKeyPem(generateSigningKey()), 'utf8'),
  );
  // Imported into a KeyObject, which does not print its key either.
  const key = loadSigningKey(pem.reveal().toString('utf8'), `Secret ${namespace}/${name}`);
  await kube.applyConfigMap(namespace, {
    metadata: { name, namespace, labels: ownedLabels('signing-key') },
    data: { [SIGNING_PUBLIC_KEY_FILE]: signingPublicKeyPem(key.publicKey) },
  });
  return key;
}
