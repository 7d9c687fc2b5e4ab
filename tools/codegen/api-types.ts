// Renders src/api/v1alpha1/generated.ts from the CRD YAML files, so the TypeScript types can never
// say something the apiserver does not enforce. Pure apart from reading the CRD files: the
// drift test calls renderApiTypes() and compares with the committed file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import prettier from 'prettier';

export const CRD_FILES = {
  SecureConnectionBundle: 'crds/scb-operator.io_secureconnectionbundles.yaml',
  CassandraClusterRef: 'crds/scb-operator.io_cassandraclusterrefs.yaml',
} as const;

export type ApiKind = keyof typeof CRD_FILES;

export const GENERATED_TYPES_FILE = 'src/api/v1alpha1/generated.ts';

/** The slice of an OpenAPI v3 schema (as a CRD holds it) that the generator walks. */
export interface CrdSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  additionalProperties?: CrdSchema | boolean;
  required?: string[];
  title?: string;
  tsType?: string;
  [extension: string]: unknown;
}

export interface CustomResourceDefinition {
  spec: {
    group: string;
    names: { kind: string; plural: string };
    versions: { name: string; storage?: boolean; schema: { openAPIV3Schema: CrdSchema } }[];
  };
}

/**
 * Names for nested schemas (path from the kind's root schema, '[]' = list items). Without a name,
 * json-schema-to-typescript inlines the type and other modules could not refer to it.
 */
const NAMED_SCHEMAS: Record<ApiKind, Record<string, string>> = {
  SecureConnectionBundle: {
    'spec.clusterRef': 'ClusterReference',
    'spec.identity': 'BundleIdentity',
    'spec.privateKey': 'BundlePrivateKey',
    'spec.keystores': 'KeystoreSettings',
    'spec.platforms[]': 'PlatformId',
    'spec.credentials': 'BundleCredentials',
    'spec.credentials.secretRef': 'CredentialsSecretReference',
    'spec.target': 'BundleTarget',
    'spec.target.secret': 'SecretTarget',
    'spec.target.objectStore': 'ObjectStoreTarget',
    'spec.target.objectStore.serverSideEncryption': 'ServerSideEncryption',
    'spec.target.ociRepository': 'OciRepositoryTarget',
    'spec.consumers[]': 'BundleConsumer',
    'spec.notifications': 'BundleNotifications',
    'spec.notifications.webhooks[]': 'WebhookTarget',
    'status.conditions[]': 'Condition',
    'status.versions[]': 'BundleVersion',
    'status.usage': 'BundleUsage',
    'status.usage.versions[]': 'VersionUsage',
    'status.usage.versions[].workloads[]': 'WorkloadUsage',
    'status.usage.consumers[]': 'ConsumerUsage',
    'status.usage.downloads[]': 'VersionDownloads',
    'status.usage.downloads[].recent[]': 'DownloadRecord',
  },
  CassandraClusterRef: {
    'spec.connection': 'ConnectionSettings',
    'spec.connection.datacenters[]': 'DatacenterContactPoints',
    'spec.serverCA': 'ServerCASource',
    'spec.serverCA.secretRef': 'KeySelector',
    'spec.serverCA.configMapRef': 'KeySelector',
    'spec.clientCA': 'ClientCASource',
    'spec.clientCA.managed': 'ManagedClientCA',
    'spec.clientCA.managed.privateKey': 'CAPrivateKey',
    'spec.trustBundle': 'TrustBundleSettings',
    'spec.access': 'AccessPolicy',
    'spec.access.namespaceSelector': 'LabelSelector',
    'spec.access.namespaceSelector.matchExpressions[]': 'LabelSelectorRequirement',
    'spec.identity': 'ClusterIdentity',
    'status.conditions[]': 'Condition',
    'status.clientCA': 'CertificateSummary',
    'status.previousClientCAs[]': 'CertificateSummary',
    'status.serverCA': 'ServerCASummary',
    'status.trustBundle': 'TrustBundleStatus',
  },
};

/** Secret/ConfigMap references that are a bare {name}: one shared type for all of them. */
const LOCAL_OBJECT_REFERENCE = 'LocalObjectReference';

/**
 * Types that several fields share. Each field keeps its own description; the shared declaration
 * gets these neutral ones, so it does not repeat what one particular field says.
 */
