import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Namespace,
  type V1Secret,
  type V1SubjectAccessReviewSpec,
  type V1SubjectAccessReviewStatus,
  type V1TokenReviewStatus,
} from '@kubernetes/client-node';
import type { EventsV1Event } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION_NAME,
  CASSANDRA_CLUSTER_REF,
  SECURE_CONNECTION_BUNDLE,
  type CassandraClusterRef,
  type CassandraClusterRefStatus,
  type SecureConnectionBundle,
  type SecureConnectionBundleStatus,
} from '../api/v1alpha1/index.js';
import { httpStatusOf } from './errors.js';

/** The field manager our server-side applies and patches are recorded under. */
export const FIELD_MANAGER = 'scb-operator';

/** Items per page when listing: bounds the memory a single list response takes. */
const LIST_PAGE_SIZE = 250;

type CustomKind = typeof SECURE_CONNECTION_BUNDLE | typeof CASSANDRA_CLUSTER_REF;

/** The workload kinds a bundle may roll (spec.consumers[].kind). */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** The part of a Deployment, StatefulSet or DaemonSet a consumer rollout reads. */
export interface WorkloadTemplateView {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

/**
 * Every Kubernetes call the controllers make, in one place, so the set of verbs matches the
 * RBAC we ship and each call has one spelling. `watchNamespace` undefined means cluster-wide.
 */
export class KubeObjects {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly events: EventsV1Api;
  private readonly apps: AppsV1Api;
  private readonly authentication: AuthenticationV1Api;
  private readonly authorization: AuthorizationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.events = kubeConfig.makeApiClient(EventsV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.authentication = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  /** Collection path for a watch, e.g. `/api/v1/namespaces/db/secrets`. */
  static collectionPath(
    resource: 'secrets' | 'configmaps' | CustomKind['plural'],
    namespace: string | undefined,
  ): string {
    const base =
      resource === 'secrets' || resource === 'configmaps'
        ? '/api/v1'
        : `/apis/${API_GROUP}/${API_VERSION_NAME}`;
    return namespace ? `${base}/namespaces/${namespace}/${resource}` : `${base}/${resource}`;
  }

  listSecrets(namespace: string | undefined, labelSelector: string | undefined) {
    return pagedList((page) =>
      namespace
        ? this.core.listNamespacedSecret({ namespace, ...page, ...selector(labelSelector) })
        : this.core.listSecretForAllNamespaces({ ...page, ...selector(labelSelector) }),
    );
  }

  listConfigMaps(namespace: string | undefined, labelSelector: string | undefined) {
    return pagedList((page) =>
      namespace
        ? this.core.listNamespacedConfigMap({ namespace, ...page, ...selector(labelSelector) })
        : this.core.listConfigMapForAllNamespaces({ ...page, ...selector(labelSelector) }),
    );
  }

  listBundles(namespace: string | undefined) {
    return this.listCustom<SecureConnectionBundle>(SECURE_CONNECTION_BUNDLE, namespace);
  }

  listClusterRefs(namespace: string | undefined) {
    return this.listCustom<CassandraClusterRef>(CASSANDRA_CLUSTER_REF, namespace);
  }

  /** A fresh read (not from a cache): a pass decides on the status it last wrote, never an older one. */
  getBundle(namespace: string, name: string): Promise<SecureConnectionBundle | undefined> {
    return this.getCustom<SecureConnectionBundle>(SECURE_CONNECTION_BUNDLE, namespace, name);
  }

  getClusterRef(namespace: string, name: string): Promise<CassandraClusterRef | undefined> {
    return this.getCustom<CassandraClusterRef>(CASSANDRA_CLUSTER_REF, namespace, name);
  }

  getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return orUndefined(this.core.readNamespacedSecret({ namespace, name }));
  }

  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return orUndefined(this.core.readNamespacedConfigMap({ namespace, name }));
  }

  getNamespace(name: string): Promise<V1Namespace | undefined> {
    return orUndefined(this.core.readNamespace({ name }));
  }

