import { cqlshrc } from '../cqlshrc.js';
import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const PASSWORDLESS_PROFILE = 'platforms/cqlsh/cqlshrc';

// cqlsh resolves the cqlshrc's relative paths (./ca.crt, ./cert, ./key) against the working
// directory, so the script runs from the bundle root.
function script(profile: string): string {
  return `#!/bin/sh
# Connects with the bundle's cqlsh profile (client certificate, CA, contact point) and prints release_version.
set -eu
cd "\${SCB_BUNDLE_DIR:-.}"
exec cqlsh --cqlshrc ./${profile} --ssl -e 'SELECT release_version FROM system.local'
`;
}

/**
 * Without a password in the bundle: the root cqlshrc plus SASL EXTERNAL ("the credentials were
 * established outside this exchange": the client certificate) as cqlsh's auth provider. A node
 * running MutualTlsAuthenticator asks every client to authenticate; cqlsh without a username has
 * no provider and gives up, while EXTERNAL answers with the empty token the node expects.
 * SaslAuthProvider is the Python driver's and pure-sasl is a dependency of cqlsh. It is a
 * separate profile because cqlsh hands `-u`/`-p` to the configured provider, which EXTERNAL
 * ignores: a password login keeps using the root cqlshrc.
 */
function passwordlessProfile(ctx: PlatformContext): string {
  return [
    cqlshrc(ctx),
    '[auth_provider]',
    'module = cassandra.auth',
    'classname = SaslAuthProvider',
    'service = cassandra',
    'mechanism = EXTERNAL',
    '',
  ].join('\n');
}

export const platform: Platform = {
  id: 'cqlsh',
  title: 'cqlsh',
  files(ctx: PlatformContext): PlatformFile[] {
    // With credentials the root cqlshrc logs in with them; no second copy of the password.
    if (ctx.credentials) return [{ path: 'release-version.sh', content: script(ctx.files.cqlshrc) }];
    return [
      { path: 'cqlshrc', content: passwordlessProfile(ctx) },
      { path: 'release-version.sh', content: script(PASSWORDLESS_PROFILE) },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'cqlsh',
      `The bundle's own \`${ctx.files.cqlshrc}\` is a cqlsh profile: \`[connection]\` hostname, port and \`ssl = true\`; ` +
        `\`[ssl]\` \`certfile = ./${ctx.files.caCert}\`, \`validate = true\`, \`userkey = ./${ctx.files.key}\`, ` +
        `\`usercert = ./${ctx.files.cert}\`. Its paths are relative, so run cqlsh from the bundle root; ` +
        '`platforms/cqlsh/release-version.sh` does that and prints `release_version`. cqlsh (PyPI `cqlsh` 6.2) ' +
        'verifies the server certificate against the CA but has no host name check.' +
        (ctx.credentials
          ? ''
          : ` The bundle holds no password: \`${PASSWORDLESS_PROFILE}\` is the same profile plus ` +
            "`[auth_provider]` SASL `EXTERNAL`, which logs in with the certificate alone on a node running Cassandra 5's " +
            '`MutualTlsAuthenticator`, and the script uses it; log in with `-u`/`-p` through the root one.'),
      codeBlock('sh', ['pip install cqlsh==6.2.2', 'SCB_BUNDLE_DIR=. sh platforms/cqlsh/release-version.sh']),
    );
  },
};
