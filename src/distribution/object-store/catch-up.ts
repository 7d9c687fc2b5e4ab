import type { BundleVersion } from '../../api/v1alpha1/index.js';

/**
 * Versions status lists that the store has not received yet, oldest first: no objectKey, and
 * still in the cluster (a version Secret to upload from). An Archived version without objectKey
 * was pruned before the store ever had it; nothing is left to upload.
 */
export function versionsMissingFromStore(versions: readonly BundleVersion[]): number[] {
  return versions
    .filter((entry) => entry.objectKey === undefined && entry.state !== 'Archived' && entry.secretName)
    .map((entry) => entry.version)
    .sort((a, b) => a - b);
}
