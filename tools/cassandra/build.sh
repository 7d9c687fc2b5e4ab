#!/usr/bin/env bash
# Copies org.apache.cassandra:cassandra-all and its runtime dependencies from Maven Central into a
# cache folder outside the repository, once per pinned version. Prints the lib folder on stdout.
#
# Why not the binary tarball: Maven Central stops carrying apache-cassandra:tar.gz:bin at
# 4.0-alpha2. The server is one jar plus its dependencies; test/support/cassandra.ts starts
# CassandraDaemon on that classpath with our own cassandra.yaml and JVM flags.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
lib_dir="$cache_root/cassandra-$CASSANDRA_VERSION/lib"
log() { echo "[cassandra] $*" >&2; }

mkdir -p "$lib_dir"
# Two test runs on a fresh machine would otherwise download twice into the same folder.
exec 9>"$lib_dir/../.build.lock"
flock 9
if [[ ! -f "$lib_dir/.complete" ]]; then
  log "fetching cassandra-all $CASSANDRA_VERSION and its dependencies from Maven Central"
  start=$SECONDS
  find "$lib_dir" -name '*.jar' -delete
  mvn -q -B -f "$here/pom.xml" -Dcassandra.version="$CASSANDRA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib_dir" >&2
  [[ -f "$lib_dir/cassandra-all-$CASSANDRA_VERSION.jar" ]] || { log "cassandra-all-$CASSANDRA_VERSION.jar missing from $lib_dir"; exit 1; }
  touch "$lib_dir/.complete"
  log "fetched $(find "$lib_dir" -name '*.jar' | wc -l) jars in $((SECONDS - start))s"
fi
echo "$lib_dir"
