import type { DownloadRecord, VersionDownloads } from '../../api/v1alpha1/index.js';
import { MAX_VERSIONS_LISTED } from './usage-report.js';

/** status.usage.downloads[].recent holds at most this many downloads (the CRD's maxItems). */
export const MAX_RECENT_DOWNLOADS = 10;
/** An identity longer than this (the CRD's maxLength) is cut, never refused: the download happened. */
const MAX_IDENTITY = 256;

/** One download the download API served. */
export interface ServedDownload {
  namespace: string;
  name: string;
  version: number;
  /** The token's user name, or for a signed link the user who minted it. */
  identity: string;
  via: DownloadRecord['via'];
  linkId?: string;
  time: string;
}

/**
 * status.usage.downloads after adding `served` (any order) to `recorded`: per version, the count
 * grows and the newest MAX_RECENT_DOWNLOADS stay, newest first. Versions not in `listed` (pruned
 * from status.versions) are dropped, so the list stays as bounded as the history.
 */
export function mergeDownloads(
  recorded: readonly VersionDownloads[],
  served: readonly ServedDownload[],
  listed: ReadonlySet<number>,
): VersionDownloads[] {
  const byVersion = new Map<number, VersionDownloads>();
  for (const entry of recorded) {
    if (listed.has(entry.version))
      byVersion.set(entry.version, { ...entry, recent: [...(entry.recent ?? [])] });
  }
  for (const download of served) {
    if (!listed.has(download.version)) continue;
    const entry = byVersion.get(download.version) ?? { version: download.version, count: 0, recent: [] };
    entry.count += 1;
    entry.recent = [
      {
        identity: download.identity.slice(0, MAX_IDENTITY),
        time: download.time,
        via: download.via,
        ...(download.linkId !== undefined ? { linkId: download.linkId } : {}),
      },
      ...(entry.recent ?? []),
    ];
    byVersion.set(download.version, entry);
  }
  return [...byVersion.values()]
    .sort((a, b) => b.version - a.version)
    .slice(0, MAX_VERSIONS_LISTED)
    .map((entry) => ({
      ...entry,
      recent: [...(entry.recent ?? [])]
        .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
        .slice(0, MAX_RECENT_DOWNLOADS),
    }));
}
