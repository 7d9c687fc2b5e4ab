import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { readInputText, whyUnreadable } from './input-files.js';
import { yamlDocuments } from './manifest-files.js';

/**
 * The SecureConnectionBundle manifests of a batch (`scbctl generate --out-dir`), each with the
 * place it came from (`bundles.yaml#3`, `list.yaml#1.items[4]`), so an error names the one
 * document to fix. A document that cannot be read becomes an entry with its error rather than
 * ending the run: the other bundles are still generated, and the failure is counted.
 */
export type BundleDocument =
  { source: string; manifest: unknown } | { source: string; error: InvalidInputError };

export interface BundleDocuments {
  documents: BundleDocument[];
  /** Documents of other kinds (ConfigMaps, the CassandraClusterRef...), listed, not generated. */
  otherKinds: string[];
}

const KIND = 'SecureConnectionBundle';
const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** The documents of one YAML or JSON text (`---`-separated; `kind: List` items are unrolled). */
export function bundleDocumentsInText(text: string, file: string): BundleDocuments {
  let parsed: unknown[];
  try {
    parsed = yamlDocuments(text, file);
  } catch (error) {
    const { reason, message } = error as InvalidInputError;
    const whole = new InvalidInputError(reason, `${message}; no document of this file was generated`);
    return { documents: [{ source: file, error: whole }], otherKinds: [] };
  }
  const found: BundleDocuments = { documents: [], otherKinds: [] };
  parsed.forEach((document, index) => {
    // An empty document (a trailing `---`) is no manifest at all.
    if (document !== null && document !== undefined) collect(document, `${file}#${index + 1}`, found);
  });
  return found;
}

function collect(document: unknown, source: string, found: BundleDocuments): void {
  const kind =
    typeof document === 'object' && document !== null && !Array.isArray(document)
      ? (document as { kind?: unknown }).kind
      : undefined;
  if (typeof kind !== 'string' || kind === '') {
    found.documents.push({
      source,
      error: new InvalidInputError(
        'NotAManifest',
        `is not a Kubernetes manifest (no "kind"): give SecureConnectionBundle manifests, as for kubectl apply -f`,
        'kind',
      ),
    });
    return;
  }
  const items = (document as { items?: unknown }).items;
  if (kind.endsWith('List') && Array.isArray(items)) {
    items.forEach((item, index) => collect(item, `${source}.items[${index}]`, found));
  } else if (kind === KIND) {
    found.documents.push({ source, manifest: document });
  } else {
    found.otherKinds.push(`${source} (${kind})`);
  }
}

/**
 * Every document of the given files, and of the `.yaml`, `.yml` and `.json` files directly in
 * the given folders (in name order; sub-folders are not entered), each file once. Throws when a
 * path given cannot be read or nothing at all is a SecureConnectionBundle: then there is no batch.
 */
export function readBundleDocuments(paths: readonly string[]): BundleDocuments {
  const all: BundleDocuments = { documents: [], otherKinds: [] };
  // A file named directly and through its folder is read once, not taken for a duplicate.
  const files = new Map(paths.flatMap(manifestFiles).map((entry) => [resolve(entry.file), entry]));
  for (const { file, listed } of files.values()) {
    let text: string;
    try {
      // A path given on the command line is checked by readInputText (a usage error); a file
      // found in a folder that cannot be read (a dangling symlink) is one failed entry.
      text = listed ? readFileSync(file, 'utf8') : readInputText(file, '--bundle');
    } catch (error) {
      if (!listed) throw error;
      const unreadable = new InvalidInputError(
        'FileNotReadable',
        `${whyUnreadable(error)}; no document of this file was generated`,
      );
      all.documents.push({ source: file, error: unreadable });
      continue;
    }
    const found = bundleDocumentsInText(text, file);
    all.documents.push(...found.documents);
    all.otherKinds.push(...found.otherKinds);
  }
  if (all.documents.length === 0) {
    throw new InvalidInputError(
      'ManifestNotFound',
      `--bundle ${paths.join(', ')}: no ${KIND} found` +
        (all.otherKinds.length > 0 ? ` (only ${all.otherKinds.join(', ')})` : '') +
        '; give files or folders of SecureConnectionBundle manifests',
      '--bundle',
    );
  }
  return all;
}

/** The files a path names: itself, or the manifest files directly in it (`listed`). */
function manifestFiles(path: string): { file: string; listed: boolean }[] {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    // readInputText names the file and why it cannot be read.
    return [{ file: path, listed: false }];
  }
  if (!folder) return [{ file: path, listed: false }];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => MANIFEST_FILE.test(entry.name) && !entry.isDirectory())
    .map((entry) => ({ file: join(path, entry.name), listed: true }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
