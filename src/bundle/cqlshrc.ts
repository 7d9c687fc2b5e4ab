import type { PlatformContext } from './platforms/platform.js';

/**
 * The root `cqlshrc`, in the layout of Astra's bundles. `validate = true` makes cqlsh check the
 * server certificate against `ca.crt`; we never turn that off. cqlsh (6.x) does not check the
 * host name against the certificate, whatever `hostnameVerification` says.
 */
export function cqlshrc(ctx: PlatformContext): string {
  const { cluster, files } = ctx;
  const lines = [
    '[connection]',
    `hostname = ${cluster.contactPoints[0] ?? ''}`,
    `port = ${cluster.port}`,
    'ssl = true',
    '',
    '[ssl]',
    'validate = true',
    `certfile = ./${files.caCert}`,
    `userkey = ./${files.key}`,
    `usercert = ./${files.cert}`,
  ];
  // cqlsh reads the default keyspace from [authentication], beside the credentials.
  const authentication: string[] = [];
  if (ctx.credentials) {
    authentication.push(`username = ${ctx.credentials.username}`, `password = ${ctx.credentials.password}`);
  }
  if (cluster.keyspace !== undefined) authentication.push(`keyspace = ${cluster.keyspace}`);
  if (authentication.length > 0) lines.push('', '[authentication]', ...authentication);
  return `${lines.join('\n')}\n`;
}
