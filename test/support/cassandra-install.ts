/**
 * Where the pinned Cassandra server and the real client drivers live: fetched once into the cache
 * folder outside the repository (the same root tools/control-plane/build.sh uses) and reused.
 * `SCB_CASSANDRA_LIB` skips asking tools/cassandra/build.sh (CI, Jest workers).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repositoryRoot, toolFolder } from './control-plane-binaries.js';

export const cassandraToolsDir = path.join(repositoryRoot, 'tools/cassandra');

/** The version pinned in tools/cassandra/versions.env, which is what the node reports. */
export const cassandraVersion = pinnedVersion();

export const nodeDriverVersion = '4.10.0';
export const pythonDriverVersion = '3.30.1';
export const cqlshVersion = '6.2.2';

export function scbCacheRoot(): string {
  return (
    process.env['SCB_CACHE_DIR'] ||
    path.join(process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'scb-operator')
  );
}

/** The folder of cassandra-all and its dependency jars (fetching them the first time). */
export function cassandraLibDir(): string {
  return toolFolder('SCB_CASSANDRA_LIB', 'tools/cassandra/build.sh');
}

/** A `node_modules` folder holding npm cassandra-driver, for NODE_PATH. */
export function nodeDriverModules(): string {
  const prefix = installOnce(`node-client-cassandra-driver-${nodeDriverVersion}`, (staging) =>
    execFileSync(
      'npm',
      ['install', '--prefix', staging, '--no-audit', '--no-fund', `cassandra-driver@${nodeDriverVersion}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  return path.join(prefix, 'node_modules');
}

/** A Python interpreter of a virtualenv holding PyPI cassandra-driver. */
export function pythonDriverInterpreter(): string {
  const venv = installOnce(`python-client-cassandra-driver-${pythonDriverVersion}`, (staging) => {
    execFileSync('python3', ['-m', 'venv', staging], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync(
      path.join(staging, 'bin/pip'),
      ['install', '--quiet', `cassandra-driver==${pythonDriverVersion}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  });
  return path.join(venv, 'bin/python');
}

/** The bin folder of a virtualenv holding PyPI cqlsh, for PATH. */
export function cqlshBinDir(): string {
  const venv = installOnce(`cqlsh-${cqlshVersion}`, (target) => {
    execFileSync('python3', ['-m', 'venv', target], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync(path.join(target, 'bin/pip'), ['install', '--quiet', `cqlsh==${cqlshVersion}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  });
  return path.join(venv, 'bin');
}

/**
 * Installs into the cache folder once. The marker is written last, so an interrupted install is
 * redone rather than trusted; a venv records its own path, so it is built where it stays.
 */
function installOnce(name: string, install: (target: string) => void): string {
  const target = path.join(scbCacheRoot(), name);
  const marker = path.join(target, '.complete');
  if (existsSync(marker)) return target;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  install(target);
  writeFileSync(marker, '');
  return target;
}

function pinnedVersion(): string {
  const env = readFileSync(path.join(cassandraToolsDir, 'versions.env'), 'utf8');
  const version = /^CASSANDRA_VERSION=(\S+)$/m.exec(env)?.[1];
  if (!version) throw new Error('tools/cassandra/versions.env has no CASSANDRA_VERSION=<version> line');
  return version;
}
