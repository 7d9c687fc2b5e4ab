import type { PlatformContext } from './platforms/platform.js';

/**
 * config.json in the Astra layout: every field name the drivers' bundle loaders read (see
 * SCB-FORMAT.md), `*Location` as `./<file>`, then our additions for the plain-TLS path.
 *
 * `host`/`port` exist because every loader refuses a bundle without them; they name the first
 * contact point and the CQL TLS port. (Astra's `port` is its metadata service, which a
 * self-managed cluster does not have yet, so the drivers' "cloud" mode cannot be used with these
 * bundles; the per-platform configs use ordinary TLS settings instead.)
 */
export function astraConfigJson(ctx: PlatformContext): string {
  const { cluster, files, passwords } = ctx;
  const host = cluster.contactPoints[0];
  if (host === undefined) throw new Error('a bundle needs at least one contact point');
  const datacenters: Record<string, string[]> = { [cluster.localDatacenter]: [...cluster.contactPoints] };
  for (const dc of cluster.datacenters) datacenters[dc.name] = [...dc.contactPoints];

  const config = {
    host,
    port: cluster.port,
    cql_port: cluster.port,
    keyspace: cluster.keyspace,
    localDC: cluster.localDatacenter,
    caCertLocation: `./${files.caCert}`,
    keyLocation: `./${files.key}`,
    certLocation: `./${files.cert}`,
    keyStoreLocation: `./${files.identityKeyStore}`,
    keyStorePassword: passwords.keyStore,
    trustStoreLocation: `./${files.trustStore}`,
    trustStorePassword: passwords.trustStore,
    pfxCertPassword: passwords.pfxCert,
    // Only when the bundle asks for credentials: an mTLS identity needs no password.
    username: ctx.credentials?.username,
    password: ctx.credentials?.password,
    contactPoints: [...cluster.contactPoints],
    datacenters,
    tlsServerName: cluster.tlsServerName,
    hostnameVerification: cluster.hostnameVerification,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
