import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION_NAME, SECURE_CONNECTION_BUNDLE } from '../api/v1alpha1/index.js';
import { ROTATE_ANNOTATION } from '../controllers/bundle/issuance-policy.js';
import { httpStatusOf } from '../kube/errors.js';
import type { Clock } from '../time/clock.js';
import { ClusterCommandFailure, clusterFailure } from './cluster-access.js';

/**
 * Asks the operator for a new version now: a fresh value in the scb-operator.io/rotate
 * annotation (the operator issues once per distinct value). Needs `patch` on the bundle.
 */
export async function requestRotation(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
  clock: Clock,
): Promise<string> {
  const token = `${clock.now().toISOString()}-${randomBytes(4).toString('hex')}`;
  try {
    await kubeConfig.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: API_GROUP,
        version: API_VERSION_NAME,
        plural: SECURE_CONNECTION_BUNDLE.plural,
        namespace: ref.namespace,
        name: ref.name,
        body: { metadata: { annotations: { [ROTATE_ANNOTATION]: token } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (error) {
    if (httpStatusOf(error) === 404) {
      throw new ClusterCommandFailure(
        `SecureConnectionBundle ${ref.namespace}/${ref.name} not found (check the name and -n/--namespace)`,
      );
    }
    throw clusterFailure(`annotating SecureConnectionBundle ${ref.namespace}/${ref.name}`, error);
  }
  return token;
}
