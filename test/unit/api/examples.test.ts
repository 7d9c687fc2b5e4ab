// `kubectl apply -f examples/` must work in any namespace. The apiserver check (CEL included) was
// done against a real v1.34.4 apiserver; here every example is held to the CRD schema's structure
// (field names, types, enums, required fields, bounds), which is where hand edits go wrong.
import { readdir, readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import yaml from 'js-yaml';
import {
  CRD_FILES,
  loadCrd,
  storageSchema,
  type ApiKind,
  type CrdSchema,
} from '../../../tools/codegen/api-types.js';
import { API_VERSION } from '../../../src/api/v1alpha1/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const examplesDir = path.join(repoRoot, 'examples');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

async function loadExamples(): Promise<{ file: string; manifest: Manifest }[]> {
  const files = (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  const loaded: { file: string; manifest: Manifest }[] = [];
  for (const file of files.sort()) {
    const text = await readFile(path.join(examplesDir, file), 'utf8');
    for (const doc of yaml.loadAll(text)) {
      if (doc !== null && doc !== undefined) loaded.push({ file, manifest: doc as Manifest });
    }
  }
  return loaded;
}

/** Structural check of a value against an OpenAPI schema; returns one line per problem. */
function structuralProblems(value: unknown, schema: CrdSchema, at: string): string[] {
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${at}: not an object`];
      const record = value as Record<string, unknown>;
      const problems = (schema.required ?? [])
        .filter((r) => !(r in record))
        .map((r) => `${at}.${r}: required`);
      for (const [key, child] of Object.entries(record)) {
        const sub =
          schema.properties?.[key] ??
          (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (!sub) problems.push(`${at}.${key}: unknown field`);
        else problems.push(...structuralProblems(child, sub, `${at}.${key}`));
      }
      return problems;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: not a list`];
      const problems =
        typeof schema.maxItems === 'number' && value.length > schema.maxItems
          ? [`${at}: too many items`]
          : [];
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        problems.push(`${at}: too few items`);
      return problems.concat(
        value.flatMap((item, i) =>
          schema.items ? structuralProblems(item, schema.items, `${at}[${i}]`) : [],
        ),
      );
    }
    case 'string': {
      if (typeof value !== 'string') return [`${at}: not a string`];
      const problems: string[] = [];
      if (schema.enum && !schema.enum.includes(value))
        problems.push(`${at}: ${value} is not one of ${schema.enum.join(', ')}`);
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
        problems.push(`${at}: too long`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
        problems.push(`${at}: does not match ${schema.pattern}`);
      return problems;
    }
    case 'integer': {
      if (!Number.isInteger(value)) return [`${at}: not an integer`];
      const n = value as number;
      const problems: string[] = [];
      if (schema.enum && !schema.enum.includes(n))
        problems.push(`${at}: ${n} is not one of ${schema.enum.join(', ')}`);
      if (typeof schema.minimum === 'number' && n < schema.minimum)
        problems.push(`${at}: below ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && n > schema.maximum)
        problems.push(`${at}: above ${schema.maximum}`);
      return problems;
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    default:
      return [`${at}: schema type ${String(schema.type)} is not handled by this check`];
  }
}

describe('examples/', () => {
  let examples: { file: string; manifest: Manifest }[];
  const specSchemas = {} as Record<ApiKind, CrdSchema>;

  beforeAll(async () => {
    examples = await loadExamples();
    for (const kind of Object.keys(CRD_FILES) as ApiKind[]) {
      const spec = storageSchema(await loadCrd(repoRoot, kind)).properties?.spec;
      if (!spec) throw new Error(`${kind} CRD has no spec schema`);
      specSchemas[kind] = spec;
    }
  });

  it('holds both kinds and only kinds the set can create itself', () => {
    const kinds = new Set(examples.map((e) => e.manifest.kind));
    expect([...kinds].sort()).toEqual(['CassandraClusterRef', 'ConfigMap', 'SecureConnectionBundle']);
  });

  it('applies in any namespace: no example sets metadata.namespace', () => {
    expect(examples.filter((e) => e.manifest.metadata.namespace !== undefined).map((e) => e.file)).toEqual(
      [],
    );
  });

  it('gives every CassandraClusterRef and SecureConnectionBundle a spec that fits the CRD schema', () => {
    const ours = examples.filter((e) => e.manifest.kind in CRD_FILES);
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const { file, manifest } of ours) {
      expect({ file, apiVersion: manifest.apiVersion }).toEqual({ file, apiVersion: API_VERSION });
      const problems = structuralProblems(manifest.spec, specSchemas[manifest.kind as ApiKind], 'spec');
      expect({ file, problems }).toEqual({ file, problems: [] });
    }
  });

  it('points every bundle at a cluster reference defined in the examples', () => {
    const clusters = new Set(
      examples.filter((e) => e.manifest.kind === 'CassandraClusterRef').map((e) => e.manifest.metadata.name),
    );
    const dangling = examples
      .filter((e) => e.manifest.kind === 'SecureConnectionBundle')
      .filter((e) => !clusters.has((e.manifest.spec?.clusterRef as { name: string }).name))
      .map((e) => e.file);
    expect(dangling).toEqual([]);
  });

  it('holds no PEM private key, and the server CA ConfigMap holds a CA certificate', async () => {
    for (const file of (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml'))) {
      expect({
        file,
        hasKey:
          (await readFile(path.join(examplesDir, file), 'utf8')).match(
            /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
          ) !== null,
      }).toEqual({ file, hasKey: false });
    }
    const configMaps = examples.filter((e) => e.manifest.kind === 'ConfigMap');
    expect(configMaps).toHaveLength(1);
    const certificate = new X509Certificate(configMaps[0]?.manifest.data?.['ca.crt'] ?? '');
    expect(certificate.ca).toBe(true);
  });
});
