import { bundleDirPreamble, javaDriverTree, underBundleDir } from './java-driver-config.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

const DRIVER = 'org.apache.cassandra:java-driver-core:4.19.4';
// The driver looks a class name without a package up only among its own packages.
const AUTH_PROVIDER_PACKAGE = 'scb.example';
const CERTIFICATE_AUTH_PROVIDER = 'CertificateAuthProvider';
const AUTH_PROVIDER_PATH = `${AUTH_PROVIDER_PACKAGE.replaceAll('.', '/')}/${CERTIFICATE_AUTH_PROVIDER}.java`;

function applicationConf(ctx: PlatformContext): string {
  const tree = javaDriverTree(ctx, {
    bundlePath: underBundleDir,
    connection: true,
    credentials: true,
    keystoreReloadInterval: '5 minutes',
    certificateAuthProvider: `${AUTH_PROVIDER_PACKAGE}.${CERTIFICATE_AUTH_PROVIDER}`,
  });
  return [...bundleDirPreamble, '', ...tree, ''].join('\n');
}

const EXAMPLE = `import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.io.File;
import java.nio.file.Paths;

/** Connects with the bundle's application.conf and prints the server's release_version. */
public class ScbExample {
  public static void main(String[] args) {
    String bundleDir = System.getenv().getOrDefault("SCB_BUNDLE_DIR", ".");
    File conf = Paths.get(bundleDir, "platforms", "java-driver-4", "application.conf").toFile();
    try (CqlSession session =
        CqlSession.builder().withConfigLoader(DriverConfigLoader.fromFile(conf)).build()) {
      System.out.println(
          session.execute("SELECT release_version FROM system.local").one().getString("release_version"));
    }
  }
}
`;

// The driver builds the configured provider by reflection, through a constructor that takes the
// DriverContext. An empty token, not a null one: the node reads a null token as a protocol error.
const AUTH_PROVIDER = `package ${AUTH_PROVIDER_PACKAGE};

import com.datastax.oss.driver.api.core.auth.AuthProvider;
import com.datastax.oss.driver.api.core.auth.Authenticator;
import com.datastax.oss.driver.api.core.auth.SyncAuthenticator;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import java.nio.ByteBuffer;

/**
 * Passwordless mutual TLS: the client certificate is the credential. A node running
 * MutualTlsAuthenticator still asks each connection to authenticate; this answers with an empty
 * token and the node logs the client in as the role mapped to the certificate's identity.
 */
public class ${CERTIFICATE_AUTH_PROVIDER} implements AuthProvider {
  public ${CERTIFICATE_AUTH_PROVIDER}(DriverContext context) {}

  @Override
  public Authenticator newAuthenticator(EndPoint endPoint, String serverAuthenticator) {
    return new SyncAuthenticator() {
      @Override
      public ByteBuffer initialResponseSync() {
        return ByteBuffer.allocate(0);
      }

      @Override
      public ByteBuffer evaluateChallengeSync(ByteBuffer challenge) {
        return ByteBuffer.allocate(0);
      }

      @Override
      public void onAuthenticationSuccessSync(ByteBuffer token) {}
    };
  }

  @Override
  public void onMissingChallenge(EndPoint endPoint) {}

  @Override
  public void close() {}
}
`;

const [groupId, artifactId, version] = DRIVER.split(':') as [string, string, string];

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>scb.example</groupId>
  <artifactId>java-driver-4-example</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>11</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>${groupId}</groupId>
      <artifactId>${artifactId}</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
  <build>
    <sourceDirectory>.</sourceDirectory>
    <plugins>
      <!-- maven.compiler.release needs plugin 3.6+; Maven 3.8 binds 3.1, which targets Java 5. -->
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
      <plugin>
        <groupId>org.codehaus.mojo</groupId>
        <artifactId>exec-maven-plugin</artifactId>
        <version>3.5.0</version>
        <configuration>
          <mainClass>ScbExample</mainClass>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`;

export const platform: Platform = {
  id: 'java-driver-4',
  title: 'Java driver 4.x',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'application.conf', content: applicationConf(ctx) },
      { path: 'ScbExample.java', content: EXAMPLE },
      ...(ctx.credentials ? [] : [{ path: AUTH_PROVIDER_PATH, content: AUTH_PROVIDER }]),
      { path: 'pom.xml', content: POM },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Java driver 4.x',
      `\`platforms/java-driver-4/application.conf\` configures \`${DRIVER}\`: contact points, local datacenter ` +
        `\`${ctx.cluster.localDatacenter}\`, and mutual TLS with \`${ctx.files.identityKeyStore}\` and ` +
        `\`${ctx.files.trustStore}\` (\`DefaultSslEngineFactory\`; the identity is re-read every 5 minutes, so a ` +
        'renewed bundle mounted in place is picked up). Paths are relative to the bundle root; set `SCB_BUNDLE_DIR` ' +
        'when running elsewhere. Load it with `DriverConfigLoader.fromFile(...)`, or put it on the classpath as ' +
        '`application.conf`. `ScbExample.java` connects with it and prints `release_version`:',
      codeBlock('sh', ['cd platforms/java-driver-4 && SCB_BUNDLE_DIR=../.. mvn -q compile exec:java']),
      !ctx.credentials &&
        `The bundle holds no password: the certificate is the credential. \`application.conf\` names ` +
          `\`${AUTH_PROVIDER_PACKAGE}.${CERTIFICATE_AUTH_PROVIDER}\` (\`${AUTH_PROVIDER_PATH}\`, beside it) as the auth provider; it ` +
          "answers a node running Cassandra 5's `MutualTlsAuthenticator` with an empty token. Copy that class " +
          'into your application along with the configuration.',
      serverNameNote('The Java driver', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
