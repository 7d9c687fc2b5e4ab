import type { PlatformContext } from './platforms/platform.js';

/**
 * config.json in the Astra layout: every field name the drivers' bundle loaders read (see
 * SCB-FORMAT.md), `*Location` as `./<file>`, then our additions for the plain-TLS path.
 *
 * `host`/`port` exist because every loader refuses a bundle without them. With a cloud-mode
 * gateway (spec.gateway) they name its metadata service, which drivers' secure-connect-bundle
 * mode calls (docs/cloud-mode.md); without one, the first contact point and the CQL TLS port
 * (the drivers' cloud mode then cannot be used). No driver reads `cql_port` or the fields after
 * it in cloud mode, so the per-platform configs keep connecting directly either way.
 */
export function astraConfigJson(ctx: PlatformContext): string {
  const { cluster, files, passwords } = ctx;
  const host = cluster.contactPoints[0];
  if (host === undefined) throw new Error('a bundle needs at least one contact point');
  const datacenters: Record<string, string[]> = { [cluster.localDatacenter]: [...cluster.contactPoints] };
  for (const dc of cluster.datacenters) datacenters[dc.name] = [...dc.contactPoints];

  const config = {
    host: cluster.metadataService?.host ?? host,
    port: cluster.metadataService?.port ?? cluster.port,
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
