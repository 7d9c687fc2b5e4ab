import { hostPort, propertiesValue, withoutPlaceholders } from './config-syntax.js';
import { bundleDirPreamble, javaDriverTree, underBundleDir } from './java-driver-config.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

const QUARKUS = '3.31.4';
const EXTENSION = 'com.datastax.oss.quarkus:cassandra-quarkus-client:1.4.1';

// The Cassandra Quarkus extension maps connection settings from application.properties and has no
// TLS properties: TLS comes from the Java driver's own application.conf on the classpath.
function applicationProperties(ctx: PlatformContext): string {
  const { cluster } = ctx;
  const value = (text: string): string => propertiesValue(withoutPlaceholders(text));
  const lines = [
    `quarkus.cassandra.contact-points=${value(cluster.contactPoints.map((host) => hostPort(host, cluster.port)).join(','))}`,
    `quarkus.cassandra.local-datacenter=${value(cluster.localDatacenter)}`,
  ];
  if (cluster.keyspace !== undefined) lines.push(`quarkus.cassandra.keyspace=${value(cluster.keyspace)}`);
  if (ctx.credentials) {
    lines.push(
      `quarkus.cassandra.auth.username=${value(ctx.credentials.username)}`,
      `quarkus.cassandra.auth.password=${value(ctx.credentials.password)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function applicationConf(ctx: PlatformContext): string {
  const tree = javaDriverTree(ctx, {
    bundlePath: underBundleDir,
    connection: false,
    credentials: false,
    keystoreReloadInterval: '5 minutes',
  });
  return [...bundleDirPreamble, '', ...tree, ''].join('\n');
}

const MAIN = `package scb.example;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;

/** Connects with the bundle's settings and prints release_version. */
@QuarkusMain
public class ReleaseVersion implements QuarkusApplication {
  @Inject QuarkusCqlSession session;

  @Override
  public int run(String... args) {
    System.out.println(
        session.execute("SELECT release_version FROM system.local").one().getString("release_version"));
    return 0;
  }
}
`;

const [extGroup, extArtifact, extVersion] = EXTENSION.split(':') as [string, string, string];

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>scb.example</groupId>
  <artifactId>quarkus-example</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <quarkus.version>${QUARKUS}</quarkus.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-bom</artifactId>
        <version>\${quarkus.version}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>${extGroup}</groupId>
      <artifactId>${extArtifact}</artifactId>
      <version>${extVersion}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>\${quarkus.version}</version>
        <extensions>true</extensions>
        <executions>
          <execution>
            <goals>
              <goal>build</goal>
            </goals>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
`;

export const platform: Platform = {
  id: 'quarkus',
  title: 'Quarkus',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'src/main/resources/application.properties', content: applicationProperties(ctx) },
      { path: 'src/main/resources/application.conf', content: applicationConf(ctx) },
      { path: 'src/main/java/scb/example/ReleaseVersion.java', content: MAIN },
      { path: 'pom.xml', content: POM },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Quarkus',
      `\`platforms/quarkus\` is a Quarkus ${QUARKUS} project with \`${EXTENSION}\`. ` +
        '`application.properties` sets `quarkus.cassandra.contact-points`, `local-datacenter` (and `keyspace`, `auth.*` ' +
        'when the bundle has them); the extension has no TLS properties, so `application.conf` beside it configures ' +
        `the Java driver's \`DefaultSslEngineFactory\` with \`${ctx.files.identityKeyStore}\` and \`${ctx.files.trustStore}\` ` +
        'under `SCB_BUNDLE_DIR`. It prints `release_version`:',
      codeBlock('sh', [
        'cd platforms/quarkus && mvn -q package',
        'SCB_BUNDLE_DIR=../.. java -jar target/quarkus-app/quarkus-run.jar',
      ]),
      serverNameNote('The Java driver', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
