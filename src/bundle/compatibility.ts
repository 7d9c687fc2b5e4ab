import semver from 'semver';
import { BUNDLE_FORMAT_VERSION, bundleFormatVersion, type BundleManifest } from './manifest.js';
import type { DriverVersions } from './platforms/driver-versions.js';
import { PLATFORM_IDS, isPlatformId, type PlatformId } from './platforms/platform.js';

/**
 * `scbctl check`: can this client, at this version, use this bundle? Pure: it reads only the
 * manifest (what the bundle records, not what this scbctl's own table says today).
 */
export type CompatibilityVerdict =
  | { outcome: 'usable'; reason: string }
  | { outcome: 'unusable'; reason: string }
  /** The platform id is unknown, or the bundle carries no configuration for it. */
  | { outcome: 'no-platform'; reason: string }
  /** The bundle cannot answer: format 1 (nothing recorded), a newer format, or an unreadable record. */
  | { outcome: 'unanswerable'; reason: string }
  | { outcome: 'bad-version'; reason: string };

type CheckedManifest = Pick<BundleManifest, 'formatVersion' | 'platforms' | 'compatibility'>;

export function checkCompatibility(
  manifest: CheckedManifest,
  platform: string,
  driverVersion: string,
): CompatibilityVerdict {
  const format = bundleFormatVersion(manifest);
  if (format.version > BUNDLE_FORMAT_VERSION) {
    return {
      outcome: 'unanswerable',
      reason:
        `the bundle is format version ${format.version}; this scbctl understands up to ${BUNDLE_FORMAT_VERSION}: ` +
        'use a newer scbctl',
    };
  }
  if (!isPlatformId(platform)) {
    return {
      outcome: 'no-platform',
      reason: `unknown platform "${platform}"; platforms are ${PLATFORM_IDS.join(', ')}`,
    };
  }
  if (!manifest.platforms.includes(platform)) {
    return {
      outcome: 'no-platform',
      reason: `the bundle has no configuration for ${platform}; it has ${manifest.platforms.join(', ') || 'none'}`,
    };
  }
  if (!format.recorded) {
    return {
      outcome: 'unanswerable',
      reason:
        'the bundle is format version 1 (unrecorded), which records no driver versions; ' +
        'issue a new version of it to have them recorded',
    };
  }
  const version = semver.clean(driverVersion);
  if (version === null) {
    return {
      outcome: 'bad-version',
      reason: `--driver-version "${driverVersion}" is not a version such as 4.10.0`,
    };
  }
  const row = recordFor(manifest, platform);
  const minimum = row && semver.minVersion(row.versions);
  if (!row || !minimum) {
    return {
      outcome: 'unanswerable',
      reason: `the bundle's compatibility record for ${platform} is unreadable`,
    };
  }
  const client = `${platform} ${row.driver} ${version}`;
  if (semver.lt(version, minimum)) {
    return { outcome: 'unusable', reason: `${client} is older than ${minimum.version}, ${row.since}` };
  }
  if (!semver.satisfies(version, row.versions)) {
    return {
      outcome: 'unusable',
      reason:
        `${client} is outside ${row.versions}, the versions this configuration is written for ` +
        '(a new major version may rename the options it uses)',
    };
  }
  if (row.e2eTested.includes(version)) {
    return {
      outcome: 'usable',
      reason: `${client} can use this bundle: scb-operator's end-to-end tests connect with exactly this version`,
    };
  }
  const tested =
    row.e2eTested.length > 0
      ? `the end-to-end tests run ${row.e2eTested.join(', ')}`
      : 'no scb-operator test runs this platform';
  return {
    outcome: 'usable',
    reason: `${client} can use this bundle: it is within ${row.versions} (${tested})`,
  };
}

/**
 * A platform's row of `compatibility`, if it has the shape this scbctl writes. The manifest may be
 * signed and still come from another writer, so every field is checked before use.
 */
export function recordFor(manifest: CheckedManifest, platform: PlatformId): DriverVersions | undefined {
  const record: unknown = manifest.compatibility;
  if (typeof record !== 'object' || record === null) return undefined;
  const row: unknown = (record as Record<string, unknown>)[platform];
  if (typeof row !== 'object' || row === null) return undefined;
  const { driver, versions, since, e2eTested } = row as Record<string, unknown>;
  if (typeof driver !== 'string' || typeof since !== 'string' || typeof versions !== 'string')
    return undefined;
  if (semver.validRange(versions) === null) return undefined;
  if (!Array.isArray(e2eTested) || !e2eTested.every((v) => typeof v === 'string')) return undefined;
  return { driver, versions, since, e2eTested: e2eTested as string[] };
}
