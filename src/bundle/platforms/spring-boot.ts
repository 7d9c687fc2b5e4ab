import { hostPort, propertiesValue, withoutPlaceholders } from './config-syntax.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

const SPRING_BOOT = '3.5.16';
const SSL_BUNDLE = 'scb';

// A PEM SSL bundle: Spring Boot reads cert/key/ca.crt directly, so no keystore password is needed.
// Bundle paths go through Spring's own placeholder, `${SCB_BUNDLE_DIR:.}`, resolved at startup.
function applicationProperties(ctx: PlatformContext): string {
  const { cluster, files } = ctx;
  const value = (text: string): string => propertiesValue(withoutPlaceholders(text));
  const bundleFile = (name: string): string => `file:\${SCB_BUNDLE_DIR:.}/${name}`;
  const pem = `spring.ssl.bundle.pem.${SSL_BUNDLE}`;
  const lines = [
    '# Spring Boot 3 settings for the bundle; SCB_BUNDLE_DIR (default: the working directory) is the bundle root.',
    `spring.cassandra.contact-points=${value(cluster.contactPoints.map((host) => hostPort(host, cluster.port)).join(','))}`,
    `spring.cassandra.port=${cluster.port}`,
    `spring.cassandra.local-datacenter=${value(cluster.localDatacenter)}`,
  ];
  if (cluster.keyspace !== undefined) lines.push(`spring.cassandra.keyspace-name=${value(cluster.keyspace)}`);
  lines.push(
    'spring.cassandra.ssl.enabled=true',
    `spring.cassandra.ssl.bundle=${SSL_BUNDLE}`,
    `spring.cassandra.ssl.verify-hostname=${cluster.hostnameVerification}`,
    `${pem}.keystore.certificate=${bundleFile(files.cert)}`,
    `${pem}.keystore.private-key=${bundleFile(files.key)}`,
    `${pem}.truststore.certificate=${bundleFile(files.caCert)}`,
  );
  if (ctx.credentials) {
    lines.push(
      `spring.cassandra.username=${value(ctx.credentials.username)}`,
      `spring.cassandra.password=${value(ctx.credentials.password)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const APPLICATION = `package scb.example;

import com.datastax.oss.driver.api.core.CqlSession;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Connects with the bundle's settings (application.properties) and prints release_version. */
@SpringBootApplication
public class ReleaseVersionApplication {
  public static void main(String[] args) {
    System.exit(SpringApplication.exit(SpringApplication.run(ReleaseVersionApplication.class, args)));
  }

  @Bean
  CommandLineRunner printReleaseVersion(CqlSession session) {
    return args ->
        System.out.println(
            session.execute("SELECT release_version FROM system.local").one().getString("release_version"));
  }
}
`;

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>${SPRING_BOOT}</version>
  </parent>
  <groupId>scb.example</groupId>
  <artifactId>spring-boot-example</artifactId>
  <version>1</version>
  <properties>
    <java.version>17</java.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-data-cassandra</artifactId>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
      </plugin>
    </plugins>
  </build>
</project>
`;

export const platform: Platform = {
  id: 'spring-boot',
  title: 'Spring Boot 3',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'src/main/resources/application.properties', content: applicationProperties(ctx) },
      { path: 'src/main/java/scb/example/ReleaseVersionApplication.java', content: APPLICATION },
      { path: 'pom.xml', content: POM },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Spring Boot 3',
      '`platforms/spring-boot/src/main/resources/application.properties` sets `spring.cassandra.*` (contact ' +
        'points, port, local datacenter, `ssl.enabled`, `ssl.verify-hostname`) and a PEM SSL bundle ' +
        `\`spring.ssl.bundle.pem.${SSL_BUNDLE}\` with \`${ctx.files.cert}\`, \`${ctx.files.key}\` and ` +
        `\`${ctx.files.caCert}\` under \`\${SCB_BUNDLE_DIR:.}\`. The Maven project (Spring Boot ${SPRING_BOOT}, ` +
        '`spring-boot-starter-data-cassandra`) prints `release_version`:',
      codeBlock('sh', ['cd platforms/spring-boot && SCB_BUNDLE_DIR=../.. mvn -q spring-boot:run']),
      serverNameNote('Spring Boot', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
