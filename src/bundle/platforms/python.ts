import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const DRIVER = 'cassandra-driver==3.30.1';

// Everything the connection needs comes from config.json; only the bundle's fixed file names are
// written here. Without a password the client certificate is the credential: Cassandra's
// MutualTlsAuthenticator still asks the client to authenticate and takes any answer, but the
// driver has to give one. The expiry check reads manifest.json because the driver loses the
// node's "certificate expired" TLS alert: under TLS 1.3 it writes its first request before it
// reads, and reports only the closed connection.
const EXAMPLE = `"""Connects with the bundle's client certificate and prints the server's release_version."""
import json
import os
import ssl
import sys
from datetime import datetime, timezone

from cassandra.auth import Authenticator, AuthProvider, PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

bundle_dir = os.environ.get("SCB_BUNDLE_DIR", ".")
with open(os.path.join(bundle_dir, "config.json"), encoding="utf-8") as f:
    config = json.load(f)
with open(os.path.join(bundle_dir, "manifest.json"), encoding="utf-8") as f:
    not_after = json.load(f)["validity"]["notAfter"]
if datetime.now(timezone.utc) >= datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%S.%f%z"):
    sys.exit(f"cert: the bundle's client certificate expired at {not_after}; use a renewed bundle.")

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(os.path.join(bundle_dir, "ca.crt"))
context.load_cert_chain(os.path.join(bundle_dir, "cert"), os.path.join(bundle_dir, "key"))
context.check_hostname = config["hostnameVerification"]
ssl_options = {"server_hostname": config["tlsServerName"]} if config.get("tlsServerName") else None

class CertificateAuthProvider(AuthProvider):
    def new_authenticator(self, host):
        return Authenticator()  # its initial response is empty


auth = CertificateAuthProvider()
if config.get("username") is not None:
    auth = PlainTextAuthProvider(config["username"], config["password"])

profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=config["localDC"])))
cluster = Cluster(
    contact_points=config["contactPoints"],
    port=config["cql_port"],
    ssl_context=context,
    ssl_options=ssl_options,
    auth_provider=auth,
    execution_profiles={EXEC_PROFILE_DEFAULT: profile},
)
try:
    session = cluster.connect(config.get("keyspace"))
    print(session.execute("SELECT release_version FROM system.local").one().release_version)
finally:
    cluster.shutdown()
`;

export const platform: Platform = {
  id: 'python',
  title: 'Python (cassandra-driver)',
  files(): PlatformFile[] {
    return [
      { path: 'example.py', content: EXAMPLE },
      { path: 'requirements.txt', content: `${DRIVER}\n` },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'Python (cassandra-driver)',
      `\`platforms/python/example.py\` reads \`${ctx.files.config}\` and connects with \`${ctx.files.caCert}\`, ` +
        `\`${ctx.files.cert}\` and \`${ctx.files.key}\` through an \`ssl.SSLContext\` ` +
        '(`check_hostname` follows `hostnameVerification`; `tlsServerName`, when set, is the name checked), ' +
        'with a token-aware, datacenter-aware load balancing policy. It prints `release_version`:',
      codeBlock('sh', [
        'pip install -r platforms/python/requirements.txt',
        'SCB_BUNDLE_DIR=. python3 platforms/python/example.py',
      ]),
    );
  },
};
