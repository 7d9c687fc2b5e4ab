import { chmodSync, closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { PUBLIC_FILES } from './layout.js';
import { isSafeEntryPath, readZip } from './zip.js';

export interface UnpackedFile {
  path: string;
  mode: number;
}

/**
 * Extracts a bundle into `dir`. Every entry name is checked before anything is written, so a
 * hostile zip ("../x", "/etc/x") leaves no partial output. Secret-bearing files get 0600.
 * Existing symlinks are not followed (O_NOFOLLOW), so a planted link cannot redirect a key.
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
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const fd = openSync(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      mode,
    );
    try {
      writeFileSync(fd, entry.content);
    } finally {
      closeSync(fd);
    }
    // `mode` applies only to newly created files; an older copy keeps its bits otherwise.
    chmodSync(target, mode);
    return { path: entry.path, mode };
  });
}
