/**
 * Which version tags a repository keeps: the newest `keepTags` versions this bundle pushed, and
 * always the one `latest` points at. Pure: the caller lists the tags and resolves what each holds.
 */
import { versionOfTag } from './oci-reference.js';

export interface TagCleanup {
  /** Version tags to remove (their manifests and signatures go with them), oldest first. */
  remove: string[];
  keep: string[];
}

/**
 * `tags` as the registry lists them; only `v<N>` tags count (anything else, `latest` included,
 * is never touched). `latestVersion` is kept even when it falls outside the newest `keepTags`.
 */
export function tagsToRemove(
  tags: readonly string[],
  keepTags: number,
  latestVersion: number | undefined,
): TagCleanup {
  const versions = tags
    .map((tag) => ({ tag, version: versionOfTag(tag) }))
    .filter((entry): entry is { tag: string; version: number } => entry.version !== undefined)
    .sort((a, b) => b.version - a.version);
  const keep = versions.slice(0, Math.max(1, keepTags));
  const remove = versions
    .slice(keep.length)
    .filter((entry) => entry.version !== latestVersion)
    .reverse();
  const kept = versions.filter((entry) => !remove.includes(entry));
  return { remove: remove.map((entry) => entry.tag), keep: kept.map((entry) => entry.tag) };
}

/** Should `latest` move to `candidate`? Only forward, so a catch-up of an old version never moves it back. */
export function shouldMoveLatestTag(current: number | undefined, candidate: number): boolean {
  return current === undefined || candidate > current;
}