const SHARED_TYPE_DOCS: Record<string, { description: string; properties: Record<string, string> }> = {
  [LOCAL_OBJECT_REFERENCE]: {
    description: 'A Secret or ConfigMap in the namespace of the resource that refers to it, by name.',
    properties: { name: 'Name of the object (a DNS-1123 subdomain).' },
  },
  KeySelector: {
    description: 'One key of a Secret or ConfigMap in the namespace of the resource that refers to it.',
    properties: {
      name: 'Name of the Secret or ConfigMap (a DNS-1123 subdomain).',
      key: 'Key inside the object that holds the PEM certificate(s). Default ca.crt.',
    },
  },
  CertificateSummary: {
    description: 'Identifying facts about one CA certificate (never the certificate itself).',
    properties: { subject: 'Subject distinguished name, e.g. CN=orders client CA.' },
  },
  Condition: {
    description: 'One kstatus condition (the shape of metav1.Condition).',
    properties: { reason: 'Machine-readable CamelCase reason, e.g. Issued.' },
  },
};

const BANNER = `// GENERATED by tools/codegen/generate-api-types.ts from crds/*.yaml. Do not edit by hand:
// change the CRD, then run \`npm run generate:types\`.
`;

export async function loadCrd(repoRoot: string, kind: ApiKind): Promise<CustomResourceDefinition> {
  const text = await readFile(path.join(repoRoot, CRD_FILES[kind]), 'utf8');
  return yaml.load(text) as CustomResourceDefinition;
}

export function storageSchema(crd: CustomResourceDefinition): CrdSchema {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  if (!version) throw new Error(`CRD ${crd.spec.names.kind} has no versions`);
  return version.schema.openAPIV3Schema;
}

/** Calls visit(schema, path) for the schema and every nested property, list item and map value. */
export function walkSchema(
  schema: CrdSchema,
  visit: (schema: CrdSchema, path: string) => void,
  at = '',
): void {
  visit(schema, at);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    walkSchema(child, visit, at ? `${at}.${name}` : name);
  }
  if (schema.items) walkSchema(schema.items, visit, `${at}[]`);
  if (typeof schema.additionalProperties === 'object') {
    walkSchema(schema.additionalProperties, visit, `${at}{}`);
  }
}

/** Shape of a schema for "is this the same type?": descriptions and defaults do not change a type. */
function shapeOf(schema: CrdSchema): unknown {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === 'description' || key === 'default' || key === 'title' ? undefined : value,
    ),
  );
}

function isLocalObjectReference(schema: CrdSchema): boolean {
  const names = Object.keys(schema.properties ?? {});
  return schema.type === 'object' && names.length === 1 && names[0] === 'name';
}

/**
 * Gives the configured nested schemas a title (json-schema-to-typescript turns it into a named
 * export). Shared types are declared once, separately, and every use becomes a reference. Throws
 * when one name covers two shapes, because one TypeScript type would then lie about one of them.
 */
class SchemaNamer {
  private readonly shapes = new Map<string, unknown>();
  readonly shared = new Map<string, CrdSchema>();

  name(root: CrdSchema, kind: ApiKind, part: 'spec' | 'status'): CrdSchema {
    const copy = structuredClone(root);
    const names = NAMED_SCHEMAS[kind];
    const named: { schema: CrdSchema; name: string }[] = [];
    walkSchema(copy, (schema, at) => {
      const fullPath = at ? `${part}.${at}` : part;
      const name =
        names[fullPath] ?? (isLocalObjectReference(schema) && at !== '' ? LOCAL_OBJECT_REFERENCE : undefined);
      if (name) named.push({ schema, name });
    });
    // Innermost first, so an outer shape is compared after its children became references.
    for (const { schema, name } of named.reverse()) this.assign(schema, name, kind);
    return copy;
  }

  private assign(schema: CrdSchema, name: string, kind: ApiKind): void {
    const shape = shapeOf(schema);
    const known = this.shapes.get(name);
    if (known !== undefined && !isDeepStrictEqual(known, shape)) {
      throw new Error(`${kind}: two different schemas are both named ${name}; give one another name`);
    }
    this.shapes.set(name, shape);
    const docs = SHARED_TYPE_DOCS[name];
    if (!docs) {
      if (known !== undefined) throw new Error(`${kind}: ${name} is used twice; add it to SHARED_TYPE_DOCS`);
      schema.title = name;
      return;
    }
    if (known === undefined) this.shared.set(name, withDocs(schema, docs));
    for (const key of Object.keys(schema)) {
      if (key !== 'description') delete schema[key];
    }
    schema.tsType = name;
  }
}

