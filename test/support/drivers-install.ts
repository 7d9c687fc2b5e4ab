/**
 * Where the compiled clients' toolchains keep what they fetch: Maven's local repository and Go's
 * module and build caches, under the project's cache root (beside the Cassandra jars), so a
 * second run builds offline and fast, and deleting the cache gives a truly cold run. Each client
 * is built from the bundle's own project files (pom.xml, go.mod) with the command the bundle's
 * README gives.
 */
import path from 'node:path';
import { scbCacheRoot } from './cassandra-install.js';

/** Extra `mvn` arguments: the local repository in the cache, batch mode, no colour codes. */
export function mavenArgs(): string[] {
  return ['-B', '-Dstyle.color=never', `-Dmaven.repo.local=${path.join(scbCacheRoot(), 'maven-repository')}`];
}

/** Environment for `go`: module and build caches in the cache, writable so they can be removed. */
export function goEnv(): Record<string, string> {
  const root = path.join(scbCacheRoot(), 'go');
  return {
    GOMODCACHE: path.join(root, 'mod'),
    GOCACHE: path.join(root, 'build'),
    GOFLAGS: '-modcacherw -buildvcs=false',
  };
}
