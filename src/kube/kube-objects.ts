import type {
  EventsV1Event,
  KubernetesListObject,
  KubernetesObject,
  V1ConfigMap,
  V1Namespace,
  V1Pod,
  V1Secret,
  V1SubjectAccessReview,
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReview,
  V1TokenReviewStatus,
} from '@kubernetes/client-node';
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
import type { KubeHttp } from './client/kube-http.js';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, type QueryValue } from './client/kube-http.js';
import { httpStatusOf } from './errors.js';

/** The field manager our server-side applies and patches are recorded under. */
export const FIELD_MANAGER = 'scb-operator';

/** Items per page when listing: bounds the memory a single list response takes. */
const LIST_PAGE_SIZE = 250;
/** Pods are cut to a few fields as each page arrives: a smaller page is a smaller transient. */
const POD_PAGE_SIZE = 100;
/** Bundle Secrets carry a zip and its files (100 KB and more): smaller pages bound a list's peak. */
const SECRET_PAGE_SIZE = 50;

export const NAMESPACES_PATH = '/api/v1/namespaces';

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
/** Told of every Secret this client created (for the scb_secret_creates_total metric). */
export type SecretCreated = (namespace: string, secret: V1Secret) => void;

export class KubeObjects {
  constructor(
    private readonly http: KubeHttp,
    private readonly secretCreated: SecretCreated = () => {},
  ) {}

  /** Collection path for a watch, e.g. `/api/v1/namespaces/db/secrets`. */
  static collectionPath(
    resource: 'secrets' | 'configmaps' | 'pods' | CustomKind['plural'],
    namespace: string | undefined,
  ): string {
    const base =
      resource === 'secrets' || resource === 'configmaps' || resource === 'pods'
        ? '/api/v1'
        : `/apis/${API_GROUP}/${API_VERSION_NAME}`;
    return namespace ? `${base}/namespaces/${namespace}/${resource}` : `${base}/${resource}`;
  }

  /**
   * `observe` maps each page's Secrets as it arrives, so a list of thousands of bundle Secrets
   * never holds all their data at once (1,000 bundles: about 80 MB, past the image's heap cap).
   */
  listSecrets<T extends V1Secret = V1Secret>(
    namespace: string | undefined,
    labelSelector: string | undefined,
    observe: (secret: V1Secret) => T = (secret) => secret as T,
  ) {
    return this.list<V1Secret, T>(
      KubeObjects.collectionPath('secrets', namespace),
      labelSelector,
      observe,
      SECRET_PAGE_SIZE,
    );
  }

  /**
   * Pods, each mapped by `observe` as its page arrives (the usage tracker keeps a few fields of
   * each), so thousands of full pod specs are never held at once.
   */
  listPods<T extends KubernetesObject>(namespace: string | undefined, observe: (pod: V1Pod) => T) {
    return this.list<V1Pod, T>(
      KubeObjects.collectionPath('pods', namespace),
      undefined,
      observe,
      POD_PAGE_SIZE,
    );
  }

  listConfigMaps(namespace: string | undefined, labelSelector: string | undefined) {
    return this.list<V1ConfigMap>(KubeObjects.collectionPath('configmaps', namespace), labelSelector);
  }

  listBundles(namespace: string | undefined) {
    return this.list<SecureConnectionBundle>(
      KubeObjects.collectionPath(SECURE_CONNECTION_BUNDLE.plural, namespace),
      undefined,
    );
  }

  listClusterRefs(namespace: string | undefined) {
    return this.list<CassandraClusterRef>(
      KubeObjects.collectionPath(CASSANDRA_CLUSTER_REF.plural, namespace),
      undefined,
    );
  }

  /** A fresh read (not from a cache): a pass decides on the status it last wrote, never an older one. */
  getBundle(namespace: string, name: string): Promise<SecureConnectionBundle | undefined> {
    return this.get(customPath(SECURE_CONNECTION_BUNDLE, namespace, name));
  }

  getClusterRef(namespace: string, name: string): Promise<CassandraClusterRef | undefined> {
    return this.get(customPath(CASSANDRA_CLUSTER_REF, namespace, name));
  }

  getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.get(corePath('secrets', namespace, name));
  }

  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return this.get(corePath('configmaps', namespace, name));
  }

  /** `mapItem` trims each page's Namespaces as it arrives (the informer keeps only labels). */
  listNamespaces(mapItem: (namespace: V1Namespace) => V1Namespace) {
    return this.list<V1Namespace>(NAMESPACES_PATH, undefined, mapItem);
  }

  getNamespace(name: string): Promise<V1Namespace | undefined> {
    return this.get(`${NAMESPACES_PATH}/${name}`);
  }

  /** Fails with 409 AlreadyExists when the name is taken: how version numbers stay unique. */
  async createSecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    const created = await this.http.request<V1Secret>('POST', corePath('secrets', namespace), {
      query: { fieldManager: FIELD_MANAGER },
      body: { apiVersion: 'v1', kind: 'Secret', ...body },
    });
    this.secretCreated(namespace, created);
    return created;
  }

  /** Fails with 409 when `body.metadata.resourceVersion` is no longer current. */
  replaceSecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    return this.http.request('PUT', corePath('secrets', namespace, body.metadata?.name ?? ''), {
      query: { fieldManager: FIELD_MANAGER },
      body: { apiVersion: 'v1', kind: 'Secret', ...body },
    });
  }

  /** Server-side apply: creates or updates, and drops keys we set before but not now. */
  applySecret(namespace: string, body: V1Secret): Promise<V1Secret> {
    return this.apply(corePath('secrets', namespace, body.metadata?.name ?? ''), {
      apiVersion: 'v1',
      kind: 'Secret',
      ...body,
    });
  }

  /** Fails with 409 AlreadyExists when the name is taken. */
  createConfigMap(namespace: string, body: V1ConfigMap): Promise<V1ConfigMap> {
    return this.http.request('POST', corePath('configmaps', namespace), {
      query: { fieldManager: FIELD_MANAGER },
      body: { apiVersion: 'v1', kind: 'ConfigMap', ...body },
    });
  }

  /**
   * Replaces a ConfigMap's data only if it carries every one of `labels` (JSON patch "test"
   * operations, which need no `get` right): otherwise the API server refuses the whole patch and
   * nothing is written.
   */
  replaceConfigMapDataIfLabelled(
    namespace: string,
    name: string,
    labels: Readonly<Record<string, string>>,
    data: Record<string, string>,
  ): Promise<V1ConfigMap> {
    const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
    return this.http.request('PATCH', corePath('configmaps', namespace, name), {
      query: { fieldManager: FIELD_MANAGER },
      body: [
        ...Object.entries(labels).map(([key, value]) => ({
          op: 'test',
          path: `/metadata/labels/${escape(key)}`,
          value,
        })),
        { op: 'add', path: '/data', value: data },
      ],
      contentType: JSON_PATCH,
    });
  }

  /** Server-side apply; with `metadata.resourceVersion` set, fails with 409 if that is no longer current. */
  applyConfigMap(namespace: string, body: V1ConfigMap): Promise<V1ConfigMap> {
    return this.apply(corePath('configmaps', namespace, body.metadata?.name ?? ''), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...body,
    });
  }

  /** Deletes only the object with this uid (a same-named newcomer is left alone); gone is fine. */
  async deleteSecret(namespace: string, name: string, uid: string | undefined): Promise<void> {
    try {
      await this.http.request('DELETE', corePath('secrets', namespace, name), {
        ...(uid ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } } : {}),
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

  /**
   * JSON merge patch of /status that the apiserver applies only while the bundle is still at
   * `resourceVersion` (409 otherwise): for writers that are not the leader (download records).
   */
  async patchBundleStatusAt(
    namespace: string,
    name: string,
    resourceVersion: string,
    status: NullableFields<SecureConnectionBundleStatus>,
  ): Promise<void> {
    await this.http.request('PATCH', `${customPath(SECURE_CONNECTION_BUNDLE, namespace, name)}/status`, {
      query: { fieldManager: FIELD_MANAGER },
      body: { metadata: { resourceVersion }, status },
      contentType: MERGE_PATCH,
    });
  }

  /**
   * Sets metadata.finalizers by JSON merge patch, which replaces the list whole: the
   * resourceVersion the list was read at makes it fail with 409 if anyone changed it since, so
   * another controller's finalizer is never dropped.
   */
  async setBundleFinalizers(
    namespace: string,
    name: string,
    finalizers: readonly string[],
    resourceVersion: string,
  ): Promise<void> {
    await this.http.request('PATCH', customPath(SECURE_CONNECTION_BUNDLE, namespace, name), {
      query: { fieldManager: FIELD_MANAGER },
      body: { metadata: { finalizers, resourceVersion } },
      contentType: MERGE_PATCH,
    });
  }

  patchClusterRefStatus(namespace: string, name: string, status: NullableFields<CassandraClusterRefStatus>) {
    return this.patchStatus(CASSANDRA_CLUSTER_REF, namespace, name, status);
  }

  async createEvent(namespace: string, body: EventsV1Event): Promise<void> {
    await this.http.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...body },
    });
  }

  /**
   * JSON merge patch of a Secret's annotations (null removes one). Allowed on immutable Secrets
   * too: immutability covers data, not metadata.
   */
  async annotateSecret(namespace: string, name: string, annotations: Record<string, string | null>) {
    await this.http.request('PATCH', corePath('secrets', namespace, name), {
      query: { fieldManager: FIELD_MANAGER },
      body: { metadata: { annotations } },
      contentType: MERGE_PATCH,
    });
  }

  /** TokenReview (authentication.k8s.io/v1): who a bearer token belongs to, if anyone. */
  async reviewToken(token: string): Promise<V1TokenReviewStatus> {
    const review = await this.http.request<V1TokenReview>(
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      },
    );
    return review.status ?? {};
  }

  /** SubjectAccessReview (authorization.k8s.io/v1): may this user do this? */
  async reviewAccess(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus> {
    const review = await this.http.request<V1SubjectAccessReview>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } },
    );
    return review.status ?? { allowed: false };
  }

  getWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
  ): Promise<WorkloadTemplateView | undefined> {
    return this.get(workloadPath(kind, namespace, name));
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
    return this.http.request('PATCH', workloadPath(kind, namespace, name), {
      query: { fieldManager: FIELD_MANAGER },
      body,
      contentType: MERGE_PATCH,
    });
  }

  private async patchStatus(kind: CustomKind, namespace: string, name: string, status: object) {
    await this.http.request('PATCH', `${customPath(kind, namespace, name)}/status`, {
      query: { fieldManager: FIELD_MANAGER },
      body: { status },
      contentType: MERGE_PATCH,
    });
  }

  private apply<T>(path: string, body: object): Promise<T> {
    return this.http.request('PATCH', path, {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body,
      contentType: APPLY_PATCH,
    });
  }

  private async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.http.request<T>('GET', path);
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Lists in pages and returns one list with the last page's resourceVersion, which is the
   * resourceVersion of the whole consistent snapshot (the continue token pins it), so a watch can
   * start from it.
   */
  private async list<T extends KubernetesObject, R extends KubernetesObject = T>(
    path: string,
    labelSelector: string | undefined,
    mapItem: (object: T) => R = (object) => object as unknown as R,
    pageSize = LIST_PAGE_SIZE,
  ): Promise<KubernetesListObject<R>> {
    const items: R[] = [];
    let token: string | undefined;
    let last: KubernetesListObject<T>;
    do {
      const query: Record<string, QueryValue> = { limit: pageSize, labelSelector, continue: token };
      last = await this.http.request<KubernetesListObject<T>>('GET', path, { query });
      items.push(...(last.items ?? []).map(mapItem));
      token = (last.metadata as { continue?: string } | undefined)?.continue || undefined;
    } while (token);
    return { ...last, items };
  }
}

function corePath(resource: 'secrets' | 'configmaps', namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/${resource}${name === undefined ? '' : `/${name}`}`;
}

function customPath(kind: CustomKind, namespace: string, name: string): string {
  return `/apis/${API_GROUP}/${API_VERSION_NAME}/namespaces/${namespace}/${kind.plural}/${name}`;
}

function workloadPath(kind: WorkloadKind, namespace: string, name: string): string {
  const plural =
    kind === 'Deployment' ? 'deployments' : kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
  return `/apis/apps/v1/namespaces/${namespace}/${plural}/${name}`;
}

/** A status object where any optional field may be sent as null to remove it. */
export type NullableFields<T> = { [K in keyof T]?: T[K] | null };
