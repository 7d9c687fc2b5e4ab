import {
  bundleSecretName,
  type BundleVersion,
  type SecureConnectionBundle,
  type VersionUsage,
} from '../../api/v1alpha1/index.js';
import { describeWorkloads } from './usage-report.js';

/**
 * A version is expiring once less than this share of its certificate's lifetime is left: 9 days
 * of a 90-day certificate, 12 seconds of a 2-minute one. The current version renews at two thirds
 * of its life, so only a version whose renewal failed, or an old one pods still run, gets here.
 */
export const EXPIRING_SHARE = 0.1;

/**
 * Deprecated: a superseded version (Deprecated or Expired) that pods still run.
 * Expiring: a version pods run whose certificate is about to expire.
 * Retained: a version past revisionHistoryLimit whose Secret is kept because pods mount it.
 */
export type UsageCondition = 'Deprecated' | 'Expiring' | 'Retained';

export interface UsageNotice {
  version: number;
  condition: UsageCondition;
  /** The Event reason. */
  reason: 'DeprecatedVersionInUse' | 'ExpiringVersionInUse' | 'VersionRetained';
  /** What to tell (Event note, webhook): names the version, the workloads and what to do. */
  message: string;
  /** The workloads to roll (empty for Retained, whose message names them). */
  usage: VersionUsage | undefined;
}

/** Every notice `bundle`'s usage calls for now; the caller raises each once per version. */
export function usageNotices(
  bundle: SecureConnectionBundle,
  usage: readonly VersionUsage[],
  now: Date,
): UsageNotice[] {
  const versions = bundle.status?.versions ?? [];
  const current = bundle.status?.currentVersion;
  const roll = current === undefined ? '' : `: roll them to version ${current}`;
  const notices: UsageNotice[] = [];
  for (const used of usage) {
    const entry = versions.find((candidate) => candidate.version === used.version);
    if (!entry || used.workloadCount === 0) continue;
    const who = describeWorkloads(used);
    if (entry.state === 'Deprecated' || entry.state === 'Expired') {
      const what =
        entry.state === 'Expired'
          ? `expired at ${entry.expiresAt ?? 'an unknown time'}`
          : `is Deprecated (superseded by version ${current ?? '?'})`;
      notices.push({
        version: entry.version,
        condition: 'Deprecated',
        reason: 'DeprecatedVersionInUse',
        message: `version ${entry.version} ${what} and is still used by ${who}${roll}`,
        usage: used,
      });
    }
    if (entry.state !== 'Expired' && expiring(entry, now)) {
      const fix =
        entry.version === current ? ': the bundle has not renewed; check its Ready condition' : roll;
      notices.push({
        version: entry.version,
        condition: 'Expiring',
        reason: 'ExpiringVersionInUse',
        message: `version ${entry.version} expires at ${entry.expiresAt} and is still used by ${who}${fix}`,
        usage: used,
      });
    }
  }
  for (const entry of versions) {
    if (!entry.retainedBy?.length) continue;
    notices.push({
      version: entry.version,
      condition: 'Retained',
      reason: 'VersionRetained',
      message:
        `version ${entry.version} is past spec.revisionHistoryLimit (${bundle.spec.revisionHistoryLimit ?? 3}) ` +
        `but Secret ${entry.secretName ?? `${bundleSecretName(bundle)}-v${entry.version}`} is kept: running pods of ` +
        `${entry.retainedBy.join(', ')} mount it; it is pruned once no pod does`,
      usage: undefined,
    });
  }
  return notices;
}

/** Less than EXPIRING_SHARE of the certificate's lifetime left, and not expired yet. */
export function expiring(entry: Pick<BundleVersion, 'createdAt' | 'expiresAt'>, now: Date): boolean {
  if (entry.createdAt === undefined || entry.expiresAt === undefined) return false;
  const start = Date.parse(entry.createdAt);
  const end = Date.parse(entry.expiresAt);
  const left = end - now.getTime();
  return left > 0 && left <= (end - start) * EXPIRING_SHARE;
}

/** Workloads per version state, and on expiring versions: what the metrics export. */
export function usageGauges(
  bundle: SecureConnectionBundle,
  usage: readonly VersionUsage[],
  now: Date,
): { byState: Record<'Active' | 'Deprecated' | 'Expired', number>; expiring: number } {
  const byState = { Active: 0, Deprecated: 0, Expired: 0 };
  let expiringWorkloads = 0;
  for (const used of usage) {
    const entry = bundle.status?.versions?.find((candidate) => candidate.version === used.version);
    if (!entry || entry.state === 'Archived') continue;
    byState[entry.state] += used.workloadCount;
    if (entry.state !== 'Expired' && expiring(entry, now)) expiringWorkloads += used.workloadCount;
  }
  return { byState, expiring: expiringWorkloads };
}

/** When the next used version enters its expiring window (nothing else changes then). */
export function nextExpiringAt(
  bundle: SecureConnectionBundle,
  usage: readonly VersionUsage[],
  now: Date,
): Date | undefined {
  let next: number | undefined;
  for (const used of usage) {
    const entry = bundle.status?.versions?.find((candidate) => candidate.version === used.version);
    if (entry?.createdAt === undefined || entry.expiresAt === undefined) continue;
    const start = Date.parse(entry.createdAt);
    const end = Date.parse(entry.expiresAt);
    const at = end - (end - start) * EXPIRING_SHARE;
    if (at > now.getTime() && (next === undefined || at < next)) next = at;
  }
  return next === undefined ? undefined : new Date(next);
}
