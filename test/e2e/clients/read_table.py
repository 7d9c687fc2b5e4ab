"""Reads one table with nothing but an unpacked bundle and no password: the client certificate is
the credential (Cassandra's MutualTlsAuthenticator maps its SPIFFE ID to a role). Connection
settings come from the bundle's config.json, as in its platforms/python/example.py; the query is
argv[1]. Prints the first column of each row, one per line.
"""
import json
import os
import ssl
import sys

from cassandra.auth import Authenticator, AuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import DCAwareRoundRobinPolicy


class CertificateAuthProvider(AuthProvider):
    def new_authenticator(self, host):
        return Authenticator()  # an empty answer: the node reads the identity from the certificate


bundle_dir = os.environ["SCB_BUNDLE_DIR"]
with open(os.path.join(bundle_dir, "config.json"), encoding="utf-8") as f:
    config = json.load(f)

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(os.path.join(bundle_dir, "ca.crt"))
context.load_cert_chain(os.path.join(bundle_dir, "cert"), os.path.join(bundle_dir, "key"))
context.check_hostname = config["hostnameVerification"]

cluster = Cluster(
    contact_points=config["contactPoints"],
    port=config["cql_port"],
    ssl_context=context,
    auth_provider=CertificateAuthProvider(),
    execution_profiles={
        EXEC_PROFILE_DEFAULT: ExecutionProfile(load_balancing_policy=DCAwareRoundRobinPolicy(config["localDC"]))
    },
)
try:
    for row in cluster.connect().execute(sys.argv[1]):
        print(row[0])
finally:
    cluster.shutdown()
