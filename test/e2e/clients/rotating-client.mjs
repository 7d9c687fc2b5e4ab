/* global process, console, Buffer, setTimeout */
/**
 * A long-running Node.js client that knows nothing but its bundle folder (SCB_BUNDLE_DIR, laid
 * out as a mounted bundle Secret: config.json, ca.crt, cert, key, manifest.json). It keeps one
 * session and runs a query every SCB_QUERY_INTERVAL_MS (default 500). When manifest.json names
 * another version, it re-reads the files, opens a new session with them, moves its queries to it
 * and only then closes the old one, so a rotation costs no query.
 *
 * It prints one JSON object per line on stdout:
 * - {"event":"connected","version":N,"fileSerial":"..","presentedSerials":[".."]}: a session is up;
 *   fileSerial is the serial of the `cert` it read, presentedSerials what each of its TLS
 *   connections actually sent the node (the socket's local certificate);
 * - {"event":"query","ok":true,"version":N,"releaseVersion":".."} or ok:false with "error";
 * - {"event":"connect-failed","version":N,"error":".."}: a new session could not open (retried).
 * SIGTERM closes the session and exits 0.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The driver is installed outside the project and found through NODE_PATH, which only
// require() honours.
const cassandra = createRequire(import.meta.url)('cassandra-driver');

const bundleDir = process.env.SCB_BUNDLE_DIR;
if (!bundleDir) {
  console.error('SCB_BUNDLE_DIR must name the bundle folder');
  process.exit(2);
}
const intervalMs = Number(process.env.SCB_QUERY_INTERVAL_MS || 500);
const read = (name) => fs.readFileSync(path.join(bundleDir, name));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const bundleVersion = () => JSON.parse(read('manifest.json').toString('utf8')).bundle.version;

// As the bundle's own platforms/nodejs/example.js: without a password the certificate is the
// credential, and the node may still ask the client to authenticate (MutualTlsAuthenticator).
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

/** The serials the session's open TLS connections presented (driver internals, for the test). */
function presentedSerials(client) {
  const serials = [];
  for (const host of client.hosts.values()) {
    for (const connection of host.pool?.connections ?? []) {
      const serial = connection.netClient?.getCertificate?.()?.serialNumber;
      if (serial) serials.push(serial.toLowerCase());
    }
  }
  return serials;
}

async function openSession() {
  const version = bundleVersion();
  const config = JSON.parse(read('config.json').toString('utf8'));
  const cert = read('cert');
  const sslOptions = { ca: [read('ca.crt')], cert, key: read('key'), rejectUnauthorized: true };
  if (config.tlsServerName) sslOptions.servername = config.tlsServerName;
  if (!config.hostnameVerification) sslOptions.checkServerIdentity = () => undefined;
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
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw Object.assign(error, { bundleVersion: version });
  }
  const fileSerial = new X509Certificate(cert).serialNumber.toLowerCase();
  emit({ event: 'connected', version, fileSerial, presentedSerials: presentedSerials(client) });
  return { client, version };
}

async function main() {
  let session = await openSession();
  // A session opened for a new version, waiting for the loop to move to it between queries.
  let next;
  let opening = false;
  let stopping = false;
  process.once('SIGTERM', () => {
    stopping = true;
  });
  while (!stopping) {
    const tickStarted = Date.now();
    if (next !== undefined) {
      // No query is in flight here, so closing the old session cannot cut one short.
      const previous = session;
      session = next;
      next = undefined;
      await previous.client.shutdown();
    }
    let seen;
    try {
      seen = bundleVersion();
    } catch {
      seen = session.version; // a folder being replaced is read again on the next tick
    }
    if (seen !== session.version && !opening) {
      opening = true;
      // Opened beside the running session: queries go on while the new one connects.
      openSession()
        .then((opened) => {
          next = opened;
        })
        .catch((error) =>
          emit({ event: 'connect-failed', version: error.bundleVersion ?? seen, error: String(error) }),
        )
        .finally(() => {
          opening = false;
        });
    }
    const { client, version } = session;
    try {
      const result = await client.execute('SELECT release_version FROM system.local');
      emit({ event: 'query', ok: true, version, releaseVersion: result.first().release_version });
    } catch (error) {
      emit({ event: 'query', ok: false, version, error: String(error) });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - tickStarted))));
  }
  await Promise.all([session.client.shutdown(), next?.client.shutdown()]);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
