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
  return {
    ...chartCrdFiles(),
    ...(await generatedDeployFiles(helmBinDir)),
    ...(await generatedArgoCdConfig()),
    ...(await generatedInstallDoc()),
  };
}

function repositoryCrds(): Record<string, string> {
  const crdsDir = path.join(repositoryRoot, 'crds');
  return Object.fromEntries(
    readdirSync(crdsDir)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => [file, readFileSync(path.join(crdsDir, file), 'utf8')]),
  );
}

/** The chart's CRDs: byte-identical copies of crds/, no formatting. */
export function chartCrdFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(repositoryCrds()).map(([file, content]) => [`charts/scb-operator/crds/${file}`, content]),
  );
}

export async function generatedDeployFiles(helmBinDir: string): Promise<Record<string, string>> {
  const crds = repositoryCrds();
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
  const files: Record<string, string> = {};
  for (const [file, content] of Object.entries(layout)) {
    files[`deploy/${file}`] = file.startsWith('base/crds/')
      ? content
      : await format(`deploy/${file}`, content);
  }
  return files;
}

export async function generatedArgoCdConfig(): Promise<Record<string, string>> {
  const file = 'charts/scb-operator/argocd/argocd-cm-health.yaml';
  const lua = readFileSync(path.join(chartDir, 'argocd/health.lua'), 'utf8');
  return { [file]: await format(file, argoCdHealthConfig(lua)) };
}

/** docs/install.md with its configuration table regenerated. */
export async function generatedInstallDoc(): Promise<Record<string, string>> {
  const file = 'docs/install.md';
  const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
  const defaults = yaml.load(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const current = readFileSync(path.join(repositoryRoot, file), 'utf8');
  return {
    [file]: await format(file, withConfigurationTable(current, configurationTable(schema, defaults))),
  };
}

async function format(file: string, content: string): Promise<string> {
  const filepath = path.join(repositoryRoot, file);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(content, { ...options, filepath });
}
