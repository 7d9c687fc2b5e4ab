// Applies the CRDs' `default:` values the way the apiserver does, for places where no apiserver
// ran: `scbctl generate` from a file, and tests. The values come from generated.ts, which the drift
// test keeps equal to the CRDs, so no default is written down twice.
import {
  cassandraClusterRefSpecDefaults,
  secureConnectionBundleSpecDefaults,
  type CassandraClusterRefSpec,
  type DefaultsTree,
  type SecureConnectionBundleSpec,
} from './generated.js';

export function applySecureConnectionBundleDefaults(
  spec: SecureConnectionBundleSpec,
): SecureConnectionBundleSpec {
  return applyDefaults(spec, secureConnectionBundleSpecDefaults) as SecureConnectionBundleSpec;
}

export function applyCassandraClusterRefDefaults(spec: CassandraClusterRefSpec): CassandraClusterRefSpec {
  return applyDefaults(spec, cassandraClusterRefSpecDefaults) as CassandraClusterRefSpec;
}

/**
 * Structural defaulting: an absent (or null) field with a default gets a copy of it, then defaults
 * further down apply inside it, so `privateKey: {}` fills algorithm, encoding and rotationPolicy.
 * Returns a new value; the input is not changed.
 */
export function applyDefaults(value: unknown, tree: DefaultsTree): unknown {
  if (Array.isArray(value)) {
    const items = tree.items;
    return items ? value.map((item: unknown) => applyDefaults(item, items)) : value;
  }
  if (!isPlainObject(value) || !tree.properties) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [name, child] of Object.entries(tree.properties)) {
    const current = result[name] ?? structuredClone(child.default);
    if (current !== undefined) result[name] = applyDefaults(current, child);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
