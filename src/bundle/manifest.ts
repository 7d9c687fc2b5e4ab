import { sha256Hex } from '../pki/fingerprint.js';
import type { GeneratorInfo } from './generator.js';
import { compareCodeUnits, type BundleFile } from './layout.js';
import { driverVersionsFor, type DriverVersions } from './platforms/driver-versions.js';
import type { PlatformId } from './platforms/platform.js';

/**
 * manifest.json: what a bundle is and the SHA-256 of every other file in it, so a signature over
 * this one file vouches for the whole bundle. It never holds a password or a key.
 */
export const MANIFEST_SCHEMA_VERSION = 1;

/**
 * The bundle format: what a bundle holds and records, in additions a reader that knows less can
 * ignore (so an older scbctl still verifies a newer bundle). 1 is every bundle written before the
 * field existed (no `formatVersion`); 2 adds `compatibility`.
 */
export const BUNDLE_FORMAT_VERSION = 2;

export interface ManifestFileEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface BundleManifest {
  schemaVersion: number;
  /** Absent in format 1. */
  formatVersion?: number;
  generator: GeneratorInfo;
  bundle: {
    name: string;
    namespace?: string;
    version: number;
    cluster: { name: string; namespace?: string };
    fileName: string;
  };
  identity: {
    commonName: string;
    spiffeId?: string;
    serialNumber: string;
    certificateSHA256: string;
  };
  validity: { notBefore: string; notAfter: string };
  platforms: PlatformId[];
  /** Per platform, the client versions the configuration is written for (format 2 and later). */
  compatibility?: Partial<Record<PlatformId, DriverVersions>>;
  files: ManifestFileEntry[];
  signature: { algorithm: string; keyId: string };
}

export interface ManifestInput {
  generator: GeneratorInfo;
  bundle: BundleManifest['bundle'];
  identity: BundleManifest['identity'];
  notBefore: Date;
  notAfter: Date;
  platforms: readonly PlatformId[];
  files: readonly BundleFile[];
  signature: BundleManifest['signature'];
}

/** Builds the manifest with a fixed key order (object literal order is JSON order). */
export function createManifest(input: ManifestInput): BundleManifest {
  const { bundle, identity } = input;
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    formatVersion: BUNDLE_FORMAT_VERSION,
    generator: { name: input.generator.name, version: input.generator.version },
    bundle: {
      name: bundle.name,
      namespace: bundle.namespace,
      version: bundle.version,
      cluster: { name: bundle.cluster.name, namespace: bundle.cluster.namespace },
      fileName: bundle.fileName,
    },
    identity: {
      commonName: identity.commonName,
      spiffeId: identity.spiffeId,
      serialNumber: identity.serialNumber,
      certificateSHA256: identity.certificateSHA256,
    },
    validity: {
      notBefore: input.notBefore.toISOString(),
      notAfter: input.notAfter.toISOString(),
    },
    platforms: [...input.platforms],
    compatibility: driverVersionsFor(input.platforms),
    files: input.files
      .map((file) => ({ path: file.path, sha256: sha256Hex(file.content), size: file.content.length }))
      .sort((a, b) => compareCodeUnits(a.path, b.path)),
    signature: { algorithm: input.signature.algorithm, keyId: input.signature.keyId },
  };
}

/** The exact bytes that get signed: 2-space JSON and a trailing newline; absent optionals are left out. */
export function serializeManifest(manifest: BundleManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/**
 * Reads manifest.json from a bundle someone handed us. Returns the reason it is unusable instead
 * of throwing, because verification reports a bad manifest as a failed check.
 */
export function parseManifest(bytes: Buffer): { manifest: BundleManifest } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'manifest.json is not valid JSON' };
  }
  if (!isRecord(value)) return { problem: 'manifest.json is not a JSON object' };
  if (value.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    return {
      problem: `manifest.json schemaVersion ${String(value.schemaVersion)} is not ${MANIFEST_SCHEMA_VERSION}`,
    };
  }
  const files = value.files;
  const filesValid =
    Array.isArray(files) &&
    files.every(
      (f: unknown) =>
        isRecord(f) &&
        typeof f.path === 'string' &&
        typeof f.sha256 === 'string' &&
        typeof f.size === 'number',
    );
  if (!filesValid) return { problem: 'manifest.json "files" is not a list of {path, sha256, size}' };
  for (const section of ['generator', 'bundle', 'identity', 'validity', 'signature'] as const) {
    if (!isRecord(value[section])) return { problem: `manifest.json has no "${section}" object` };
  }
  if (!Array.isArray(value.platforms)) return { problem: 'manifest.json "platforms" is not a list' };
  const format = value.formatVersion;
  if (format !== undefined && !(Number.isSafeInteger(format) && (format as number) >= 1)) {
    return { problem: 'manifest.json "formatVersion" is not a whole number from 1' };
  }
  return { manifest: value as unknown as BundleManifest };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bundle format a manifest declares; a manifest without `formatVersion` is format 1. */
export function bundleFormatVersion(manifest: Pick<BundleManifest, 'formatVersion'>): {
  version: number;
  recorded: boolean;
} {
  return manifest.formatVersion === undefined
    ? { version: 1, recorded: false }
    : { version: manifest.formatVersion, recorded: true };
}