  /** Fails with 409 AlreadyExists when the name is taken: how version numbers stay unique. */
  createSecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    return this.core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER });
  }

  /** Fails with 409 when `body.metadata.resourceVersion` is no longer current. */
  replaceSecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    const name = body.metadata?.name ?? '';
    return this.core.replaceNamespacedSecret({ namespace, name, body, fieldManager: FIELD_MANAGER });
  }

  /** Server-side apply: creates or updates, and drops keys we set before but not now. */
  applySecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    const name = body.metadata?.name ?? '';
    return this.core.patchNamespacedSecret(
      {
        namespace,
        name,
        body: { apiVersion: 'v1', kind: 'Secret', ...body },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }

  applyConfigMap(namespace: string, body: V1ConfigMap): Promise<V1ConfigMap> {
    const name = body.metadata?.name ?? '';
    return this.core.patchNamespacedConfigMap(
      {
        namespace,
        name,
        body: { apiVersion: 'v1', kind: 'ConfigMap', ...body },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }

  /** Deletes only the object with this uid (a same-named newcomer is left alone); gone is fine. */
  async deleteSecret(namespace: string, name: string, uid: string | undefined): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({
        namespace,
        name,
        ...(uid ? { body: { preconditions: { uid } } } : {}),
      });
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
    }
  }

  /**
   * JSON merge patch of /status. Arrays (conditions, versions) are replaced whole; a field set to
   * null is removed, which is how a cleared failure leaves status.
   */
  patchBundleStatus(namespace: string, name: string, status: NullableFields<SecureConnectionBundleStatus>) {
    return this.patchStatus(SECURE_CONNECTION_BUNDLE, namespace, name, status);
  }

  patchClusterRefStatus(namespace: string, name: string, status: NullableFields<CassandraClusterRefStatus>) {
    return this.patchStatus(CASSANDRA_CLUSTER_REF, namespace, name, status);
  }

  async createEvent(namespace: string, body: EventsV1Event): Promise<void> {
    await this.events.createNamespacedEvent({ namespace, body });
  }

  /**
   * JSON merge patch of a Secret's annotations (null removes one). Allowed on immutable Secrets
   * too: immutability covers data, not metadata.
   */
  async annotateSecret(namespace: string, name: string, annotations: Record<string, string | null>) {
    await this.core.patchNamespacedSecret(
      { namespace, name, body: { metadata: { annotations } }, fieldManager: FIELD_MANAGER },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** TokenReview (authentication.k8s.io/v1): who a bearer token belongs to, if anyone. */
  async reviewToken(token: string): Promise<V1TokenReviewStatus> {
    const review = await this.authentication.createTokenReview({ body: { spec: { token } } });
    return review.status ?? {};
  }

  /** SubjectAccessReview (authorization.k8s.io/v1): may this user do this? */
  async reviewAccess(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus> {
    const review = await this.authorization.createSubjectAccessReview({ body: { spec } });
    return review.status ?? { allowed: false };
  }

  getWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
  ): Promise<WorkloadTemplateView | undefined> {
    const request = { namespace, name };
    return orUndefined<WorkloadTemplateView>(
      kind === 'Deployment'
        ? this.apps.readNamespacedDeployment(request)
        : kind === 'StatefulSet'
          ? this.apps.readNamespacedStatefulSet(request)
          : this.apps.readNamespacedDaemonSet(request),
    );
  }

  /**
   * JSON merge patch of a workload; a `metadata.resourceVersion` in the body makes it fail with
   * 409 when the workload changed since it was read.
   */
  patchWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    body: object,
  ): Promise<WorkloadTemplateView> {
    const request = { namespace, name, body, fieldManager: FIELD_MANAGER };
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    return kind === 'Deployment'
      ? this.apps.patchNamespacedDeployment(request, mergePatch)
      : kind === 'StatefulSet'
        ? this.apps.patchNamespacedStatefulSet(request, mergePatch)
        : this.apps.patchNamespacedDaemonSet(request, mergePatch);
  }

  private async patchStatus(kind: CustomKind, namespace: string, name: string, status: object) {
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: API_GROUP,
        version: API_VERSION_NAME,
        plural: kind.plural,
        namespace,
        name,
        body: { status },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  private getCustom<T>(kind: CustomKind, namespace: string, name: string): Promise<T | undefined> {
    return orUndefined(
      this.custom.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION_NAME,
        plural: kind.plural,
        namespace,
        name,
      }) as Promise<T>,
    );
  }

  private listCustom<T extends KubernetesObject>(kind: CustomKind, namespace: string | undefined) {
    const common = { group: API_GROUP, version: API_VERSION_NAME, plural: kind.plural };
    return pagedList(
      (page) =>
        (namespace
          ? this.custom.listNamespacedCustomObject({ ...common, namespace, ...page })
          : this.custom.listClusterCustomObject({ ...common, ...page })) as Promise<KubernetesListObject<T>>,
    );
  }
}

/** A status object where any optional field may be sent as null to remove it. */
export type NullableFields<T> = { [K in keyof T]?: T[K] | null };

/**
 * Lists in pages and returns one list with the last page's resourceVersion, which is the
 * resourceVersion of the whole consistent snapshot (the continue token pins it), so a watch can
 * start from it.
 */
async function pagedList<T extends KubernetesObject>(
  fetchPage: (page: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let token: string | undefined;
  let last: KubernetesListObject<T>;
  do {
    last = await fetchPage({ limit: LIST_PAGE_SIZE, ...(token ? { _continue: token } : {}) });
    items.push(...last.items);
    token = last.metadata?._continue || undefined;
  } while (token);
  return { ...last, items };
}

function selector(labelSelector: string | undefined): { labelSelector?: string } {
  return labelSelector ? { labelSelector } : {};
}

async function orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}
