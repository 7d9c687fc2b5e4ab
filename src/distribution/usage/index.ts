/**
 * Usage tracking: which workloads run which bundle version (from the pods that read its Secrets),
 * the declared consumers' versions, who downloaded what, and the notices a deprecated or expiring
 * version still in use calls for. See README "Usage and safe deprecation".
 */
export { UsageTracker, VERSION_IN_USE_EVENT, type UsageTrackerOptions } from './usage-tracker.js';
export { DownloadLog, type DownloadLogOptions } from './download-log.js';
export type { ServedDownload } from './download-records.js';
export { observePod, podSecretIndex, POD_SECRET_INDEX, type ObservedPod } from './pod-references.js';
