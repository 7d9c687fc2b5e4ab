import { spawnSync } from 'node:child_process';
import { platformById } from '../../../src/bundle/platforms/index.js';
import type { PlatformContext, PlatformId } from '../../../src/bundle/platforms/platform.js';
import { parseHocon, parseProperties } from './config-parsers.js';
import { contextWith, CREDENTIALS, plainContext } from './platform-fixtures.js';

function file(id: PlatformId, path: string, ctx: PlatformContext): string {
  const found = platformById(id)
    .files(ctx)
    .find((f) => f.path === path);
  if (!found) throw new Error(`${id} wrote no ${path}`);
  return found.content;
}

const ctx = contextWith({ credentials: CREDENTIALS });
const plain = plainContext();
const SSL = 'datastax-java-driver.advanced.ssl-engine-factory';

describe('Java driver application.conf', () => {
  it('resolves keystore paths under SCB_BUNDLE_DIR, or the working directory without it', () => {
    const conf = file('java-driver-4', 'application.conf', ctx);
    expect(parseHocon(conf).get(`${SSL}.keystore-path`)).toBe('./identity.jks');
    const mounted = parseHocon(conf, { SCB_BUNDLE_DIR: '/etc/scb' });
    expect(mounted.get(`${SSL}.keystore-path`)).toBe('/etc/scb/identity.jks');
    expect(mounted.get(`${SSL}.truststore-path`)).toBe('/etc/scb/trustStore.jks');
  });

  it('carries the connection, TLS and credentials as the driver reads them', () => {
    const conf = parseHocon(file('java-driver-4', 'application.conf', ctx));
    expect(conf.get('datastax-java-driver.basic.contact-points')).toEqual([
      'cass-0.db.internal:19142',
      '10.20.30.41:19142',
    ]);
    expect(conf.get('datastax-java-driver.basic.load-balancing-policy.local-datacenter')).toBe('eu-west-7');
    expect(conf.get('datastax-java-driver.basic.session-keyspace')).toBe('orders_ks');
    expect(conf.get(`${SSL}.class`)).toBe('DefaultSslEngineFactory');
    expect(conf.get(`${SSL}.hostname-validation`)).toBe(true);
    expect(conf.get(`${SSL}.keystore-password`)).toBe(ctx.passwords.keyStore);
    expect(conf.get(`${SSL}.truststore-password`)).toBe(ctx.passwords.trustStore);
    expect(conf.get('datastax-java-driver.advanced.auth-provider.class')).toBe('PlainTextAuthProvider');
    expect(conf.get('datastax-java-driver.advanced.auth-provider.password')).toBe(CREDENTIALS.password);
  });

  it('turns hostname validation off only when the cluster does', () => {
    const conf = parseHocon(file('java-driver-4', 'application.conf', plain));
    expect(conf.get(`${SSL}.hostname-validation`)).toBe(false);
    expect(conf.has('datastax-java-driver.basic.session-keyspace')).toBe(false);
  });

  it('without credentials, names the certificate-only auth provider the bundle ships beside it', () => {
    const conf = parseHocon(file('java-driver-4', 'application.conf', plain));
    const authKeys = [...conf.keys()].filter((key) => key.includes('auth-provider'));
    expect(authKeys).toEqual(['datastax-java-driver.advanced.auth-provider.class']);
    expect(conf.get('datastax-java-driver.advanced.auth-provider.class')).toBe(
      'scb.example.CertificateAuthProvider',
    );
    // A public class of that name, built the way the driver builds providers (from the context).
    const source = file('java-driver-4', 'scb/example/CertificateAuthProvider.java', plain);
    expect(source).toMatch(/^package scb\.example;$/m);
    expect(source).toMatch(/public class CertificateAuthProvider implements AuthProvider/);
    expect(source).toMatch(/public CertificateAuthProvider\(DriverContext context\)/);
    expect(source).toMatch(/initialResponseSync\(\) \{\s+return ByteBuffer\.allocate\(0\);/);
  });

  it('with credentials, ships no certificate-only provider', () => {
    const paths = platformById('java-driver-4')
      .files(ctx)
      .map((f) => f.path);
    expect(paths.filter((path) => path.endsWith('AuthProvider.java'))).toEqual([]);
  });

  it('puts an IPv6 contact point in brackets', () => {
    const v6 = contextWith({ cluster: { ...plain.cluster, contactPoints: ['fd00::5'] } });
    expect(
      parseHocon(file('java-driver-4', 'application.conf', v6)).get(
        'datastax-java-driver.basic.contact-points',
      ),
    ).toEqual(['[fd00::5]:19142']);
  });
});

describe('cqlsh profiles', () => {
  it('without credentials, a profile that adds SASL EXTERNAL to the root cqlshrc, and the script uses it', () => {
    expect(file('cqlsh', 'release-version.sh', plain)).toContain(
      "exec cqlsh --cqlshrc ./platforms/cqlsh/cqlshrc --ssl -e 'SELECT release_version",
    );
    const profile = file('cqlsh', 'cqlshrc', plain);
    const sections = parseIni(profile);
    expect(sections.get('auth_provider')).toEqual(
      new Map([
        ['module', 'cassandra.auth'],
        ['classname', 'SaslAuthProvider'],
        ['service', 'cassandra'],
        ['mechanism', 'EXTERNAL'],
      ]),
    );
    expect(sections.get('connection')?.get('ssl')).toBe('true');
    expect(sections.get('ssl')?.get('usercert')).toBe('./cert');
  });

  it('with credentials, the script uses the root cqlshrc and no second profile exists', () => {
    expect(file('cqlsh', 'release-version.sh', ctx)).toContain('exec cqlsh --cqlshrc ./cqlshrc --ssl');
    expect(
      platformById('cqlsh')
        .files(ctx)
        .map((f) => f.path),
    ).toEqual(['release-version.sh']);
  });
});

/** The sections of an INI file as cqlsh reads it: Python's own configparser. */
function parseIni(text: string): Map<string, Map<string, string>> {
  const read = spawnSync(
    'python3',
    [
      '-c',
      'import configparser, json, sys\n' +
        'c = configparser.ConfigParser()\n' +
        'c.read_string(sys.stdin.read())\n' +
        'print(json.dumps({s: dict(c.items(s)) for s in c.sections()}))',
    ],
    { input: text, encoding: 'utf8' },
  );
  if (read.status !== 0) throw new Error(`configparser refused the profile:\n${read.stderr}`);
  const sections = JSON.parse(read.stdout) as Record<string, Record<string, string>>;
  return new Map(Object.entries(sections).map(([name, keys]) => [name, new Map(Object.entries(keys))]));
}

describe('DSBulk and Quarkus reuse the driver tree', () => {
  it('DSBulk paths are relative to the bundle root its script runs from', () => {
    const conf = parseHocon(file('dsbulk', 'application.conf', ctx));
    expect(conf.get(`${SSL}.keystore-path`)).toBe('identity.jks');
    expect(conf.get(`${SSL}.truststore-password`)).toBe(ctx.passwords.trustStore);
    expect(file('dsbulk', 'release-version.sh', ctx)).toContain('cd "${SCB_BUNDLE_DIR:-.}"');
  });

  it('Quarkus takes connection and credentials from application.properties, TLS from application.conf', () => {
    const props = parseProperties(file('quarkus', 'src/main/resources/application.properties', ctx));
    expect(props.get('quarkus.cassandra.contact-points')).toBe('cass-0.db.internal:19142,10.20.30.41:19142');
    expect(props.get('quarkus.cassandra.local-datacenter')).toBe('eu-west-7');
    // SmallRye reads `\${` as a literal `${`.
    expect(props.get('quarkus.cassandra.auth.password')?.replaceAll('\\${', '${')).toBe(CREDENTIALS.password);
    const conf = parseHocon(file('quarkus', 'src/main/resources/application.conf', ctx), {
      SCB_BUNDLE_DIR: '/b',
    });
    expect(conf.get(`${SSL}.keystore-path`)).toBe('/b/identity.jks');
    expect(conf.has('datastax-java-driver.basic.contact-points')).toBe(false);
  });
});

describe('Spring Boot application.properties', () => {
  it('uses a PEM SSL bundle from the bundle root and the cluster hostname policy', () => {
    const props = parseProperties(file('spring-boot', 'src/main/resources/application.properties', ctx));
    expect(props.get('spring.cassandra.ssl.enabled')).toBe('true');
    expect(props.get('spring.cassandra.ssl.bundle')).toBe('scb');
    expect(props.get('spring.ssl.bundle.pem.scb.keystore.certificate')).toBe('file:${SCB_BUNDLE_DIR:.}/cert');
    expect(props.get('spring.ssl.bundle.pem.scb.keystore.private-key')).toBe('file:${SCB_BUNDLE_DIR:.}/key');
    expect(props.get('spring.ssl.bundle.pem.scb.truststore.certificate')).toBe(
      'file:${SCB_BUNDLE_DIR:.}/ca.crt',
    );
    expect(props.get('spring.cassandra.ssl.verify-hostname')).toBe('true');
    expect(props.get('spring.cassandra.keyspace-name')).toBe('orders_ks');
    expect(props.get('spring.cassandra.password')?.replaceAll('\\${', '${')).toBe(CREDENTIALS.password);
    const off = parseProperties(file('spring-boot', 'src/main/resources/application.properties', plain));
    expect(off.get('spring.cassandra.ssl.verify-hostname')).toBe('false');
  });
});

describe('Spark and Kafka Connect properties', () => {
  it('Spark: java.util.Properties reads back the exact keystore passwords', () => {
    const props = parseProperties(file('spark', 'spark-cassandra.properties', ctx));
    expect(props.get('spark.cassandra.connection.host')).toBe('cass-0.db.internal,10.20.30.41');
    expect(props.get('spark.cassandra.connection.port')).toBe('19142');
    expect(props.get('spark.cassandra.connection.localDC')).toBe('eu-west-7');
    expect(props.get('spark.cassandra.connection.ssl.clientAuth.enabled')).toBe('true');
    expect(props.get('spark.cassandra.connection.ssl.keyStore.path')).toBe('identity.jks');
    expect(props.get('spark.cassandra.connection.ssl.keyStore.password')).toBe(ctx.passwords.keyStore);
    expect(props.get('spark.cassandra.connection.ssl.trustStore.password')).toBe(ctx.passwords.trustStore);
    expect(props.get('spark.cassandra.auth.password')).toBe(CREDENTIALS.password);
  });

  it("Spark: the example's own reader agrees with java.util.Properties", () => {
    const example = file('spark', 'release_version.py', ctx);
    const reader = example.slice(example.indexOf('def unescape'), example.indexOf('settings = {}'));
    const properties = file('spark', 'spark-cassandra.properties', ctx);
    const script = `${reader}\nimport json, sys\nout = {}\nfor line in sys.stdin.read().splitlines():\n    line = line.strip()\n    if line and not line.startswith("#"):\n        k, _, v = line.partition("=")\n        out[k] = unescape(v)\nprint(json.dumps(out))\n`;
    const result = spawnSync('python3', ['-c', script], { input: properties, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(new Map(Object.entries(JSON.parse(result.stdout) as Record<string, string>))).toEqual(
      parseProperties(properties),
    );
  });

  it('Kafka Connect: ssl.* follow the cluster, credentials only when present', () => {
    const props = parseProperties(file('kafka-connect', 'cassandra-sink.properties', ctx));
    expect(props.get('connector.class')).toBe('com.datastax.oss.kafka.sink.CassandraSinkConnector');
    expect(props.get('contactPoints')).toBe('cass-0.db.internal,10.20.30.41');
    expect(props.get('loadBalancing.localDc')).toBe('eu-west-7');
    expect(props.get('ssl.hostnameValidation')).toBe('true');
    expect(props.get('ssl.keystore.path')).toBe('identity.jks');
    expect(props.get('ssl.keystore.password')).toBe(ctx.passwords.keyStore);
    expect(props.get('auth.password')).toBe(CREDENTIALS.password);
    expect(props.get('topic.scb-example.orders_ks.scb_example.mapping')).toBe('id=key, payload=value');
    const off = parseProperties(file('kafka-connect', 'cassandra-sink.properties', plain));
    expect(off.get('ssl.hostnameValidation')).toBe('false');
    expect(off.has('auth.provider')).toBe(false);
    expect(file('kafka-connect', 'create-table.cql', plain)).toContain(`'eu-west-7': 1`);
  });
});

describe('C/C++ connection.conf', () => {
  it('holds the settings example.c reads', () => {
    const conf = file('cpp', 'connection.conf', ctx);
    expect(conf).toContain('contact_points = cass-0.db.internal,10.20.30.41\n');
    expect(conf).toContain('port = 19142\n');
    expect(conf).toContain('local_dc = eu-west-7\n');
    expect(conf).toContain('hostname_verification = true\n');
    for (const key of [
      'contact_points',
      'port',
      'local_dc',
      'keyspace',
      'hostname_verification',
      'username',
      'password',
    ]) {
      expect(file('cpp', 'example.c', ctx)).toContain(`"${key}"`);
    }
  });
});
