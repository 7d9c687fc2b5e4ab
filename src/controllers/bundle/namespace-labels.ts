import type { V1Namespace } from '@kubernetes/client-node';
import { clusterRefNamespace, type SecureConnectionBundle } from '../../api/v1alpha1/index.js';
import { objectKey } from '../../kube/object-key.js';

export type Labels = Readonly<Record<string, string>>;

/**
 * What the Namespace informer keeps: the name and labels the access and identity policies select
 * on, and the resourceVersion the cache compares. Annotations (a kubectl last-applied copy can be
 * kilobytes), spec, status and managedFields are dropped.
 */
export function namespaceLabelsOnly(namespace: V1Namespace): V1Namespace {
  const { name, uid, resourceVersion, labels } = namespace.metadata ?? {};
  return { metadata: { name, uid, resourceVersion, ...(labels ? { labels } : {}) } };
}

/**
 * Labels of a bundle's Namespace. A cluster-wide operator serves them from its Namespace informer
 * (a cross-namespace bundle used to cost a GET per reconcile); a namespace the informer has not
 * seen yet (created a moment ago, its event still in flight) is read from the API server, as is
 * every namespace when there is no informer.
 */
export class NamespaceLabels {
  constructor(
    private readonly read: (name: string) => Promise<V1Namespace | undefined>,
    private readonly cache?: { get(name: string): V1Namespace | undefined },
  ) {}

  async of(namespace: string): Promise<Labels> {
    const known = this.cache?.get(namespace) ?? (await this.read(namespace));
    return known?.metadata?.labels ?? {};
  }
}

/**
 * Which bundles to look at again when a Namespace changes: those in it that use a cluster ref of
 * another namespace (only they are judged by its labels), and only when its labels changed since
 * they were last seen. The first sight of a namespace enqueues nothing: at start every bundle is
 * queued anyway, and a bundle that raced its new namespace's event read the labels fresh.
 */
export class NamespaceLabelWatch {
  private readonly seen = new Map<string, string>();

  constructor(private readonly bundlesIn: (namespace: string) => readonly SecureConnectionBundle[]) {}

  bundleKeysFor(namespace: V1Namespace): string[] {
    const name = namespace.metadata?.name ?? '';
    const signature = labelSignature(namespace.metadata?.labels ?? {});
    const before = this.seen.get(name);
    this.seen.set(name, signature);
    if (before === undefined || before === signature) return [];
    return this.bundlesIn(name)
      .filter((bundle) => clusterRefNamespace(bundle) !== name)
      .map((bundle) => objectKey(bundle));
  }
}

/** Order-independent: the API server may return the same labels in another order. */
function labelSignature(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
