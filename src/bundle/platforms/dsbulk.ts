import { javaDriverTree } from './java-driver-config.js';
import { hoconString } from './config-syntax.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

// DSBulk passes its `datastax-java-driver` section to the Java driver 4.x. Paths are relative to the
// bundle root: the script runs dsbulk from there.
function applicationConf(ctx: PlatformContext): string {
  const tree = javaDriverTree(ctx, {
    bundlePath: (fileName) => hoconString(fileName),
    connection: true,
    credentials: true,
  });
  return [
    '# DSBulk settings; run dsbulk from the bundle root so the relative paths resolve.',
    ...tree,
    '',
  ].join('\n');
}

const SCRIPT = `#!/bin/sh
# Unloads release_version from system.local to stdout with the bundle's DSBulk settings.
set -eu
cd "\${SCB_BUNDLE_DIR:-.}"
exec dsbulk unload -f platforms/dsbulk/application.conf -header false \\
  -query 'SELECT release_version FROM system.local'
`;

export const platform: Platform = {
  id: 'dsbulk',
  title: 'DSBulk',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'application.conf', content: applicationConf(ctx) },
      { path: 'release-version.sh', content: SCRIPT },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'DSBulk',
      '`platforms/dsbulk/application.conf` holds the `datastax-java-driver` settings DSBulk (1.10+) hands to the ' +
        `Java driver: contact points, local datacenter and \`DefaultSslEngineFactory\` with \`${ctx.files.identityKeyStore}\` ` +
        `and \`${ctx.files.trustStore}\`. Use it with \`dsbulk load|unload|count -f platforms/dsbulk/application.conf\` ` +
        'from the bundle root; `platforms/dsbulk/release-version.sh` unloads `release_version` to stdout:',
      codeBlock('sh', ['SCB_BUNDLE_DIR=. sh platforms/dsbulk/release-version.sh']),
      serverNameNote('DSBulk', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
