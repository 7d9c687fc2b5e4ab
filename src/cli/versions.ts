import type { BundleVersion, SecureConnectionBundle } from '../api/v1alpha1/index.js';

/**
 * status.versions as a table, newest first, the current version marked with '*'. Digests are
 * shortened to 12 characters, as `docker images` does; --json prints them whole.
 */
export function versionsTable(bundle: SecureConnectionBundle): string {
  const versions = bundle.status?.versions ?? [];
  if (versions.length === 0) {
    return `SecureConnectionBundle ${bundle.metadata.namespace}/${bundle.metadata.name} has no versions yet\n`;
  }
  const current = bundle.status?.currentVersion;
  const header = ['VERSION', 'STATE', 'CREATED', 'EXPIRES', 'SHA256', 'SIZE', 'SECRET'];
  const rows = [...versions]
    .sort((a, b) => b.version - a.version)
    .map((entry: BundleVersion) => [
      `${entry.version}${entry.version === current ? '*' : ''}`,
      entry.state,
      entry.createdAt ?? '-',
      entry.expiresAt ?? '-',
      entry.bundleSHA256?.slice(0, 12) ?? '-',
      entry.size === undefined ? '-' : String(entry.size),
      entry.secretName ?? entry.objectKey ?? '-',
    ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
