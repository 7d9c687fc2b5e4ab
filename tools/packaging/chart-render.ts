/**
 * Runs the pinned helm on charts/scb-operator, for the generator and the tests alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = path.join(repositoryRoot, 'charts/scb-operator');

/** A Kubernetes object as helm renders it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Folder with helm and promtool; `SCB_PACKAGING_BIN` skips asking build.sh (CI, the Jest workers). */
export function packagingBinDir(): string {
  const fromEnv = process.env['SCB_PACKAGING_BIN'];
  if (fromEnv) return fromEnv;
  // build.sh prints the bin folder on stdout, building first when the pinned versions are missing.
  const stdout = execFileSync('bash', [path.join(repositoryRoot, 'tools/packaging/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const binDir = stdout.trim().split('\n').at(-1);
  if (!binDir) throw new Error('tools/packaging/build.sh printed no bin folder; run it by hand to see why');
  return binDir;
}

export interface RenderOptions {
  releaseName?: string;
  namespace: string;
  /** Merged over values.yaml, as `helm template --values`. */
  values?: Record<string, unknown>;
  includeCrds?: boolean;
}

/** `helm template` arguments for `options`, with the values in `valuesFile`. */
export function helmTemplateArgs(options: RenderOptions, valuesFile: string): string[] {
  return [
    'template',
    options.releaseName ?? 'scb-operator',
    chartDir,
    `--namespace=${options.namespace}`,
    `--values=${valuesFile}`,
    ...(options.includeCrds ? ['--include-crds'] : []),
  ];
}

/** A temp folder holding values.json with `values`; the caller removes it. */
export function writeValuesFile(values: Record<string, unknown> | undefined): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-chart-values-'));
  const file = path.join(dir, 'values.json');
  writeFileSync(file, JSON.stringify(values ?? {}));
  return { dir, file };
}

/** `helm template` of the chart, synchronously (the generator). */
export function renderChartSync(binDir: string, options: RenderOptions): string {
  const { dir, file } = writeValuesFile(options.values);
  try {
    return execFileSync(path.join(binDir, 'helm'), helmTemplateArgs(options, file), { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The objects of a YAML stream, empty documents dropped. */
export function parseManifests(stream: string): Manifest[] {
  return yaml
    .loadAll(stream)
    .filter((document): document is Manifest => document !== null && document !== undefined);
}

export function toYamlStream(objects: readonly Manifest[]): string {
  return objects.map((object) => yaml.dump(object, { lineWidth: -1, noRefs: true })).join('---\n');
}
