import { propertiesValue } from './config-syntax.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

const TOPIC = 'scb-example';
const TABLE = 'scb_example';
/** Where the demo table lives when the bundle names no keyspace. */
const DEMO_KEYSPACE = 'scb_example';

const keyspaceOf = (ctx: PlatformContext): string => ctx.cluster.keyspace ?? DEMO_KEYSPACE;
const cqlName = (name: string): string => `"${name.replaceAll('"', '""')}"`;

// The DataStax Apache Kafka Connector's own settings (contactPoints, loadBalancing.localDc, ssl.*,
// auth.*). The worker opens the keystores relative to its working directory: the bundle root.
function sinkProperties(ctx: PlatformContext): string {
  const { cluster, files, passwords } = ctx;
  const entries: [string, string][] = [
    ['name', 'scb-cassandra-sink'],
    ['connector.class', 'com.datastax.oss.kafka.sink.CassandraSinkConnector'],
    ['tasks.max', '1'],
    ['topics', TOPIC],
    ['contactPoints', cluster.contactPoints.join(',')],
    ['port', String(cluster.port)],
    ['loadBalancing.localDc', cluster.localDatacenter],
    ['ssl.provider', 'JDK'],
    ['ssl.hostnameValidation', String(cluster.hostnameVerification)],
    ['ssl.keystore.path', files.identityKeyStore],
    ['ssl.keystore.password', passwords.keyStore],
    ['ssl.truststore.path', files.trustStore],
    ['ssl.truststore.password', passwords.trustStore],
  ];
  if (ctx.credentials) {
    entries.push(
      ['auth.provider', 'PLAIN'],
      ['auth.username', ctx.credentials.username],
      ['auth.password', ctx.credentials.password],
    );
  }
  entries.push([`topic.${TOPIC}.${keyspaceOf(ctx)}.${TABLE}.mapping`, 'id=key, payload=value']);
  return [
    '# DataStax Apache Kafka Connector (Cassandra sink); start the Connect worker from the bundle root.',
    ...entries.map(([key, value]) => `${propertiesValue(key)}=${propertiesValue(value)}`),
    '',
  ].join('\n');
}

function createTable(ctx: PlatformContext): string {
  const lines: string[] = [];
  if (ctx.cluster.keyspace === undefined) {
    lines.push(
      `CREATE KEYSPACE IF NOT EXISTS ${DEMO_KEYSPACE} WITH replication = ` +
        `{'class': 'NetworkTopologyStrategy', '${ctx.cluster.localDatacenter.replaceAll("'", "''")}': 1};`,
    );
  }
  lines.push(
    `CREATE TABLE IF NOT EXISTS ${cqlName(keyspaceOf(ctx))}.${TABLE} (id text PRIMARY KEY, payload text);`,
  );
  return `${lines.join('\n')}\n`;
}

export const platform: Platform = {
  id: 'kafka-connect',
  title: 'Kafka Connect (Cassandra sink)',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'cassandra-sink.properties', content: sinkProperties(ctx) },
      { path: 'create-table.cql', content: createTable(ctx) },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Kafka Connect (Cassandra sink)',
      '`platforms/kafka-connect/cassandra-sink.properties` configures the DataStax Apache Kafka Connector ' +
        '(`com.datastax.oss.kafka.sink.CassandraSinkConnector`, 1.4+): `contactPoints`, `port`, ' +
        `\`loadBalancing.localDc\`, \`ssl.provider=JDK\` with \`${ctx.files.identityKeyStore}\` and ` +
        `\`${ctx.files.trustStore}\`, and a demo mapping of topic \`${TOPIC}\` (string key and value) to ` +
        `\`${keyspaceOf(ctx)}.${TABLE}\`. Keystore paths are relative: start the worker from the bundle root, ` +
        'or make them absolute for a distributed worker. A sink runs no query of its own; this round trip ' +
        'shows the connection works:',
      codeBlock('sh', [
        'cqlsh --cqlshrc ./cqlshrc --ssl -f platforms/kafka-connect/create-table.cql',
        'connect-standalone.sh config/connect-standalone.properties platforms/kafka-connect/cassandra-sink.properties',
        `echo 'k1:hello' | kafka-console-producer.sh --bootstrap-server localhost:9092 --topic ${TOPIC} \\`,
        '  --property parse.key=true --property key.separator=:',
        `cqlsh --cqlshrc ./cqlshrc --ssl -e 'SELECT * FROM ${keyspaceOf(ctx)}.${TABLE}'`,
      ]),
      serverNameNote('The connector', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
