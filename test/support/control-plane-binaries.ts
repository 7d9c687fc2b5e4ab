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
  return toolFolder('SCB_CONTROL_PLANE_BIN', 'tools/control-plane/build.sh');
}

/**
 * The folder a `tools/<tool>/build.sh` prints as its last line on stdout (building or fetching
 * first when the pinned version is missing from the cache); `envVariable`, when set, skips asking
 * it (CI and the Jest workers set it once).
 */
export function toolFolder(envVariable: string, buildScript: string): string {
  const fromEnv = process.env[envVariable];
  if (fromEnv) return fromEnv;
  const stdout = execFileSync('bash', [path.join(repositoryRoot, buildScript)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const folder = stdout.trim().split('\n').at(-1);
  if (!folder) throw new Error(`${buildScript} printed no folder; run it by hand to see why`);
  return folder;
}

/** The same cache root build.sh uses. */
export function controlPlaneCacheDir(): string {
  const root =
    process.env['SCB_CACHE_DIR'] ||
    path.join(process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'scb-operator');
  return path.join(root, 'control-plane');
}
