/**
 * JSON with object keys sorted and `undefined` fields dropped, so two values that mean the same
 * serialise to the same text whatever order their keys were built in. Arrays keep their order
 * (it usually matters, e.g. subject organizations) unless `reorder` sorts the array found under a
 * given key.
 */
export function canonicalJson(
  value: unknown,
  reorder?: (key: string, items: unknown[]) => unknown[],
): string {
  return JSON.stringify(normalise(value, '', reorder));
}

function normalise(
  value: unknown,
  key: string,
  reorder: ((key: string, items: unknown[]) => unknown[]) | undefined,
): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => normalise(item, '', reorder));
    return reorder ? reorder(key, items) : items;
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, field]) => [name, normalise(field, name, reorder)] as const);
  return Object.fromEntries(entries);
}
