import { bundleZipFileName, MANIFEST_FILE } from '../../bundle/layout.js';

/** Where one bundle's objects live: `<prefix>/<namespace>/<name>/`. */
export interface BundleLocation {
  /** spec.target.objectStore.prefix; empty or undefined means the bucket's root. */
  prefix?: string | undefined;
  namespace: string;
  name: string;
}

/** The two objects every version has, and the names they keep inside the version folder. */
export interface VersionObjectKeys {
  /** The bundle zip: what status.versions[].objectKey records. */
  zip: string;
  manifest: string;
}

/** `<prefix>/<namespace>/<name>`, with a trailing '/' of the prefix dropped so no key holds '//'. */
export function bundleRoot({ prefix, namespace, name }: BundleLocation): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  return [trimmed, namespace, name].filter((part) => part !== '').join('/');
}

/** `.../v<N>/secure-connect-<name>.zip` and `.../v<N>/manifest.json`. */
export function versionKeys(location: BundleLocation, version: number): VersionObjectKeys {
  return folderKeys(`${bundleRoot(location)}/v${version}`, location.name);
}

/** The same two objects once superseded: `.../archive/v<N>/...`. */
export function archiveKeys(location: BundleLocation, version: number): VersionObjectKeys {
  return folderKeys(`${bundleRoot(location)}/archive/v${version}`, location.name);
}

/** `.../latest.json`, the pointer to the newest stored version. */
export function latestPointerKey(location: BundleLocation): string {
  return `${bundleRoot(location)}/latest.json`;
}

/**
 * What an encrypted object is bound to (its AES-GCM additional data): the bundle, version and
 * file, not the storage key, so archiving (a move) keeps it readable while swapping one version's
 * object for another's is detected.
 */
export function objectContext(location: BundleLocation, version: number, fileName: string): string {
  return `${location.namespace}/${location.name}/v${version}/${fileName}`;
}

function folderKeys(folder: string, name: string): VersionObjectKeys {
  return { zip: `${folder}/${bundleZipFileName(name)}`, manifest: `${folder}/${MANIFEST_FILE}` };
}
