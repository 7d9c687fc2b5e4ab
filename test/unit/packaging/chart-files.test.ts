/**
 * What holds the chart to the rest of the repository without running helm: its CRDs are
 * byte-identical to crds/, its versions follow package.json, every value is documented in
 * values.schema.json, and docs/install.md and the argocd-cm snippet are what the generator writes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import {
  chartCrdFiles,
  generatedArgoCdConfig,
  generatedInstallDoc,
} from '../../../tools/packaging/generated-files.js';
import { configurationTable, type SchemaNode } from '../../../tools/packaging/configuration-table.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';

const chartDir = path.join(repositoryRoot, 'charts/scb-operator');
const read = (file: string) => readFileSync(path.join(repositoryRoot, file), 'utf8');
const regenerate = 'run bash tools/packaging/generate.sh and commit the result';

interface Schema extends SchemaNode {
  additionalProperties?: unknown;
  properties?: Record<string, Schema>;
}

it("keeps the chart's crds/ byte-identical to the repository's crds/", () => {
  const expected = chartCrdFiles();
  expect(readdirSync(path.join(chartDir, 'crds')).sort()).toEqual(
    Object.keys(expected)
      .map((file) => path.basename(file))
      .sort(),
  );
  for (const [file, content] of Object.entries(expected)) {
    expect({ file, same: read(file) === content }).toEqual({ file, same: true });
  }
});

it("gives the chart package.json's version as its version and appVersion, and the image that tag", () => {
  const { version } = JSON.parse(read('package.json')) as { version: string };
  const chart = yaml.load(read('charts/scb-operator/Chart.yaml')) as { version: string; appVersion: string };
  expect(chart).toMatchObject({ version, appVersion: version });
  const values = yaml.load(read('charts/scb-operator/values.yaml')) as { image: Record<string, string> };
  expect(values.image).toMatchObject({ repository: 'ghcr.io/scb-operator/scb-operator', tag: '' });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(read('charts/scb-operator/values.schema.json')) as Schema;
  const values = yaml.load(read('charts/scb-operator/values.yaml')) as Record<string, unknown>;

  it('describes every key of values.yaml, refusing unknown ones at every level', () => {
    const walk = (node: Schema, value: unknown, key: string): void => {
      expect({ key, described: Boolean(node.description) || key === '' }).toEqual({ key, described: true });
      if (!node.properties) return;
      expect({ key, closed: node.additionalProperties }).toEqual({ key, closed: false });
      for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
        const childSchema = node.properties[name];
        expect({ key: `${key}${name}`, inSchema: childSchema !== undefined }).toEqual({
          key: `${key}${name}`,
          inSchema: true,
        });
        if (childSchema) walk(childSchema, child, `${key}${name}.`);
      }
    };
    walk(schema, values, '');
  });

  it('is documented row by row in docs/install.md, as the generator writes it', async () => {
    const table = configurationTable(schema, values);
    expect(table).toContain('| `rbac.scope` | `cluster`, `namespace` | `"cluster"` |');
    expect(table).toContain('| `replicaCount` | integer | `2` |');
    expect(table).toContain('| `download.tls.secretName` | string | `""` | kubernetes.io/tls Secret');
    expect(table).toContain('| `download.linkKeySecret` | string | `"scb-operator-download-link-key"` |');
    const [[file, content]] = Object.entries(await generatedInstallDoc()) as [[string, string]];
    expect({ file, inSync: read(file) === content, fix: regenerate }).toEqual({
      file,
      inSync: true,
      fix: regenerate,
    });
  });
});

it('ships the argocd-cm snippet the generator writes from health.lua', async () => {
  for (const [file, content] of Object.entries(await generatedArgoCdConfig())) {
    expect({ file, inSync: read(file) === content, fix: regenerate }).toEqual({
      file,
      inSync: true,
      fix: regenerate,
    });
  }
});
