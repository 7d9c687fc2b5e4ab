import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

// cqlsh resolves the cqlshrc's relative paths (./ca.crt, ./cert, ./key) against the working
// directory, so the script runs from the bundle root.
const SCRIPT = `#!/bin/sh
# Connects with the bundle's cqlshrc (client certificate, CA, contact point) and prints release_version.
set -eu
cd "\${SCB_BUNDLE_DIR:-.}"
exec cqlsh --cqlshrc ./cqlshrc --ssl -e 'SELECT release_version FROM system.local'
`;

export const platform: Platform = {
  id: 'cqlsh',
  title: 'cqlsh',
  files(): PlatformFile[] {
    return [{ path: 'release-version.sh', content: SCRIPT }];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'cqlsh',
      `The bundle's own \`${ctx.files.cqlshrc}\` is a cqlsh profile: \`[connection]\` hostname, port and \`ssl = true\`; ` +
        `\`[ssl]\` \`certfile = ./${ctx.files.caCert}\`, \`validate = true\`, \`userkey = ./${ctx.files.key}\`, ` +
        `\`usercert = ./${ctx.files.cert}\`. Its paths are relative, so run cqlsh from the bundle root; ` +
        '`platforms/cqlsh/release-version.sh` does that and prints `release_version`. cqlsh (PyPI `cqlsh` 6.2) ' +
        'verifies the server certificate against the CA but has no host name check.',
      codeBlock('sh', ['pip install cqlsh==6.2.2', 'SCB_BUNDLE_DIR=. sh platforms/cqlsh/release-version.sh']),
    );
  },
};
