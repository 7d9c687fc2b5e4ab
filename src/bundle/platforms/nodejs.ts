import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const DRIVER_VERSION = '4.10.0';

// sslOptions are Node's tls.connect options. The driver defaults rejectUnauthorized to false, so
// it is set explicitly; checkServerIdentity is replaced only when hostname verification is off.
// Without a password the client certificate is the credential: Cassandra's MutualTlsAuthenticator
// still asks the client to authenticate and takes any answer, but the driver has to give one.
// When no node accepts the connection, the example asks the first node why over a bare TLS
// connection: the driver writes its first request at once, and when the node has already closed
// the connection, the reset can discard the alert with which it refused the client certificate.
const EXAMPLE = `'use strict';
// Connects with the bundle's client certificate and prints the server's release_version.
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const cassandra = require('cassandra-driver');

const bundleDir = process.env.SCB_BUNDLE_DIR || '.';
const read = (name) => fs.readFileSync(path.join(bundleDir, name));
const config = JSON.parse(read('config.json').toString('utf8'));

const sslOptions = { ca: [read('ca.crt')], cert: read('cert'), key: read('key'), rejectUnauthorized: true };
if (config.tlsServerName) sslOptions.servername = config.tlsServerName;
if (!config.hostnameVerification) sslOptions.checkServerIdentity = () => undefined;

class CertificateAuthenticator extends cassandra.auth.Authenticator {
  initialResponse(callback) {
    callback(null, Buffer.alloc(0));
  }
}
class CertificateAuthProvider extends cassandra.auth.AuthProvider {
  newAuthenticator() {
    return new CertificateAuthenticator();
  }
}

const client = new cassandra.Client({
  contactPoints: config.contactPoints,
  localDataCenter: config.localDC,
  keyspace: config.keyspace,
  protocolOptions: { port: config.cql_port },
  sslOptions,
  authProvider:
    config.username === undefined
      ? new CertificateAuthProvider()
      : new cassandra.auth.PlainTextAuthProvider(config.username, config.password),
});

const hints = {
  'certificate expired': "the bundle's certificate has expired; use a renewed bundle",
  'certificate unknown': 'the node does not trust the CA that issued this bundle',
  'unknown ca': 'the node does not trust the CA that issued this bundle',
  'bad certificate': 'the node does not trust the CA that issued this bundle',
  'certificate revoked': "the bundle's certificate has been revoked",
  'internal error': 'the node gave no reason; most often it does not trust the CA that issued this bundle, and its log says why',
};

// The TLS alert with which the first node refuses this client certificate, or undefined.
function refusalReason() {
  const host = config.contactPoints[0];
  return new Promise((resolve) => {
    const socket = tls.connect({ ...sslOptions, host, port: config.cql_port });
    socket.setTimeout(5000, () => socket.destroy()); // a node that accepted the certificate waits for a request
    socket.on('error', (err) => {
      const alert = /alert ([a-z ]+)/.exec(err.message);
      resolve(alert && \`\${alert[1]} (\${hints[alert[1]] || 'see the node log'})\`);
    });
    socket.on('close', () => resolve(undefined));
  });
}

client
  .execute('SELECT release_version FROM system.local')
  .then((result) => console.log(result.first().release_version))
  .catch(async (err) => {
    console.error(err);
    if (err instanceof cassandra.errors.NoHostAvailableError) {
      const reason = await refusalReason();
      if (reason) console.error(\`the node refused the client certificate: \${reason}\`);
    }
    process.exitCode = 1;
  })
  .finally(() => client.shutdown());
`;

const PACKAGE_JSON = `${JSON.stringify(
  {
    name: 'scb-nodejs-example',
    private: true,
    main: 'example.js',
    dependencies: { 'cassandra-driver': DRIVER_VERSION },
  },
  null,
  2,
)}\n`;

export const platform: Platform = {
  id: 'nodejs',
  title: 'Node.js (cassandra-driver)',
  files(): PlatformFile[] {
    return [
      { path: 'example.js', content: EXAMPLE },
      { path: 'package.json', content: PACKAGE_JSON },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Node.js (cassandra-driver)',
      `\`platforms/nodejs/example.js\` reads \`${ctx.files.config}\` and passes \`${ctx.files.caCert}\`, ` +
        `\`${ctx.files.cert}\` and \`${ctx.files.key}\` as \`sslOptions\` (Node's \`tls.connect\` options: ` +
        '`servername` is `tlsServerName` when set; the host name check is skipped only when ' +
        '`hostnameVerification` is false). It prints `release_version`:',
      codeBlock('sh', [
        `(cd platforms/nodejs && npm install)`,
        'SCB_BUNDLE_DIR=. node platforms/nodejs/example.js',
      ]),
    );
  },
};
