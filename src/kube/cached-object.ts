import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * What an informer keeps of an object: everything but `metadata.managedFields`. No reconcile
 * reads them (reconciles read the object fresh before deciding), and on a SecureConnectionBundle
 * they were a third of its cached size: 3.4 KB a bundle of about 9 KB, measured in the operator's
 * heap at 400 bundles, so 33 MiB at 10,000.
 */
export function withoutManagedFields<T extends KubernetesObject>(object: T): T {
  if (object.metadata?.managedFields === undefined) return object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { ...object, metadata };
}

/**
 * One copy of each short string that repeats across cached objects. Every watch event is parsed
 * on its own, so each cached object held its own "scb-operator.io/v1alpha1", kind, namespace,
 * label values, owner kinds, issuer digest and timestamps (objects written in the same second
 * share them): at 1,000 bundles after a renewal, 4,000 copies of the apiVersion alone, about
 * 1.5 KB a bundle in all (bench/heap-summary.ts on a `bench/operator-scale.ts --heap-snapshot`).
 * Bounded: when full it starts again, so values that never repeat (uids, per-version digests)
 * cannot make it grow.
 */
export class StringPool {
  readonly #strings = new Map<string, string>();

  constructor(
    private readonly capacity = 16_384,
    /** Longer strings (messages, PEM, serialised hashes) are rarely shared: left alone. */
    private readonly maxLength = 64,
  ) {}

  get size(): number {
    return this.#strings.size;
  }

  intern(value: string): string {
    if (value.length > this.maxLength) return value;
    const pooled = this.#strings.get(value);
    if (pooled !== undefined) return pooled;
    if (this.#strings.size >= this.capacity) this.#strings.clear();
    this.#strings.set(value, value);
    return value;
  }
}

/**
 * A copy of a parsed object whose short strings come from `pool`; plain objects and arrays are
 * copied, anything else (a Date the client made) is kept as it is. The input is not changed.
 */
export function internStrings<T>(value: T, pool: StringPool): T {
  if (typeof value === 'string') return pool.intern(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => internStrings(item, pool)) as T;
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = internStrings(item, pool);
  return copy as T;
}

/** What an informer caches: the object without managedFields, its short strings shared. */
export function cachedObject<T extends KubernetesObject>(object: T, pool: StringPool): T {
  return internStrings(withoutManagedFields(object), pool);
}
