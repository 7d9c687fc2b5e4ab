/**
 * Where the pinned kube-apiserver, kubectl and etcd live. They are built once into a cache folder
 * by tools/control-plane/build.sh; `SCB_CONTROL_PLANE_BIN` skips asking it (CI, the Jest workers).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function controlPlaneBinDir(): string {
  const fromEnv = process.env['SCB_CONTROL_PLANE_BIN'];
  if (fromEnv) return fromEnv;
  // build.sh prints the bin folder on stdout (building first if the pinned versions are missing).
  const stdout = execFileSync('bash', [path.join(repositoryRoot, 'tools/control-plane/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const binDir = stdout.trim().split('\n').at(-1);
  if (!binDir)
    throw new Error('tools/control-plane/build.sh printed no bin folder; run it by hand to see why');
  return binDir;
}

/** The same cache root build.sh uses. */
export function controlPlaneCacheDir(): string {
  const root =
    process.env['SCB_CACHE_DIR'] ||
    path.join(process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'scb-operator');
  return path.join(root, 'control-plane');
}
