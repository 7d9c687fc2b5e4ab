import { statusChanged } from './conditions.js';

/**
 * Would this merge patch of status change what a reader sees? The patch sets fields to values
 * or to null (removed); fields it leaves out stay as they are. Skipping no-op writes keeps a
 * thousand settled objects from writing status (and waking their watchers) on every resync.
 */
export function patchChangesStatus(previous: object | undefined, patch: object): boolean {
  const merged: Record<string, unknown> = { ...(previous ?? {}) };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field];
    else if (value !== undefined) merged[field] = value;
  }
  return statusChanged(previous, merged);
}