function withDocs(
  schema: CrdSchema,
  docs: { description: string; properties: Record<string, string> },
): CrdSchema {
  const copy = structuredClone(schema);
  copy.description = docs.description;
  for (const [property, description] of Object.entries(docs.properties)) {
    const target = copy.properties?.[property];
    if (!target) throw new Error(`shared type docs name a missing property ${property}`);
    target.description = description;
  }
  return copy;
}

function enumValues(schema: CrdSchema, where: string): string[] {
  const values = schema.enum;
  if (!values?.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${where} is not a string enum`);
  }
  return values;
}

/** The subset of a schema that holds `default:` values, for applying defaults where no apiserver runs. */
interface DefaultsTree {
  default?: unknown;
  properties?: Record<string, DefaultsTree>;
  items?: DefaultsTree;
}

function defaultsTree(schema: CrdSchema): DefaultsTree | undefined {
  const tree: DefaultsTree = {};
  if (schema.default !== undefined) tree.default = schema.default;
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const sub = defaultsTree(child);
    if (sub) (tree.properties ??= {})[name] = sub;
  }
  const items = schema.items && defaultsTree(schema.items);
  if (items) tree.items = items;
  return Object.keys(tree).length > 0 ? tree : undefined;
}

async function compilePart(schema: CrdSchema, name: string): Promise<string> {
  return compile(schema as JSONSchema, name, {
    bannerComment: '',
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    unknownAny: true,
    format: false,
  });
}

function resourceTypes(kind: ApiKind, apiVersion: string): string {
  return `
/** A ${kind} as stored by the apiserver. */
export interface ${kind} {
  apiVersion: '${apiVersion}';
  kind: '${kind}';
  metadata: V1ObjectMeta;
  spec: ${kind}Spec;
  status?: ${kind}Status;
}

export interface ${kind}List {
  apiVersion: '${apiVersion}';
  kind: '${kind}List';
  metadata: V1ListMeta;
  items: ${kind}[];
}
`;
}

/** Renders the whole generated module, formatted with the repository's prettier settings. */
export async function renderApiTypes(repoRoot: string): Promise<string> {
  const namer = new SchemaNamer();
  const parts: string[] = [
    BANNER,
    "import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';\n",
  ];
  const defaults: string[] = [];
  for (const kind of Object.keys(CRD_FILES) as ApiKind[]) {
    const crd = await loadCrd(repoRoot, kind);
    const root = storageSchema(crd);
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
    const apiVersion = `${crd.spec.group}/${version?.name ?? ''}`;
    const spec = root.properties?.spec;
    const status = root.properties?.status;
    if (!spec || !status) throw new Error(`${CRD_FILES[kind]}: the schema needs spec and status`);
    parts.push(resourceTypes(kind, apiVersion));
    parts.push(await compilePart(namer.name(spec, kind, 'spec'), `${kind}Spec`));
    parts.push(await compilePart(namer.name(status, kind, 'status'), `${kind}Status`));
    defaults.push(
      `/** The \`default:\` values of the ${kind} spec schema, in schema shape. */\n` +
        `export const ${lowerFirst(kind)}SpecDefaults: DefaultsTree = ${JSON.stringify(defaultsTree(spec) ?? {})};\n`,
    );
    if (kind === 'SecureConnectionBundle') {
      const platforms = spec.properties?.platforms?.items;
      if (!platforms) throw new Error(`${CRD_FILES[kind]}: spec.platforms.items is missing`);
      parts.push(
        `/** Every platform id, in CRD order. */\nexport const PLATFORM_IDS = ${JSON.stringify(
          enumValues(platforms, 'spec.platforms.items'),
        )} as const satisfies readonly PlatformId[];\n`,
      );
    }
  }
  for (const [name, schema] of namer.shared) parts.push(await compilePart(schema, name));
  parts.push(
    `/** Where a schema sets \`default:\` values: the default itself, or defaults further down. */
export interface DefaultsTree {
  default?: unknown;
  properties?: Record<string, DefaultsTree>;
  items?: DefaultsTree;
}
`,
    ...defaults,
  );
  const target = path.join(repoRoot, GENERATED_TYPES_FILE);
  const style = await prettier.resolveConfig(target);
  return prettier.format(parts.join('\n'), { ...style, filepath: target });
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
