import { closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { PUBLIC_FILES } from './layout.js';
import { readZip } from './zip-reader.js';
import { isSafeEntryPath } from './zip.js';

export interface UnpackedFile {
  path: string;
  mode: number;
}

/**
 * Extracts a bundle into `dir`. Every entry name is checked before anything is written, so a
 * hostile zip ("../x", "/etc/x") leaves no partial output. Secret-bearing files get 0600.
 * Symlinks inside the output folder are never followed — neither a planted file link
 * (O_NOFOLLOW) nor a planted folder link (each folder is checked with lstat) — so nothing can
 * redirect a key outside it.
 */
export function unpackBundle(zip: Buffer, dir: string, what = 'bundle'): UnpackedFile[] {
  const entries = readZip(zip, what);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!isSafeEntryPath(entry.path)) {
      throw new InvalidInputError(
        'UnsafeEntryPath',
        `${what}: entry "${entry.path}" would be written outside the output folder; refusing to unpack this zip`,
        what,
      );
    }
    if (seen.has(entry.path)) {
      throw new InvalidInputError(
        'DuplicateEntry',
        `${what}: entry "${entry.path}" appears twice; refusing to unpack`,
        what,
      );
    }
    seen.add(entry.path);
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return entries.map((entry) => {
    const target = join(dir, entry.path);
    const mode = PUBLIC_FILES.has(entry.path) ? 0o644 : 0o600;
    makeRealFolders(dir, entry.path.split('/').slice(0, -1), what);
    const fd = openWithoutFollowing(target, mode, what);
    try {
      writeFileSync(fd, entry.content);
      // `mode` applies only to newly created files; an older copy keeps its bits otherwise.
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    return { path: entry.path, mode };
  });
}

function openWithoutFollowing(target: string, mode: number, what: string): number {
  try {
    return openSync(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      mode,
    );
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOOP') throw error;
    throw new InvalidInputError(
      'UnsafeOutputPath',
      `${what}: ${target} exists and is a symbolic link; unpack into an empty folder`,
      what,
    );
  }
}

/** Creates `segments` under `root` one by one, refusing any that exists as a symlink or a file. */
function makeRealFolders(root: string, segments: readonly string[], what: string): void {
  let folder = root;
  for (const segment of segments) {
    folder = join(folder, segment);
    const existing = lstatSync(folder, { throwIfNoEntry: false });
    if (existing === undefined) mkdirSync(folder, { mode: 0o755 });
    else if (!existing.isDirectory()) {
      throw new InvalidInputError(
        'UnsafeOutputPath',
        `${what}: ${folder} exists and is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; ` +
          'unpack into an empty folder',
        what,
      );
    }
  }
}
