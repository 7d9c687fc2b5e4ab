import type { BundleInspection } from '../bundle/inspect-bundle.js';

/** `scbctl inspect` without --json: one labelled line per fact, then the files. */
export function describeInspection(view: BundleInspection): string {
  const lines: string[] = [];
  const add = (label: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') lines.push(`${label.padEnd(20)} ${value}`);
  };
  if (view.bundle) {
    add(
      'bundle',
      `${view.bundle.namespace ? `${view.bundle.namespace}/` : ''}${view.bundle.name} version ${view.bundle.version}`,
    );
    add(
      'cluster ref',
      `${view.bundle.cluster.namespace ? `${view.bundle.cluster.namespace}/` : ''}${view.bundle.cluster.name}`,
    );
  }
  if (view.generator) add('generator', `${view.generator.name} ${view.generator.version}`);
  const cert = view.certificate;
  if (cert) {
    add('subject', cert.subject);
    add('issuer', cert.issuer);
    add('DNS names', cert.subjectAltNames.dns.join(', '));
    add('URIs', cert.subjectAltNames.uri.join(', '));
    add('not before', cert.notBefore);
    add('not after', cert.notAfter);
    add('serial', cert.serialNumber);
    add('sha256', cert.sha256Fingerprint);
    add('key', `${cert.key.algorithm}${cert.key.size ? ` ${cert.key.size}` : ''}`);
  }
  for (const ca of view.chain) add('issuing CA', `${ca.subject} (expires ${ca.notAfter})`);
  for (const ca of view.serverCa)
    add('server CA', `${ca.subject} (expires ${ca.notAfter}, sha256 ${ca.sha256Fingerprint})`);
  if (view.cluster) {
    add('contact points', view.cluster.contactPoints?.join(', ') ?? view.cluster.host);
    add('port', view.cluster.port);
    add('local datacenter', view.cluster.localDatacenter);
    add('keyspace', view.cluster.keyspace);
    add('TLS server name', view.cluster.tlsServerName);
  }
  add('credentials', view.credentialsIncluded ? 'included in config.json' : 'none');
  if (view.signature) add('signing key id', view.signature.keyId);
  add('platforms', view.platforms.join(', '));
  if (view.format) {
    add('format version', `${view.format.version}${view.format.recorded ? '' : ' (unrecorded)'}`);
  }
  if (view.format?.recorded) {
    lines.push('driver versions:');
    for (const id of view.platforms) {
      const row = view.compatibility?.[id];
      const tested = row?.e2eTested.length
        ? `end-to-end tested: ${row.e2eTested.join(', ')}`
        : 'not run by scb-operator tests';
      lines.push(`  ${id.padEnd(18)} ${row ? `${row.driver} ${row.versions}; ${tested}` : 'not recorded'}`);
    }
  }
  lines.push(`files (${view.files.length}):`);
  for (const file of view.files)
    lines.push(`  ${file.path.padEnd(44)} ${String(file.size).padStart(7)}  ${file.sha256}`);
  return `${lines.join('\n')}\n`;
}
