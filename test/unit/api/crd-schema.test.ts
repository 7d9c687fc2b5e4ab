// What users and the apiserver rely on in the CRD files themselves: `kubectl explain` text on every
// field, CEL rules the apiserver can cost-estimate, messages that name the field, and the names,
// columns and list semantics other code addresses.
import path from 'node:path';
import {
  CRD_FILES,
  loadCrd,
  storageSchema,
  walkSchema,
  type ApiKind,
  type CrdSchema,
  type CustomResourceDefinition,
} from '../../../tools/codegen/api-types.js';
import {
  API_GROUP,
  API_VERSION_NAME,
  CASSANDRA_CLUSTER_REF,
  SECURE_CONNECTION_BUNDLE,
} from '../../../src/api/v1alpha1/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const kinds = Object.keys(CRD_FILES) as ApiKind[];

interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
}

async function schemaOf(kind: ApiKind): Promise<CrdSchema> {
  return storageSchema(await loadCrd(repoRoot, kind));
}

/** Every schema node under the root's properties, except metadata (the apiserver owns its schema). */
function fieldsOf(root: CrdSchema): { at: string; schema: CrdSchema }[] {
  const fields: { at: string; schema: CrdSchema }[] = [];
  for (const [name, child] of Object.entries(root.properties ?? {})) {
    if (name === 'metadata') continue;
    walkSchema(child, (schema, at) => fields.push({ at: at ? `${name}.${at}` : name, schema }));
  }
  return fields;
}

function rulesOf(schema: CrdSchema): CelRule[] {
  return (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? [];
}

describe.each(kinds)('%s CRD schema', (kind) => {
  it('describes every field, list item and map value (kubectl explain)', async () => {
    const undocumented = fieldsOf(await schemaOf(kind))
      .filter(({ schema }) => !schema.description?.trim())
      .map(({ at }) => at);
    expect(undocumented).toEqual([]);
  });

  it('bounds every string, list and map in spec, so CEL rules stay within the cost budget', async () => {
    const root = await schemaOf(kind);
    const unbounded = fieldsOf(root)
      .filter(({ at }) => at === 'spec' || at.startsWith('spec.') || at.startsWith('spec['))
      .filter(({ schema }) => {
        if (schema.type === 'string') return schema.maxLength === undefined && schema.enum === undefined;
        if (schema.type === 'array') return schema.maxItems === undefined;
        if (schema.type === 'object' && schema.additionalProperties)
          return schema.maxProperties === undefined;
        return false;
      })
      .map(({ at }) => at);
    expect(unbounded).toEqual([]);
  });

  it('puts CEL rules only on the root and in spec, each with a message that names the field', async () => {
    const root = await schemaOf(kind);
    const misplaced = fieldsOf(root)
      .filter(({ schema }) => rulesOf(schema).length > 0)
      .filter(({ at }) => !(at === 'spec' || at.startsWith('spec.') || at.startsWith('spec[')))
      .map(({ at }) => at);
    expect(misplaced).toEqual([]);

    const all = [...rulesOf(root), ...fieldsOf(root).flatMap(({ schema }) => rulesOf(schema))];
    expect(all.length).toBeGreaterThan(0);
    const unnamed = all.filter((r) => !/^(spec\.|metadata\.name )/.test(r.message ?? '')).map((r) => r.rule);
    expect(unnamed).toEqual([]);
  });

  it('keys status.conditions by type, so server-side apply merges them', async () => {
    const conditions = (await schemaOf(kind)).properties?.status?.properties?.conditions;
    expect(conditions?.['x-kubernetes-list-type']).toBe('map');
    expect(conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
  });
});

describe('CRD names and columns', () => {
  const crds = {} as Record<ApiKind, CustomResourceDefinition & { spec: Record<string, unknown> }>;
  beforeAll(async () => {
    for (const kind of kinds) crds[kind] = (await loadCrd(repoRoot, kind)) as (typeof crds)[ApiKind];
  });

  it.each([
    ['SecureConnectionBundle', SECURE_CONNECTION_BUNDLE],
    ['CassandraClusterRef', CASSANDRA_CLUSTER_REF],
  ] as const)('%s matches the API constants, with its short name and the scb-all category', (kind, api) => {
    const crd = crds[kind];
    expect(crd.spec.group).toBe(API_GROUP);
    expect(crd.spec.versions.map((v) => v.name)).toEqual([API_VERSION_NAME]);
    expect(crd.spec.names).toMatchObject({
      kind: api.kind,
      plural: api.plural,
      shortNames: [api.shortName],
      categories: ['scb-all'],
    });
    expect(crd.spec.scope).toBe('Namespaced');
  });

  it.each([
    ['SecureConnectionBundle', ['Cluster', 'Version', 'Ready', 'Expires', 'Reason', 'Age']],
    ['CassandraClusterRef', ['Datacenter', 'CA Expires', 'Ready', 'Reason', 'Age']],
  ] as const)('%s has a status subresource and the agreed printer columns', (kind, columns) => {
    const version = crds[kind].spec.versions[0] as unknown as {
      subresources?: { status?: object };
      additionalPrinterColumns: { name: string }[];
    };
    expect(version.subresources?.status).toEqual({});
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual(columns);
  });

  it('keys SecureConnectionBundle status.versions by version number', async () => {
    const versions = (await schemaOf('SecureConnectionBundle')).properties?.status?.properties?.versions;
    expect(versions?.['x-kubernetes-list-type']).toBe('map');
    expect(versions?.['x-kubernetes-list-map-keys']).toEqual(['version']);
  });
});
