import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleDocumentsInText, readBundleDocuments } from '../../../src/cli/bundle-documents.js';
import { InvalidInputError } from '../../../src/errors.js';

const bundle = (name: string): string =>
  `apiVersion: scb-operator.io/v1alpha1\nkind: SecureConnectionBundle\nmetadata:\n  name: ${name}\nspec:\n  clusterRef: {name: main}\n`;
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: server-ca\ndata: {}\n';

const sources = (text: string, file = 'bundles.yaml') =>
  bundleDocumentsInText(text, file).documents.map((document) => document.source);
const errors = (text: string, file = 'bundles.yaml') =>
  bundleDocumentsInText(text, file).documents.flatMap((document) =>
    'error' in document
      ? [{ source: document.source, reason: document.error.reason, message: document.error.message }]
      : [],
  );

describe('the SecureConnectionBundles of one YAML text', () => {
  it('names each document by file and 1-based position, skipping empty documents', () => {
    expect(sources(`${bundle('a')}---\n---\n${bundle('b')}---\n`)).toEqual([
      'bundles.yaml#1',
      'bundles.yaml#3',
    ]);
  });

  it('lists documents of other kinds instead of generating or dropping them silently', () => {
    const found = bundleDocumentsInText(`${configMap}---\n${bundle('a')}`, 'app.yaml');
    expect(found.documents.map((document) => document.source)).toEqual(['app.yaml#2']);
    expect(found.otherKinds).toEqual(['app.yaml#1 (ConfigMap)']);
  });

  it('unrolls the items of a List, as kubectl get -o yaml writes them', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'scb-operator.io/v1alpha1', kind: 'SecureConnectionBundle', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
        { apiVersion: 'scb-operator.io/v1alpha1', kind: 'SecureConnectionBundle', metadata: { name: 'b' } },
      ],
    });
    const found = bundleDocumentsInText(list, 'list.json');
    expect(found.documents).toEqual([
      { source: 'list.json#1.items[0]', manifest: expect.objectContaining({ metadata: { name: 'a' } }) },
      { source: 'list.json#1.items[2]', manifest: expect.objectContaining({ metadata: { name: 'b' } }) },
    ]);
    expect(found.otherKinds).toEqual(['list.json#1.items[1] (ConfigMap)']);
  });

  it.each([
    ['a scalar', 'just text'],
    ['a list', '- a\n- b'],
    ['an object without kind', 'metadata: {name: a}'],
    ['an empty kind', 'kind: ""'],
  ])('refuses %s as a document that is not a manifest, and keeps the others', (_what, text) => {
    const found = bundleDocumentsInText(`${bundle('a')}---\n${text}\n`, 'mixed.yaml');
    expect(found.documents.map((document) => document.source)).toEqual(['mixed.yaml#1', 'mixed.yaml#2']);
    expect(errors(`${bundle('a')}---\n${text}\n`, 'mixed.yaml')).toEqual([
      { source: 'mixed.yaml#2', reason: 'NotAManifest', message: expect.stringContaining('no "kind"') },
    ]);
  });

  it('turns malformed YAML into one failed entry for the file, naming the line', () => {
    expect(errors(`${bundle('a')}---\nspec: [unclosed\n`, 'broken.yaml')).toEqual([
      {
        source: 'broken.yaml',
        reason: 'MalformedYaml',
        message: expect.stringMatching(
          /^not valid YAML at line \d+, column \d+ .*; no document of this file was generated$/,
        ),
      },
    ]);
  });
});

describe('reading files and folders of manifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scb-documents-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the .yaml, .yml and .json files of a folder in name order, not its sub-folders or other files', () => {
    const folder = join(dir, 'bundles');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    writeFileSync(join(folder, 'b.yml'), bundle('b'));
    writeFileSync(join(folder, 'a.yaml'), `${bundle('a1')}---\n${bundle('a2')}`);
    writeFileSync(
      join(folder, 'c.json'),
      JSON.stringify({ kind: 'SecureConnectionBundle', metadata: { name: 'c' } }),
    );
    writeFileSync(join(folder, 'notes.txt'), bundle('ignored'));
    writeFileSync(join(folder, 'nested', 'd.yaml'), bundle('d'));
    const single = join(dir, 'extra.yaml');
    writeFileSync(single, bundle('e'));

    const found = readBundleDocuments([folder, single]);
    expect(found.documents.map((document) => document.source)).toEqual([
      join(folder, 'a.yaml#1'),
      join(folder, 'a.yaml#2'),
      join(folder, 'b.yml#1'),
      join(folder, 'c.json#1'),
      `${single}#1`,
    ]);
  });

  it('counts a file of a folder that cannot be read as one failed entry, and reads the others', () => {
    const folder = join(dir, 'bundles');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.yaml'), bundle('a'));
    symlinkSync(join(dir, 'gone.yaml'), join(folder, 'b.yaml'));
    const found = readBundleDocuments([folder]);
    expect(found.documents).toEqual([
      {
        source: join(folder, 'a.yaml#1'),
        manifest: expect.objectContaining({ kind: 'SecureConnectionBundle' }),
      },
      {
        source: join(folder, 'b.yaml'),
        error: new InvalidInputError(
          'FileNotReadable',
          'no such file; no document of this file was generated',
        ),
      },
    ]);
  });

  it('refuses a path that does not exist, naming it', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => readBundleDocuments([missing])).toThrow(
      new InvalidInputError('FileNotReadable', `--bundle ${missing}: no such file`),
    );
  });

  it('refuses input without any SecureConnectionBundle, naming what it found instead, each file once', () => {
    const only = join(dir, 'cluster.yaml');
    writeFileSync(only, configMap);
    const error = captured(() => readBundleDocuments([only, join(dir)]));
    expect(error.reason).toBe('ManifestNotFound');
    expect(error.message).toContain(`no SecureConnectionBundle found (only ${only}#1 (ConfigMap))`);
  });
});

function captured(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
