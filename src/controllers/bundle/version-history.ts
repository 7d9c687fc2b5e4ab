import type { BundleVersion } from '../../api/v1alpha1/index.js';
import { parseStatusTime } from '../status-time.js';

/** status.versions holds at most this many entries (the CRD's maxItems). */
export const MAX_VERSION_ENTRIES = 100;
/** status.versions[].retainedBy lists at most this many workloads (the CRD's maxItems). */
export const MAX_RETAINED_BY = 10;

export interface VersionHistoryInput {
  /** status.versions as read (any order). */
  versions: readonly BundleVersion[];
  /** The version issued in this pass, if any; it becomes Active whatever state it carries. */
  issued: BundleVersion | undefined;
  /** spec.revisionHistoryLimit (default 3). */
  revisionHistoryLimit: number;
  now: Date;
  /**
   * Versions whose `<secret>-vN` Secret running pods mount, with those pods' workloads
   * (kind/name): such a version is never archived, whatever revisionHistoryLimit says.
   */
  mountedBy?: ReadonlyMap<number, readonly string[]>;
}

export interface VersionHistory {
  /** Newest first, each version number once. */
  versions: BundleVersion[];
  /** Per-version Secrets to remove from the cluster (versions that became Archived). */
  secretsToDelete: string[];
}

/**
 * The next status.versions list.
 * - The issued version is Active; every other version is superseded.
 * - Superseded versions stay in the cluster while they are among the newest
 *   `revisionHistoryLimit` superseded ones: Deprecated while their certificate is valid, Expired
 *   once expiresAt has passed (still retrievable for inspection, useless for connecting).
 * - Older superseded versions become Archived: their Secret is deleted (returned here) and
 *   secretName dropped; objectKey stays, as the object store keeps its archive copy.
 * - A superseded version past the limit whose Secret running pods mount is retained instead:
 *   it keeps its Secret and state, and `retainedBy` names the workloads (bounded). Deleting the
 *   Secret would break those pods' restarts and the new pods of their workloads.
 * - Archived entries are dropped oldest first once the list would exceed MAX_VERSION_ENTRIES.
 * Re-running with a version that is already recorded with the same certificate is a no-op for
 * it (a crash between writing status and finishing the pass must not fail the next one); the
 * same number with a different certificate, or a number not above every recorded one, throws.
 */
export function nextVersionHistory(input: VersionHistoryInput): VersionHistory {
  const known = newestFirst(input.versions);
  const issued = input.issued && admitIssued(known, input.issued);
  const all = issued ? newestFirst([issued, ...known.filter((v) => v.version !== issued.version)]) : known;
  const activeVersion = issued?.version ?? all.find((v) => v.state === 'Active')?.version;

  const secretsToDelete: string[] = [];
  let kept = 0;
  const next = all.map((entry): BundleVersion => {
    if (entry.version === activeVersion) return withoutRetention({ ...entry, state: 'Active' });
    const superseded = (): BundleVersion => ({
      ...entry,
      state: expired(entry, input.now) ? 'Expired' : 'Deprecated',
    });
    if (entry.state !== 'Archived' && kept < input.revisionHistoryLimit) {
      kept += 1;
      return withoutRetention(superseded());
    }
    const mountedBy = input.mountedBy?.get(entry.version);
    if (entry.state !== 'Archived' && entry.secretName !== undefined && mountedBy?.length) {
      return { ...superseded(), retainedBy: [...mountedBy].sort().slice(0, MAX_RETAINED_BY) };
    }
    // Also repairs an Archived entry that still names a Secret (a delete that did not happen).
    if (entry.secretName !== undefined) secretsToDelete.push(entry.secretName);
    return archived(entry);
  });
  return { versions: boundArchive(next), secretsToDelete };
}

function admitIssued(known: readonly BundleVersion[], issued: BundleVersion): BundleVersion {
  const same = known.find((v) => v.version === issued.version);
  if (same) {
    if (same.certificateSHA256 === issued.certificateSHA256) return { ...same, ...issued };
    throw new RangeError(
      `version ${issued.version} is already recorded with another certificate; a version number is never reused`,
    );
  }
  const highest = known[0]?.version ?? 0;
  if (issued.version <= highest) {
    throw new RangeError(`version ${issued.version} is not above the highest recorded version ${highest}`);
  }
  return issued;
}

/** Sorted by version, highest first; a number listed twice keeps its first entry. */
function newestFirst(versions: readonly BundleVersion[]): BundleVersion[] {
  const byNumber = new Map<number, BundleVersion>();
  for (const entry of versions) if (!byNumber.has(entry.version)) byNumber.set(entry.version, entry);
  return [...byNumber.values()].sort((a, b) => b.version - a.version);
}

function expired(entry: BundleVersion, now: Date): boolean {
  if (entry.expiresAt === undefined) return false;
  return parseStatusTime(entry.expiresAt, `status.versions[version=${entry.version}].expiresAt`) <= now;
}

function archived(entry: BundleVersion): BundleVersion {
  const copy: BundleVersion = withoutRetention({ ...entry, state: 'Archived' });
  delete copy.secretName;
  return copy;
}

function withoutRetention(entry: BundleVersion): BundleVersion {
  if (entry.retainedBy === undefined) return entry;
  const copy = { ...entry };
  delete copy.retainedBy;
  return copy;
}

function boundArchive(versions: BundleVersion[]): BundleVersion[] {
  let excess = versions.length - MAX_VERSION_ENTRIES;
  if (excess <= 0) return versions;
  // Walk from the oldest; only Archived entries are dropped (live ones number at most 51).
  const dropped = new Set<number>();
  for (let i = versions.length - 1; i >= 0 && excess > 0; i--) {
    const entry = versions[i];
    if (entry?.state === 'Archived') {
      dropped.add(entry.version);
      excess -= 1;
    }
  }
  return versions.filter((v) => !dropped.has(v.version));
}
