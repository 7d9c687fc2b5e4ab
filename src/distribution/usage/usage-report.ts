import {
  bundleSecretName,
  type BundleVersion,
  type SecureConnectionBundle,
  type VersionUsage,
  type WorkloadUsage,
} from '../../api/v1alpha1/index.js';
import type { ObservedPod } from './pod-references.js';

/** status.usage lists at most this many workloads per version (the CRD's maxItems). */
export const MAX_WORKLOADS_LISTED = 10;
/** status.usage.versions and .downloads hold at most this many versions (the CRD's maxItems). */
export const MAX_VERSIONS_LISTED = 60;

export interface BundleUsageReport {
  /** status.usage.versions: newest first, each version used by at least one pod. */
  versions: VersionUsage[];
  /** Versions whose `<secret>-vN` Secret active pods read, with those pods' workloads. */
  mountedBy: Map<number, string[]>;
}

/**
 * Who runs which version of `bundle`, from the pods that read its Secrets (`podsReading` answers
 * from the pod cache's Secret index). Only active pods count. A pod that follows the published
 * Secret (a volume without subPath) runs the current version; one that read it at start (env,
 * envFrom, subPath) runs the version that was current when its oldest running container started;
 * one that reads `<secret>-vN` runs N.
 */
export function bundleUsage(
  bundle: SecureConnectionBundle,
  podsReading: (secretName: string) => readonly ObservedPod[],
): BundleUsageReport {
  const status = bundle.status;
  const current = status?.currentVersion;
  const versions = [...(status?.versions ?? [])].sort((a, b) => b.version - a.version);
  const tally = new Tally();
  const mountedBy = new Map<number, Set<string>>();
  if (current !== undefined) {
    const published = bundleSecretName(bundle);
    for (const pod of podsReading(published)) {
      const ref = pod.secrets.find((candidate) => candidate.name === published);
      if (!pod.active || !ref) continue;
      const version =
        ref.follows || pod.containersStartedAt === undefined
          ? current
          : versionCurrentAt(versions, pod.containersStartedAt);
      // Started before every version still recorded: what it runs has left the history.
      if (version !== undefined) tally.add(version, pod, published);
    }
  }
  for (const entry of versions) {
    if (entry.secretName === undefined || entry.state === 'Archived') continue;
    for (const pod of podsReading(entry.secretName)) {
      if (!pod.active) continue;
      tally.add(entry.version, pod, entry.secretName);
      const users = mountedBy.get(entry.version) ?? new Set<string>();
      mountedBy.set(entry.version, users.add(pod.workload));
    }
  }
  return {
    versions: tally.report(),
    mountedBy: new Map([...mountedBy].map(([version, users]) => [version, [...users].sort()])),
  };
}

/** The version whose createdAt is the latest at or before `at` (versions newest first). */
export function versionCurrentAt(versions: readonly BundleVersion[], at: string): number | undefined {
  const time = Date.parse(at);
  if (Number.isNaN(time)) return undefined;
  return versions.find((entry) => entry.createdAt !== undefined && Date.parse(entry.createdAt) <= time)
    ?.version;
}

/** "Deployment/orders (2 pods), Pod/debug (1 pod)" and "and N more" past the list. */
export function describeWorkloads(usage: Pick<VersionUsage, 'workloads' | 'workloadCount'>): string {
  const listed = (usage.workloads ?? []).map(
    (workload) => `${workload.kind}/${workload.name} (${workload.pods} pod${workload.pods === 1 ? '' : 's'})`,
  );
  const more = usage.workloadCount - listed.length;
  return more > 0 ? `${listed.join(', ')} and ${more} more` : listed.join(', ');
}

class Tally {
  /** version → workload → its pods and the Secrets they read this version from. */
  private readonly byVersion = new Map<number, Map<string, { pods: Set<string>; secrets: Set<string> }>>();

  add(version: number, pod: ObservedPod, secretName: string): void {
    const workloads = this.byVersion.get(version) ?? new Map();
    this.byVersion.set(version, workloads);
    const entry = workloads.get(pod.workload) ?? { pods: new Set<string>(), secrets: new Set<string>() };
    workloads.set(pod.workload, entry);
    entry.pods.add(pod.metadata.name);
    entry.secrets.add(secretName);
  }

  report(): VersionUsage[] {
    return [...this.byVersion]
      .sort(([a], [b]) => b - a)
      .slice(0, MAX_VERSIONS_LISTED)
      .map(([version, workloads]) => {
        const all: WorkloadUsage[] = [...workloads].map(([workload, entry]) => {
          const at = workload.indexOf('/');
          return {
            kind: workload.slice(0, at),
            name: workload.slice(at + 1),
            pods: entry.pods.size,
            secretNames: [...entry.secrets].sort(),
          };
        });
        all.sort((a, b) => b.pods - a.pods || compare(`${a.kind}/${a.name}`, `${b.kind}/${b.name}`));
        const pods = new Set([...workloads.values()].flatMap((entry) => [...entry.pods]));
        return {
          version,
          pods: pods.size,
          workloadCount: all.length,
          workloads: all.slice(0, MAX_WORKLOADS_LISTED),
        };
      });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
