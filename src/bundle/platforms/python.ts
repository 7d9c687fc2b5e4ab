import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

const DRIVER = 'cassandra-driver==3.30.1';

// Everything the connection needs comes from config.json; only the bundle's fixed file names are
// written here. Without a password the client certificate is the credential: Cassandra's
// MutualTlsAuthenticator still asks the client to authenticate and takes any answer, but the
// driver has to give one. When no node accepts the connection, the example asks the first node why
// over a bare TLS connection: the driver writes its first request before it reads, so under TLS 1.3
// it loses the alert with which the node refuses a client certificate to the closed connection.
const EXAMPLE = `"""Connects with the bundle's client certificate and prints the server's release_version."""
import json
import os
import socket
import ssl
import sys

from cassandra.auth import Authenticator, AuthProvider, PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

bundle_dir = os.environ.get("SCB_BUNDLE_DIR", ".")
with open(os.path.join(bundle_dir, "config.json"), encoding="utf-8") as f:
    config = json.load(f)

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(os.path.join(bundle_dir, "ca.crt"))
context.load_cert_chain(os.path.join(bundle_dir, "cert"), os.path.join(bundle_dir, "key"))
context.check_hostname = config["hostnameVerification"]
ssl_options = {"server_hostname": config["tlsServerName"]} if config.get("tlsServerName") else None

HINTS = {
    "certificate expired": "the bundle's certificate has expired; use a renewed bundle",
    "certificate unknown": "the node does not trust the CA that issued this bundle",
    "unknown ca": "the node does not trust the CA that issued this bundle",
    "bad certificate": "the node does not trust the CA that issued this bundle",
    "certificate revoked": "the bundle's certificate has been revoked",
    "internal error": "the node gave no reason; most often it does not trust the CA that issued this bundle, and its log says why",
}


def refusal_reason():
    """The TLS alert with which the first node refuses this client certificate, or None."""
    host = config["contactPoints"][0]
    try:
        with socket.create_connection((host, config["cql_port"]), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=config.get("tlsServerName") or host) as tls:
                tls.recv(1)  # a node that accepted the certificate waits for a request: timeout
    except ssl.SSLError as error:
        if "ALERT" in (error.reason or ""):
            alert = " ".join(error.reason.lower().split("_")).removeprefix("sslv3 alert ").removeprefix("tlsv1 alert ")
            return f"{alert} ({HINTS.get(alert, 'see the node log')})"
    except OSError:
        pass
    return None


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
except NoHostAvailable as error:
    reason = refusal_reason()
    sys.exit(f"{error}\\nthe node refused the client certificate: {reason}" if reason else str(error))
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
