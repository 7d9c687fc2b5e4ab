import type { KubernetesObject, V1Container, V1Pod } from '@kubernetes/client-node';

/**
 * What the pod cache keeps of a pod: who runs it, whether it still runs, and which Secrets it
 * reads. A pod's spec (volumes, env) is what tells which Secrets it reads, and a metadata-only
 * watch has no spec; so pods are watched whole (only where the operator watches bundles) and cut
 * down to this on arrival, as the Secret cache keeps a digest instead of the data. A pod then costs
 * a few hundred bytes in the cache, whatever its spec holds (measured in bench/README.md).
 */
export interface ObservedPod extends KubernetesObject {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
  };
  /** The workload that runs it: its controller owner (see `workloadOf`), or the pod itself. */
  workload: string;
  /** Pending or Running (or Unknown): it uses, or is about to use, what it references. */
  active: boolean;
  /**
   * When its oldest running container started: what env, envFrom and subPath mounts were read at.
   * Undefined while no container runs (those values are read when one starts).
   */
  containersStartedAt?: string;
  /** Each Secret it reads, once. */
  secrets: SecretReference[];
}

export interface SecretReference {
  name: string;
  /**
   * Mounted as a volume without subPath: the kubelet refreshes the files when the Secret changes,
   * so the pod follows the Secret. False for env, envFrom and subPath mounts, read once per start.
   */
  follows: boolean;
}

/** Index of the pod cache: `namespace/secretName` for every Secret a pod reads. */
export const POD_SECRET_INDEX = 'secret';

export function podSecretIndex(pod: ObservedPod): string[] {
  return pod.secrets.map((ref) => `${pod.metadata.namespace}/${ref.name}`);
}

/** The informer's transform: a pod as the cache keeps it. */
export function observePod(pod: V1Pod | ObservedPod): ObservedPod {
  // Listed pages are observed as they arrive, and the cache applies its transform again.
  if ('workload' in pod) return pod;
  const metadata = pod.metadata ?? {};
  const phase = pod.status?.phase;
  const startedAt = oldestRunningStart(pod);
  return {
    metadata: {
      name: metadata.name ?? '',
      namespace: metadata.namespace ?? '',
      ...(metadata.resourceVersion !== undefined ? { resourceVersion: metadata.resourceVersion } : {}),
    },
    workload: workloadOf(pod),
    active: phase !== 'Succeeded' && phase !== 'Failed',
    ...(startedAt !== undefined ? { containersStartedAt: startedAt } : {}),
    secrets: secretReferences(pod),
  };
}

/**
 * `Kind/name` of the pod's controller owner. A ReplicaSet the Deployment controller made is named
 * `<deployment>-<pod-template-hash>` and its pods carry that hash as a label, which names the
 * Deployment without watching ReplicaSets. Deeper owners (a Job's CronJob) are not followed.
 */
export function workloadOf(pod: V1Pod): string {
  const metadata = pod.metadata ?? {};
  const owner = metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (!owner) return `Pod/${metadata.name ?? ''}`;
  const hash = metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && owner.apiVersion.startsWith('apps/') && hash) {
    const suffix = `-${hash}`;
    if (owner.name.endsWith(suffix) && owner.name.length > suffix.length) {
      return `Deployment/${owner.name.slice(0, -suffix.length)}`;
    }
  }
  return `${owner.kind}/${owner.name}`;
}

/** Every Secret the pod reads: secret and projected volumes, env secretKeyRef and envFrom. */
export function secretReferences(pod: V1Pod): SecretReference[] {
  const spec = pod.spec;
  if (!spec) return [];
  // The API always sends containers; a hand-made object may not.
  const containers: V1Container[] = [
    ...(spec.initContainers ?? []),
    ...((spec.containers as V1Container[] | undefined) ?? []),
  ];
  const byName = new Map<string, boolean>();
  const add = (name: string | undefined, follows: boolean) => {
    // A Secret read both ways counts as read once per start: the stale copy is what matters.
    if (name) byName.set(name, (byName.get(name) ?? true) && follows);
  };
  for (const volume of spec.volumes ?? []) {
    const names = [
      volume.secret?.secretName,
      ...(volume.projected?.sources ?? []).map((source) => source.secret?.name),
    ];
    const pinnedMount = containers.some((container) =>
      (container.volumeMounts ?? []).some(
        (mount) => mount.name === volume.name && (mount.subPath || mount.subPathExpr),
      ),
    );
    for (const name of names) add(name, !pinnedMount);
  }
  for (const container of containers) {
    for (const source of container.envFrom ?? []) add(source.secretRef?.name, false);
    for (const variable of container.env ?? []) add(variable.valueFrom?.secretKeyRef?.name, false);
  }
  return [...byName].map(([name, follows]) => ({ name, follows })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

function oldestRunningStart(pod: V1Pod): string | undefined {
  let oldest: string | undefined;
  for (const status of pod.status?.containerStatuses ?? []) {
    const started = status.state?.running?.startedAt as unknown as string | Date | undefined;
    if (started === undefined) continue;
    const text = typeof started === 'string' ? started : started.toISOString();
    if (oldest === undefined || Date.parse(text) < Date.parse(oldest)) oldest = text;
  }
  return oldest;
}
