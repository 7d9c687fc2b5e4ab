/**
 * Everything derived from the chart and the repository: the chart's crds/ (copies of crds/),
 * deploy/ (kustomize, from helm template), the argocd-cm health-check snippet (from health.lua) and
 * the configuration table in docs/install.md (from values.schema.json and values.yaml). Formatted
 * with the repository's Prettier settings, so `npm run lint` accepts them as written.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import prettier from 'prettier';
import { argoCdHealthConfig } from './argocd-health-config.js';
import { chartDir, parseManifests, renderChartSync, repositoryRoot } from './chart-render.js';
import { configurationTable, withConfigurationTable, type SchemaNode } from './configuration-table.js';
import { baseNamespace, deployLayout, overlayNamespace, releaseName } from './kustomize-layout.js';

/** Folders whose every file is generated: a file there that is not in the output is stale. */
export const generatedFolders = ['deploy', 'charts/scb-operator/crds'];

/** Path relative to the repository → content, as generate.sh writes them. */
export async function generatedFiles(helmBinDir: string): Promise<Record<string, string>> {
  const crdsDir = path.join(repositoryRoot, 'crds');
  const crds = Object.fromEntries(
    readdirSync(crdsDir)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => [file, readFileSync(path.join(crdsDir, file), 'utf8')]),
  );
  const files: Record<string, string> = {};
  // The chart's CRDs stay byte-identical to crds/: no formatting.
  for (const [file, content] of Object.entries(crds)) files[`charts/scb-operator/crds/${file}`] = content;

  const layout = deployLayout({
    base: parseManifests(renderChartSync(helmBinDir, { releaseName, namespace: baseNamespace })),
    namespaceScoped: parseManifests(
      renderChartSync(helmBinDir, {
        releaseName,
        namespace: overlayNamespace,
        values: { rbac: { scope: 'namespace' } },
      }),
    ),
    crds,
  });
  for (const [file, content] of Object.entries(layout)) {
    files[`deploy/${file}`] = file.startsWith('base/crds/')
      ? content
      : await format(`deploy/${file}`, content);
  }

  const argocdDir = path.join(chartDir, 'argocd');
  files['charts/scb-operator/argocd/argocd-cm-health.yaml'] = await format(
    'charts/scb-operator/argocd/argocd-cm-health.yaml',
    argoCdHealthConfig(readFileSync(path.join(argocdDir, 'health.lua'), 'utf8')),
  );

  const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
  const defaults = yaml.load(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const installDoc = readFileSync(path.join(repositoryRoot, 'docs/install.md'), 'utf8');
  files['docs/install.md'] = await format(
    'docs/install.md',
    withConfigurationTable(installDoc, configurationTable(schema, defaults)),
  );
  return files;
}

async function format(file: string, content: string): Promise<string> {
  const filepath = path.join(repositoryRoot, file);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(content, { ...options, filepath });
}
