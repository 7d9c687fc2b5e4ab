import { statusChanged } from './conditions.js';

/**
 * Would this merge patch of status change what a reader sees? The patch sets fields to values
 * or to null (removed); fields it leaves out stay as they are, and nested objects merge the same
 * way (RFC 7386, as the API server applies it). Skipping no-op writes keeps a thousand settled
 * objects from writing status (and waking their watchers) on every resync.
 */
export function patchChangesStatus(previous: object | undefined, patch: object): boolean {
  return statusChanged(previous, applyMergePatch(previous ?? {}, patch));
}

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const merged: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field];
    else if (value !== undefined) merged[field] = applyMergePatch(merged[field], value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
