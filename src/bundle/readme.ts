import type { Platform, PlatformContext } from './platforms/platform.js';

/**
 * README.md: what every file is and how to use each platform. It names files and settings,
 * never a password (those stay in config.json, the keystores' only companion).
 */
export function bundleReadme(ctx: PlatformContext, platforms: readonly Platform[]): string {
  const { cluster, files } = ctx;
  const extraDcs = cluster.datacenters.map((dc) => `${dc.name} (${dc.contactPoints.join(', ')})`);
  const sections = [
    `# Secure connection bundle \`${ctx.bundleName}\``,
    '',
    `Client identity \`${ctx.identity.commonName}\`` +
      (ctx.identity.spiffeId ? ` (SPIFFE ID \`${ctx.identity.spiffeId}\`)` : '') +
      ` for the Cassandra cluster at ${cluster.contactPoints.join(', ')}, port ${cluster.port}, ` +
      `local datacenter \`${cluster.localDatacenter}\`` +
      (extraDcs.length > 0 ? `; other datacenters: ${extraDcs.join('; ')}` : '') +
      '.',
    '',
    'Unpack the zip (or mount the Secret) into one folder; every path below is relative to it.',
    'The examples read that folder from the environment variable `SCB_BUNDLE_DIR` (default: the',
    'current directory) and take every connection setting from `config.json`.',
    '',
    '## Files',
    '',
    '| file | what it is |',
    '| --- | --- |',
    `| \`${files.config}\` | connection settings in the Astra layout (\`host\`, \`port\`, \`cql_port\`, \`localDC\`, \`*Location\`, keystore passwords) plus \`contactPoints\`, \`datacenters\`, \`tlsServerName\`, \`hostnameVerification\` |`,
    `| \`${files.caCert}\` | PEM certificate(s) of the CA that signed the Cassandra nodes' certificates: trust these to verify the servers |`,
    `| \`${files.cert}\` | PEM client certificate followed by its issuing CA certificate(s), without the root, so the server can build the chain |`,
    `| \`${files.key}\` | PEM private key of the client certificate (${ctx.keyAlgorithm}) |`,
    `| \`${files.pfx}\` | PKCS#12 with the client key and certificate chain; password \`pfxCertPassword\` |`,
    `| \`${files.identityKeyStore}\` | the same PKCS#12 under the name Java tools expect (the JDK's \`JKS\` type loads it); password \`keyStorePassword\` |`,
    `| \`${files.trustStore}\` | Java keystore (JKS) with the server CA certificate(s) as trusted entries; password \`trustStorePassword\` |`,
    `| \`${files.cqlshrc}\` | cqlsh profile: \`cqlsh --cqlshrc ./cqlshrc\` from this folder |`,
    '| `manifest.json` | SHA-256 and size of every other file, bundle version, identity, validity, generator |',
    '| `manifest.sig` | ECDSA P-256 signature (DER) over the exact bytes of `manifest.json` |',
    '| `platforms/<id>/` | configuration and a runnable example per client platform (below) |',
    '',
    '## Checking the bundle',
    '',
    '```sh',
    'scbctl verify secure-connect-' + ctx.bundleName + '.zip --public-key signing.pub',
    '# or, with only openssl, in the unpacked folder:',
    'openssl dgst -sha256 -verify signing.pub -signature manifest.sig manifest.json',
    'sha256sum config.json   # compare with manifest.json',
    '```',
    '',
    'Every DataStax driver can open this zip with its secure-connect-bundle option, but their',
    '"cloud" mode also expects an Astra metadata service, which a self-managed cluster does not',
    'provide; use the per-platform configurations below, which connect with ordinary TLS settings.',
    '',
    '## Platforms',
    '',
    ...platforms.map((platform) => `- ${platform.title}: \`platforms/${platform.id}/\``),
  ];
  // Each platform's section brings its own heading.
  for (const platform of platforms) sections.push('', platform.readme(ctx).trimEnd());
  return `${sections.join('\n')}\n`;
}
