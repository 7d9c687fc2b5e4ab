import { hoconList, hoconString, hostPort } from './config-syntax.js';
import type { PlatformContext } from './platform.js';

/**
 * The `datastax-java-driver { ... }` tree of a Java driver 4.x configuration: contact points, local
 * datacenter, TLS through `DefaultSslEngineFactory` (identity.jks + trustStore.jks) and
 * `PlainTextAuthProvider` when the bundle carries credentials (or, without them, the given
 * certificate-only provider). The Java driver, DSBulk and Quarkus all read this same tree; option
 * names are those of the driver's reference.conf.
 */
export interface JavaDriverTreeOptions {
  /** How a bundle file's path is written (a HOCON value), e.g. relative or under a substitution. */
  bundlePath(fileName: string): string;
  /** Contact points, datacenter and keyspace; off when the framework's own properties carry them. */
  connection: boolean;
  /** Off when the framework's own properties carry the credentials. */
  credentials: boolean;
  /** Re-read identity.jks periodically, so a long-running client picks up a renewed certificate. */
  keystoreReloadInterval?: string;
  /**
   * An AuthProvider class shipped beside the configuration that answers with an empty token, set
   * when the bundle has no credentials. A node running MutualTlsAuthenticator (passwordless
   * mutual TLS) still asks every client to authenticate, and the driver refuses to connect when
   * no provider is configured; the client certificate is the credential.
   */
  certificateAuthProvider?: string;
}

export function javaDriverTree(ctx: PlatformContext, options: JavaDriverTreeOptions): string[] {
  const { cluster, files, passwords } = ctx;
  const lines = ['datastax-java-driver {'];
  if (options.connection) {
    lines.push(
      '  basic {',
      `    contact-points = ${hoconList(cluster.contactPoints.map((host) => hostPort(host, cluster.port)))}`,
      `    load-balancing-policy.local-datacenter = ${hoconString(cluster.localDatacenter)}`,
    );
    if (cluster.keyspace !== undefined) lines.push(`    session-keyspace = ${hoconString(cluster.keyspace)}`);
    lines.push('  }');
  }
  lines.push(
    '  advanced.ssl-engine-factory {',
    '    class = DefaultSslEngineFactory',
    // The driver checks each node's certificate against the name it dialled (contact point or peer
    // address); it has no setting for a different TLS server name.
    `    hostname-validation = ${cluster.hostnameVerification}`,
    `    keystore-path = ${options.bundlePath(files.identityKeyStore)}`,
    `    keystore-password = ${hoconString(passwords.keyStore)}`,
  );
  if (options.keystoreReloadInterval !== undefined) {
    lines.push(`    keystore-reload-interval = ${hoconString(options.keystoreReloadInterval)}`);
  }
  lines.push(
    `    truststore-path = ${options.bundlePath(files.trustStore)}`,
    `    truststore-password = ${hoconString(passwords.trustStore)}`,
    '  }',
  );
  if (options.credentials && ctx.credentials) {
    lines.push(
      '  advanced.auth-provider {',
      '    class = PlainTextAuthProvider',
      `    username = ${hoconString(ctx.credentials.username)}`,
      `    password = ${hoconString(ctx.credentials.password)}`,
      '  }',
    );
  } else if (options.certificateAuthProvider !== undefined && !ctx.credentials) {
    lines.push(`  advanced.auth-provider.class = ${hoconString(options.certificateAuthProvider)}`);
  }
  lines.push('}');
  return lines;
}

/**
 * A HOCON preamble that names the bundle root once: `.` unless the SCB_BUNDLE_DIR environment
 * variable is set (Typesafe Config falls back to the environment when it resolves `${?...}`).
 */
export const BUNDLE_DIR_KEY = 'scb-bundle-dir';
export const bundleDirPreamble = [
  '# The bundle root (where the zip was unpacked or the Secret is mounted); SCB_BUNDLE_DIR overrides it.',
  `${BUNDLE_DIR_KEY} = "."`,
  `${BUNDLE_DIR_KEY} = \${?SCB_BUNDLE_DIR}`,
];

export function underBundleDir(fileName: string): string {
  return `\${${BUNDLE_DIR_KEY}}${hoconString(`/${fileName}`)}`;
}
