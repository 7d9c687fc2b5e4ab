import { propertiesValue } from './config-syntax.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const CONNECTOR = 'com.datastax.spark:spark-cassandra-connector_2.12:3.5.1';

function properties(ctx: PlatformContext): string {
  const { cluster, files, passwords } = ctx;
  const entries: [string, string][] = [
    ['spark.cassandra.connection.host', cluster.contactPoints.join(',')],
    ['spark.cassandra.connection.port', String(cluster.port)],
    ['spark.cassandra.connection.localDC', cluster.localDatacenter],
    ['spark.cassandra.connection.ssl.enabled', 'true'],
    ['spark.cassandra.connection.ssl.trustStore.path', files.trustStore],
    ['spark.cassandra.connection.ssl.trustStore.password', passwords.trustStore],
    ['spark.cassandra.connection.ssl.trustStore.type', 'JKS'],
    ['spark.cassandra.connection.ssl.clientAuth.enabled', 'true'],
    ['spark.cassandra.connection.ssl.keyStore.path', files.identityKeyStore],
    ['spark.cassandra.connection.ssl.keyStore.password', passwords.keyStore],
    ['spark.cassandra.connection.ssl.keyStore.type', 'JKS'],
  ];
  if (ctx.credentials) {
    entries.push(
      ['spark.cassandra.auth.username', ctx.credentials.username],
      ['spark.cassandra.auth.password', ctx.credentials.password],
    );
  }
  return [
    '# Spark Cassandra Connector settings. Keystore paths are relative to the bundle root; release_version.py',
    '# makes them absolute (executors on other machines need the bundle at the same path).',
    ...entries.map(([key, value]) => `${key}=${propertiesValue(value)}`),
    '',
  ].join('\n');
}

const EXAMPLE = `"""Reads system.local through the Spark Cassandra Connector and prints release_version."""
import os

from pyspark.sql import SparkSession

bundle_dir = os.path.abspath(os.environ.get("SCB_BUNDLE_DIR", "."))


def unescape(value):
    """Undoes java.util.Properties escapes (how the file is written)."""
    out, chars = [], iter(value)
    for ch in chars:
        if ch != "\\\\":
            out.append(ch)
            continue
        escaped = next(chars, "")
        if escaped == "u":
            out.append(chr(int("".join(next(chars) for _ in range(4)), 16)))
        else:
            out.append({"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f"}.get(escaped, escaped))
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")


settings = {}
with open(os.path.join(bundle_dir, "platforms", "spark", "spark-cassandra.properties"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key] = unescape(value)
for key in ("trustStore.path", "keyStore.path"):
    name = "spark.cassandra.connection.ssl." + key
    settings[name] = os.path.join(bundle_dir, settings[name])

builder = SparkSession.builder.appName("scb-release-version")
for key, value in settings.items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()
row = (
    spark.read.format("org.apache.spark.sql.cassandra")
    .options(keyspace="system", table="local")
    .load()
    .select("release_version")
    .first()
)
print(row.release_version)
spark.stop()
`;

export const platform: Platform = {
  id: 'spark',
  title: 'Spark Cassandra Connector',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'spark-cassandra.properties', content: properties(ctx) },
      { path: 'release_version.py', content: EXAMPLE },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Spark Cassandra Connector',
      '`platforms/spark/spark-cassandra.properties` holds the `spark.cassandra.connection.*` settings for ' +
        `\`${CONNECTOR}\`: hosts, port, \`localDC\`, and \`ssl.*\` with \`clientAuth.enabled=true\`, ` +
        `\`${ctx.files.identityKeyStore}\` as key store and \`${ctx.files.trustStore}\` as trust store (paths relative ` +
        'to the bundle root: pass absolute ones to `spark-submit --properties-file`). `release_version.py` loads ' +
        'it, makes the paths absolute and reads `system.local`:',
      codeBlock('sh', [
        'pip install pyspark==3.5.8',
        `SCB_BUNDLE_DIR=. spark-submit --packages ${CONNECTOR} platforms/spark/release_version.py`,
      ]),
      ctx.cluster.hostnameVerification &&
        "The connector (3.5.x) turns the driver's host name validation off for these settings; for host name " +
          'validation, set `spark.cassandra.connection.config.profile.path` to a Java driver `application.conf` ' +
          '(see the Java driver section) instead: the connector then ignores the other connection settings.',
    );
  },
};
