import type { PlatformId } from './platforms/platform.js';
import { writeZip } from './zip.js';

/**
 * Where each file sits in a bundle. The Astra files stay flat at the root because every
 * driver's secure-connect loader opens them by exactly these names; everything we add goes
 * beside them or under `platforms/<id>/`.
 */
export const ASTRA_FILES = [
  'config.json',
  'ca.crt',
  'cert',
  'key',
  'cert.pfx',
  'identity.jks',
  'trustStore.jks',
  'cqlshrc',
] as const;

export const README_FILE = 'README.md';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

/**
 * Files that hold nothing secret. Everything else is unpacked with mode 0600: besides the key
 * and keystores, config.json, cqlshrc and platform configs carry keystore passwords.
 */
export const PUBLIC_FILES: ReadonlySet<string> = new Set([
  'ca.crt',
  'cert',
  README_FILE,
  MANIFEST_FILE,
  SIGNATURE_FILE,
]);

export interface BundleFile {
  path: string;
  content: Buffer;
}

export function bundleZipFileName(bundleName: string): string {
  return `secure-connect-${bundleName}.zip`;
}

export function platformFilePath(id: PlatformId, path: string): string {
  return `platforms/${id}/${path}`;
}

/**
 * Packs files in a fixed order — the Astra files first (as Astra's own bundles list them), then
 * everything else by path — with one fixed timestamp, so the same files always give the same zip.
 */
export function packBundle(files: readonly BundleFile[], modifiedAt: Date): Buffer {
  const rank = (path: string): number => {
    const at = (ASTRA_FILES as readonly string[]).indexOf(path);
    return at < 0 ? ASTRA_FILES.length : at;
  };
  const ordered = [...files].sort((a, b) => rank(a.path) - rank(b.path) || compareCodeUnits(a.path, b.path));
  return writeZip(ordered, modifiedAt);
}

/** Locale-independent ordering, so manifests and zips sort the same on every machine. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
