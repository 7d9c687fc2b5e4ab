/**
 * A Secret volume as the kubelet keeps it up to date (its AtomicWriter): each revision of the
 * Secret's data goes into a new hidden timestamped folder, `..data` is a symlink to the current
 * one, swapped by a rename (atomic), and each key is a symlink through `..data`. A reader that
 * opens `dir/cert` sees either the old files or the new ones, never half of each.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';

const dataLink = '..data';

export function writeMountedSecret(dir: string, secret: V1Secret): void {
  mkdirSync(dir, { recursive: true });
  const data = secret.data ?? {};
  const previous = existsSync(path.join(dir, dataLink)) ? readlinkSync(path.join(dir, dataLink)) : undefined;
  const stamp = new Date().toISOString().replaceAll(/[-:.]/g, '_');
  const revision = `..${stamp}.${process.hrtime.bigint().toString(36)}`;
  mkdirSync(path.join(dir, revision), { mode: 0o755 });
  for (const [key, value] of Object.entries(data)) {
    // The kubelet's default mode for Secret volumes.
    writeFileSync(path.join(dir, revision, key), Buffer.from(value, 'base64'), { mode: 0o644 });
  }
  const staged = path.join(dir, '..data_tmp');
  rmSync(staged, { force: true });
  symlinkSync(revision, staged);
  renameSync(staged, path.join(dir, dataLink));
  for (const key of Object.keys(data)) {
    if (!existsSync(path.join(dir, key))) symlinkSync(path.join(dataLink, key), path.join(dir, key));
  }
  if (previous !== undefined) rmSync(path.join(dir, previous), { recursive: true, force: true });
}
