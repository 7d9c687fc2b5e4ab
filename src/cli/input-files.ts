import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { InvalidInputError } from '../errors.js';

/** Reads a file named by a flag; a missing or unreadable file is an input error naming both. */
export function readInputFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot be read';
    throw new InvalidInputError('FileNotReadable', `${flag} ${path}: ${why}`, flag);
  }
}

export function readInputText(path: string, flag: string): string {
  return readInputFile(path, flag).toString('utf8');
}

/**
 * The manifest of `kind` in a YAML (or JSON) file. A file may hold several documents, as files
 * given to `kubectl apply -f` do (e.g. a ConfigMap beside the CassandraClusterRef): the one
 * document of that kind is taken. A single document is returned whatever its kind, so the spec
 * reader can name a wrong kind precisely.
 */
export function readManifestFile(path: string, flag: string, kind: string): unknown {
  const text = readInputText(path, flag);
  let documents: unknown[];
  try {
    documents = yaml
      .loadAll(text, null, { filename: path })
      .filter((doc) => doc !== null && doc !== undefined);
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    const reason = (error as { reason?: string }).reason ?? 'syntax error';
    throw new InvalidInputError('MalformedYaml', `${flag} ${path}: not valid YAML${where} (${reason})`, flag);
  }
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

/** Runs `read`, prefixing any input error with the flag and file it came from. */
export function inFile<T>(flag: string, path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new InvalidInputError(error.reason, `${flag} ${path}: ${error.message}`, error.field ?? flag);
    }
    throw error;
  }
}

export async function inFileAsync<T>(flag: string, path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new InvalidInputError(error.reason, `${flag} ${path}: ${error.message}`, error.field ?? flag);
    }
    throw error;
  }
}
