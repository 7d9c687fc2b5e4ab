import yaml from 'js-yaml';
import { InvalidInputError } from '../errors.js';
import { inFile, readInputText } from './input-files.js';

/**
 * The manifest of `kind` in a YAML (or JSON) file. A file may hold several documents, as files
 * given to `kubectl apply -f` do (e.g. a ConfigMap beside the CassandraClusterRef): the one
 * document of that kind is taken. A single document is returned whatever its kind, so the spec
 * reader can name a wrong kind precisely.
 */
export function readManifestFile(path: string, flag: string, kind: string): unknown {
  const text = readInputText(path, flag);
  const documents = inFile(flag, path, () => yamlDocuments(text, path)).filter(
    (doc) => doc !== null && doc !== undefined,
  );
  if (documents.length === 1) return documents[0];
  const matching = documents.filter((doc) => (doc as { kind?: unknown }).kind === kind);
  if (matching.length === 1) return matching[0];
  throw new InvalidInputError(
    matching.length === 0 ? 'ManifestNotFound' : 'AmbiguousManifest',
    `${flag} ${path}: holds ${documents.length} documents and ${matching.length === 0 ? 'none' : matching.length} of kind ${kind}; ` +
      `give a file with exactly one ${kind}`,
    flag,
  );
}

/** The documents of a YAML (or JSON) text; a syntax error names the line and column. */
export function yamlDocuments(text: string, path: string): unknown[] {
  try {
    return yaml.loadAll(text, null, { filename: path });
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    const reason = (error as { reason?: string }).reason ?? 'syntax error';
    throw new InvalidInputError('MalformedYaml', `not valid YAML${where} (${reason})`);
  }
}
