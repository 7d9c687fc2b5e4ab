import { bundleZipFileName, MANIFEST_FILE } from '../../bundle/layout.js';

const LATEST_FILE = 'latest.json';

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

/** A prefix: '/'-separated segments of S3's safe characters, as the CRD admits. */
const PREFIX_SHAPE = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/;

/**
 * Why `prefix` cannot place a bundle's objects, or undefined when it can. The prefix is written by
 * the tenant: '.' and '..' segments (which some stores and proxies resolve, reaching another
 * folder or bucket), empty segments and characters a store may treat as separators are refused,
 * the same rules the CRD enforces for objects admitted before them.
 */
export function prefixProblem(prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix === '') return undefined;
  if (!PREFIX_SHAPE.test(prefix)) {
    return "must be '/'-separated segments of letters, digits and !-_.*'() without a leading '/' or '//'";
  }
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    return "must not have a '.' or '..' segment";
  }
  return undefined;
}

/**
 * True only for a key the publisher writes for this bundle: `v<N>/` and `archive/v<N>/` with the
 * bundle's zip or manifest.json, and `latest.json`, directly under its root. Anything else under
 * the root (a bundle whose prefix nests it there, a hand-made object) is not the bundle's: its
 * key has more segments, or another file name.
 */
export function isBundleObjectKey(location: BundleLocation, key: string): boolean {
  const root = `${bundleRoot(location)}/`;
  if (!key.startsWith(root)) return false;
  const rest = key.slice(root.length);
  if (rest === LATEST_FILE) return true;
  const match = /^(?:archive\/)?v[1-9][0-9]*\/([^/]+)$/.exec(rest);
  return match?.[1] === bundleZipFileName(location.name) || match?.[1] === MANIFEST_FILE;
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
  return `${bundleRoot(location)}/${LATEST_FILE}`;
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
