import type { PlatformId } from './platform.js';

/**
 * Which client versions each platform's configuration is written for: one table, recorded in every
 * manifest (`compatibility`) and read back by `scbctl check`. `e2eTested` lists only versions this
 * repository's end-to-end tests connect to a real node with (test/e2e); every other range rests on
 * the driver's own documentation or on the version the bundle's example names, as `since` says.
 * test/unit/bundle/driver-versions.test.ts keeps `e2eTested` in step with what those tests install.
 */
export interface DriverVersions {
  /** The client as its users name it, with where it comes from. */
  driver: string;
  /** npm semver range of the versions the configuration is written for. */
  versions: string;
  /** Why the range starts where it does; completes "X is older than <minimum>, ...". */
  since: string;
  /** Versions the end-to-end tests run; empty when no test runs this platform. */
  e2eTested: string[];
}

export const DRIVER_VERSIONS: Readonly<Record<PlatformId, DriverVersions>> = {
  'java-driver-4': {
    driver: 'org.apache.cassandra:java-driver-core (Maven)',
    versions: '>=4.18.0 <5.0.0',
    since: "the first release under the org.apache.cassandra coordinates the bundle's pom.xml names",
    e2eTested: ['4.19.4'],
  },
  // cassandra-driver 3.17.0 changelog: "Add Cluster ssl_context option to enable SSL (PYTHON-995)".
  python: {
    driver: 'cassandra-driver (PyPI)',
    versions: '>=3.17.0 <4.0.0',
    since: 'the first version whose Cluster takes the ssl_context the example passes',
    e2eTested: ['3.30.1'],
  },
  // The driver's 4.0 upgrade guide: "localDataCenter is now a required Client option".
  nodejs: {
    driver: 'cassandra-driver (npm)',
    versions: '>=4.0.0 <5.0.0',
    since: 'the first version that reads localDataCenter from the client options',
    e2eTested: ['4.10.0'],
  },
  'go-gocql': {
    driver: 'github.com/apache/cassandra-gocql-driver/v2 (Go module)',
    versions: '>=2.0.0 <3.0.0',
    since: "the first version of the /v2 module path the bundle's go.mod requires",
    e2eTested: ['2.1.2'],
  },
  csharp: {
    driver: 'CassandraCSharpDriver (NuGet)',
    versions: '>=3.0.0 <4.0.0',
    since: 'the lowest version the bundle\'s .csproj (Version="3.*") accepts',
    e2eTested: [],
  },
  cpp: {
    driver: 'DataStax C/C++ driver (libcassandra)',
    versions: '>=2.17.0 <3.0.0',
    since: "the version the bundle's README builds against; older ones are not checked",
    e2eTested: [],
  },
  rust: {
    driver: 'scylla (crates.io)',
    versions: '>=1.9.0 <2.0.0',
    since: "the version the bundle's Cargo.toml asks for; older ones are not checked",
    e2eTested: [],
  },
  cqlsh: {
    driver: 'cqlsh (PyPI)',
    versions: '>=6.2.2 <7.0.0',
    since: "the version the bundle's README installs; older ones are not checked",
    e2eTested: ['6.2.2'],
  },
  spark: {
    driver: 'com.datastax.spark:spark-cassandra-connector_2.12 (Maven)',
    versions: '>=3.5.1 <4.0.0',
    since: "the version the bundle's README passes to spark-submit; older ones are not checked",
    e2eTested: [],
  },
  dsbulk: {
    driver: 'DSBulk',
    versions: '>=1.10.0 <2.0.0',
    since: "the version the bundle's README names; older ones are not checked",
    e2eTested: [],
  },
  // SSL bundles, and spring.cassandra.ssl.bundle with them, came with Spring Boot 3.1.
  'spring-boot': {
    driver: 'Spring Boot',
    versions: '>=3.1.0 <4.0.0',
    since: 'the first version with the spring.cassandra.ssl.bundle property the configuration uses',
    e2eTested: [],
  },
  quarkus: {
    driver: 'com.datastax.oss.quarkus:cassandra-quarkus-client (Maven)',
    versions: '>=1.4.1 <2.0.0',
    since: "the version the bundle's pom.xml pins; older ones are not checked",
    e2eTested: [],
  },
  'kafka-connect': {
    driver: 'DataStax Apache Kafka Connector',
    versions: '>=1.4.0 <2.0.0',
    since: "the version the bundle's README names; older ones are not checked",
    e2eTested: [],
  },
};

/** The manifest's `compatibility`: the table's rows for the bundle's platforms, in their order. */
export function driverVersionsFor(
  platforms: readonly PlatformId[],
): Partial<Record<PlatformId, DriverVersions>> {
  return Object.fromEntries(
    platforms.map((id) => {
      const row = DRIVER_VERSIONS[id];
      return [
        id,
        { driver: row.driver, versions: row.versions, since: row.since, e2eTested: [...row.e2eTested] },
      ];
    }),
  );
}
