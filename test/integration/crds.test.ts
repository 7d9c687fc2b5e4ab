/**
 * The CRDs as the real kube-apiserver and kubectl see them: the examples apply, printer columns and
 * categories work, `kubectl explain` documents the fields, every listed mistake is refused at
 * admission with a message naming the field, and spec and status move independently.
 */
import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { KubectlError, createTestNamespace, kubeConfig, kubectl } from '../support/kube.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; a real apiserver on a busy
// machine needs more than the 5 s default.
jest.setTimeout(120_000);

const group = 'scb-operator.io';
const version = 'v1alpha1';
const apiVersion = `${group}/${version}`;

type Kind = 'SecureConnectionBundle' | 'CassandraClusterRef';
type Spec = Record<string, unknown>;
const plural: Record<Kind, string> = {
  SecureConnectionBundle: 'secureconnectionbundles',
  CassandraClusterRef: 'cassandraclusterrefs',
};

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  spec?: Spec;
  status?: Record<string, unknown>;
}

function manifest(kind: Kind, name: string, spec: Spec): string {
  return JSON.stringify({ apiVersion, kind, metadata: { name }, spec });
}

const validBundleSpec = (): Spec => ({ clusterRef: { name: 'orders-cluster' } });
const validClusterSpec = (): Spec => ({
  connection: { contactPoints: ['10.0.0.1'], localDatacenter: 'dc1' },
  serverCA: { configMapRef: { name: 'cassandra-server-ca' } },
  clientCA: { managed: {} },
});
const withConnection = (connection: Spec): Spec => {
  const spec = validClusterSpec();
  return { ...spec, connection: { ...(spec['connection'] as Spec), ...connection } };
};

interface InvalidCase {
  mistake: string;
  kind: Kind;
  spec: Spec;
  /** What the apiserver's refusal must say: the field path and the gist of the message. */
  expected: RegExp;
}

const invalidCases: InvalidCase[] = [
  {
    mistake: "a SPIFFE ID with a '..' segment",
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      identity: { spiffeID: 'spiffe://cassandra.example/ns/orders/../payments/scb/app' },
    },
    expected: /spec\.identity\.spiffeID: Invalid value.*are not '\.' or '\.\.'/,
  },
  {
    mistake: 'duration shorter than 1m',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), duration: '30s' },
    expected: /spec\.duration: Invalid value.*spec\.duration must be at least 1m/,
  },
  {
    mistake: 'duration that is not a Go duration',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), duration: '90 days' },
    expected: /spec\.duration: Invalid value.*Go duration/,
  },
  {
    mistake: 'renewBefore not shorter than duration',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), duration: '24h', renewBefore: '24h' },
    expected: /spec\.renewBefore: Invalid value.*shorter than spec\.duration/,
  },
  {
    mistake: 'both renewBefore and renewBeforePercentage',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), renewBefore: '240h', renewBeforePercentage: 25 },
    expected: /spec\.renewBeforePercentage: Forbidden/,
  },
  {
    mistake: 'renewBeforePercentage of 100',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), renewBeforePercentage: 100 },
    expected: /spec\.renewBeforePercentage: Invalid value: 100: .*less than or equal to 99/,
  },
  {
    mistake: 'ECDSA key of 2048 bits',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), privateKey: { algorithm: 'ECDSA', size: 2048 } },
    expected: /spec\.privateKey\.size: Invalid value.*not an ECDSA size; use 256 \(P-256\) or 384/,
  },
  {
    mistake: 'RSA key of 256 bits',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), privateKey: { algorithm: 'RSA', size: 256 } },
    expected: /spec\.privateKey\.size: Invalid value.*not an RSA size; use 2048, 3072 or 4096/,
  },
  {
    mistake: 'SPIFFE ID without spiffe://',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), identity: { spiffeID: 'cassandra.example/ns/a/scb/b' } },
    expected: /spec\.identity\.spiffeID: Invalid value.*spiffe:\/\//,
  },
  {
    mistake: 'common name longer than 64 characters',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), identity: { commonName: 'x'.repeat(65) } },
    expected: /spec\.identity\.commonName: Too long: may not be (longer than|more than) 64/,
  },
  {
    mistake: "a published Secret name shaped like another bundle's version Secret",
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), target: { secret: { name: 'good-scb-v2' } } },
    expected: /spec\.target\.secret\.name: Invalid value.*must not end in -v<number>/,
  },
  {
    mistake: 'an identity grant that selects no namespace',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), access: { identities: [{ commonNames: ['payments'] }] } },
    expected: /spec\.access\.identities\[0\]: Invalid value.*must select namespaces/,
  },
  {
    mistake: 'an identity grant that grants nothing',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), access: { identities: [{ namespaces: ['payments'] }] } },
    expected: /spec\.access\.identities\[0\]: Invalid value.*must grant something/,
  },
  {
    mistake: 'an identity grant with a SPIFFE pattern that is no SPIFFE ID',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      access: { identities: [{ namespaces: ['payments'], spiffeIDs: ['https://evil.example/*'] }] },
    },
    expected: /spec\.access\.identities\[0\]\.spiffeIDs: Invalid value.*must start with\s+spiffe:\/\//,
  },
  {
    mistake: 'a gateway SNI proxy address without a port',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      gateway: { metadataAddress: 'cql-gw.example.com:29080', sniProxyAddress: 'cql-gw.example.com' },
    },
    expected: /spec\.gateway\.sniProxyAddress: Invalid value.*should match/,
  },
  {
    mistake: 'a gateway address that is an IP address',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      gateway: { metadataAddress: '10.0.0.1:29080', sniProxyAddress: 'cql-gw.example.com:29042' },
    },
    expected: /spec\.gateway: Invalid value.*must be DNS names, not IP addresses/,
  },
  {
    mistake: 'a gateway serving CA and a managed serving certificate together',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      gateway: {
        metadataAddress: 'cql-gw.example.com:29080',
        sniProxyAddress: 'cql-gw.example.com:29042',
        servingCA: { configMapRef: { name: 'cql-gw-ca' } },
        servingCertificate: { managed: {} },
      },
    },
    expected:
      /spec\.gateway: Invalid value.*servingCA and spec\.gateway\.servingCertificate exclude each other/,
  },
  {
    mistake: 'a managed gateway serving certificate renewed no earlier than it expires',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      gateway: {
        metadataAddress: 'cql-gw.example.com:29080',
        sniProxyAddress: 'cql-gw.example.com:29042',
        servingCertificate: { managed: { duration: '24h', renewBefore: '24h' } },
      },
    },
    expected:
      /spec\.gateway\.servingCertificate\.managed\.renewBefore: Invalid value.*must be shorter\s+than duration/,
  },
  {
    mistake: 'unknown platform',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), platforms: ['python', 'cobol'] },
    expected: /spec\.platforms\[1\]: Unsupported value: "cobol"/,
  },
  {
    mistake: 'duplicate platforms',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), platforms: ['python', 'python'] },
    expected: /spec\.platforms: .*each platform at most once/,
  },
  {
    mistake: 'revisionHistoryLimit of -1',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), revisionHistoryLimit: -1 },
    expected: /spec\.revisionHistoryLimit: Invalid value: -1: .*greater than or equal to 0/,
  },
  {
    mistake: 'kmsKeyId without aws:kms encryption',
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      target: {
        objectStore: {
          bucket: 'scb-bundles',
          credentialsSecretRef: { name: 's3' },
          serverSideEncryption: { type: 'AES256', kmsKeyId: 'alias/scb' },
        },
      },
    },
    expected: /spec\.target\.objectStore\.serverSideEncryption\.kmsKeyId: Forbidden/,
  },
  {
    mistake: 'retain policy that is neither Delete nor Retain',
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      target: {
        objectStore: { bucket: 'scb-bundles', credentialsSecretRef: { name: 's3' }, retainPolicy: 'Keep' },
      },
    },
    expected: /spec\.target\.objectStore\.retainPolicy: Unsupported value: "Keep"/,
  },
  ...[
    ['a .. segment', 'prod/../team-b'],
    ['a leading .. segment', '../other-bucket'],
    ['a . segment', 'prod/./team-b'],
    ['a trailing .. segment', 'prod/..'],
  ].map(([what, prefix]) => ({
    mistake: `object-store prefix with ${what}`,
    kind: 'SecureConnectionBundle' as const,
    spec: {
      ...validBundleSpec(),
      target: { objectStore: { bucket: 'scb-bundles', credentialsSecretRef: { name: 's3' }, prefix } },
    },
    expected: /spec\.target\.objectStore\.prefix: Invalid value: .*must not have a '\.' or '\.\.' segment/,
  })),
  ...[
    ['a backslash', 'prod\\..\\team-b'],
    ['a space', 'prod /orders'],
    ['a percent-encoded dot segment', 'prod/%2e%2e/team-b'],
    ['a newline', 'prod\norders'],
  ].map(([what, prefix]) => ({
    mistake: `object-store prefix with ${what}`,
    kind: 'SecureConnectionBundle' as const,
    spec: {
      ...validBundleSpec(),
      target: { objectStore: { bucket: 'scb-bundles', credentialsSecretRef: { name: 's3' }, prefix } },
    },
    expected: /spec\.target\.objectStore\.prefix: Invalid value: .*may hold only letters, digits/,
  })),
  ...[
    ['a scheme', 'https://registry.example.com/team/orders-scb'],
    ['a tag', 'registry.example.com/team/orders-scb:v1'],
    ['upper-case letters in its path', 'registry.example.com/Team/Orders'],
    ['no registry host', 'orders-scb'],
  ].map(([what, repository]) => ({
    mistake: `OCI repository with ${what}`,
    kind: 'SecureConnectionBundle' as const,
    spec: {
      ...validBundleSpec(),
      target: {
        ociRepository: {
          repository,
          credentialsSecretRef: { name: 'registry' },
          encryptionKeySecretRef: { name: 'kek', key: 'kek' },
        },
      },
    },
    expected:
      /spec\.target\.ociRepository\.repository: Invalid value: .*must be a registry host and a\s+repository path/,
  })),
  {
    mistake: 'OCI repository without an encryption key',
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      target: {
        ociRepository: {
          repository: 'registry.example.com/team/orders-scb',
          credentialsSecretRef: { name: 'registry' },
        },
      },
    },
    expected: /spec\.target\.ociRepository\.encryptionKeySecretRef: Required value/,
  },
  {
    mistake: 'OCI keepTags of 0',
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      target: {
        ociRepository: {
          repository: 'registry.example.com/team/orders-scb',
          credentialsSecretRef: { name: 'registry' },
          encryptionKeySecretRef: { name: 'kek', key: 'kek' },
          keepTags: 0,
        },
      },
    },
    expected: /spec\.target\.ociRepository\.keepTags: Invalid value: 0: .*greater than or equal to 1/,
  },
  {
    mistake: 'webhook URL that is not http(s)',
    kind: 'SecureConnectionBundle',
    spec: {
      ...validBundleSpec(),
      notifications: {
        webhooks: [{ url: 'ftp://hooks.example.com/scb', secretRef: { name: 'hmac', key: 'k' } }],
      },
    },
    expected: /spec\.notifications\.webhooks\[0\]\.url: Invalid value/,
  },
  {
    mistake: 'consumer kind that is not a workload',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), consumers: [{ kind: 'Pod', name: 'orders' }] },
    expected: /spec\.consumers\[0\]\.kind: Unsupported value: "Pod"/,
  },
  {
    mistake: 'misspelt field (duraton)',
    kind: 'SecureConnectionBundle',
    spec: { ...validBundleSpec(), duraton: '100h' },
    expected: /unknown field "spec\.duraton"/,
  },
  {
    mistake: 'client CA both bring-your-own and managed',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), clientCA: { secretRef: { name: 'ca' }, managed: {} } },
    expected: /spec\.clientCA: Invalid value.*exactly one of secretRef .* or managed/,
  },
  {
    mistake: 'client CA neither bring-your-own nor managed',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), clientCA: {} },
    expected: /spec\.clientCA: Invalid value.*exactly one of secretRef .* or managed/,
  },
  {
    mistake: 'server CA from both a Secret and a ConfigMap',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), serverCA: { secretRef: { name: 'a' }, configMapRef: { name: 'b' } } },
    expected: /spec\.serverCA: Invalid value.*exactly one of secretRef or configMapRef/,
  },
  {
    mistake: 'intermediate CA outliving the root',
    kind: 'CassandraClusterRef',
    spec: {
      ...validClusterSpec(),
      clientCA: { managed: { rootDuration: '8760h', intermediateDuration: '8760h' } },
    },
    expected: /spec\.clientCA\.managed\.intermediateDuration: Invalid value.*shorter than\s+rootDuration/,
  },
  {
    mistake: 'no contact points',
    kind: 'CassandraClusterRef',
    spec: withConnection({ contactPoints: [] }),
    expected: /spec\.connection\.contactPoints: Invalid value: 0: .*at least 1 items/,
  },
  {
    mistake: 'contact point with a port',
    kind: 'CassandraClusterRef',
    spec: withConnection({ contactPoints: ['10.0.0.1:9142'] }),
    expected: /spec\.connection\.contactPoints: Invalid value.*without a port/,
  },
  {
    mistake: 'port 70000',
    kind: 'CassandraClusterRef',
    spec: withConnection({ port: 70000 }),
    expected: /spec\.connection\.port: Invalid value: 70000: .*less than or equal to 65535/,
  },
  {
    mistake: 'missing local datacenter',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), connection: { contactPoints: ['10.0.0.1'] } },
    expected: /spec\.connection\.localDatacenter: Required value/,
  },
  {
    mistake: 'datacenter listed twice',
    kind: 'CassandraClusterRef',
    spec: withConnection({
      datacenters: [
        { name: 'dc2', contactPoints: ['10.0.1.1'] },
        { name: 'dc2', contactPoints: ['10.0.1.2'] },
      ],
    }),
    expected: /spec\.connection\.datacenters\[1\]: Duplicate value/,
  },
  {
    mistake: 'wildcard in access.namespaces',
    kind: 'CassandraClusterRef',
    spec: { ...validClusterSpec(), access: { namespaces: ['*'] } },
    expected: /spec\.access\.namespaces: Invalid value.*wildcards like '\*' are not allowed/,
  },
];

const customObjects = () => kubeConfig().makeApiClient(CustomObjectsApi);
const refusals: string[] = [];

const examplesDir = path.join(repositoryRoot, 'examples');
/** `kind.group/name` of every custom resource the examples declare, as `kubectl get -o name` prints. */
const exampleResources = readdirSync(examplesDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .flatMap((file) => yaml.loadAll(readFileSync(path.join(examplesDir, file), 'utf8')) as KubeObject[])
  .filter((object) => object.apiVersion === apiVersion)
  .map((object) => `${object.kind.toLowerCase()}.${group}/${object.metadata.name}`)
  .sort();

/** Rows of kubectl's table output, each split into its columns. */
function table(output: string): string[][] {
  return output
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

const readyCondition = (status: 'True' | 'False', reason: string) => ({
  type: 'Ready',
  status,
  reason,
  message: 'set by the CRD test',
  lastTransitionTime: '2026-01-02T03:04:05Z',
});

describe('CRDs on a real kube-apiserver', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createTestNamespace('crds');
  });

  afterAll(() => {
    const outputDir = path.join(repositoryRoot, 'test/integration/__output__');
    mkdirSync(outputDir, { recursive: true });
    writeFileSync(path.join(outputDir, 'invalid-resources.md'), `${refusals.join('\n')}\n`);
  });

  describe('kubectl with the examples', () => {
    let examplesNamespace: string;
    beforeAll(async () => {
      examplesNamespace = await createTestNamespace('crd-examples');
      await kubectl(['apply', '-f', examplesDir], { namespace: examplesNamespace });
    });

    it('creates every example resource of both kinds, and the scb-all category lists them', async () => {
      expect(exampleResources.some((r) => r.startsWith('secureconnectionbundle.'))).toBe(true);
      expect(exampleResources.some((r) => r.startsWith('cassandraclusterref.'))).toBe(true);
      const listed = await kubectl(['get', 'scb-all', '--output=name'], { namespace: examplesNamespace });
      expect(listed.trim().split('\n').sort()).toEqual(exampleResources);
    });

    it('shows Cluster, Version, Ready, Expires and Age for bundles, read from spec and status', async () => {
      await kubectl(
        [
          'patch',
          'scb',
          'orders-app',
          '--subresource=status',
          '--type=merge',
          '--patch',
          JSON.stringify({
            status: {
              currentVersion: 2,
              notAfter: '2027-03-04T05:06:07Z',
              conditions: [readyCondition('True', 'Published')],
            },
          }),
        ],
        { namespace: examplesNamespace },
      );
      const [header, ...rows] = table(await kubectl(['get', 'scb'], { namespace: examplesNamespace }));
      expect(header).toEqual(['NAME', 'CLUSTER', 'VERSION', 'READY', 'EXPIRES', 'AGE']);
      expect(rows.find((row) => row[0] === 'orders-app')?.slice(0, 5)).toEqual([
        'orders-app',
        'orders-cluster',
        '2',
        'True',
        '2027-03-04T05:06:07Z',
      ]);

      const [wideHeader, ...wideRows] = table(
        await kubectl(['get', 'scb', 'orders-app', '--output=wide'], { namespace: examplesNamespace }),
      );
      expect(wideHeader).toContain('REASON');
      expect(wideRows[0]?.[wideHeader?.indexOf('REASON') ?? -1]).toBe('Published');
    });

    it('shows Datacenter, CA Expires, Ready and Age for cluster references', async () => {
      await kubectl(
        [
          'patch',
          'ccr',
          'orders-cluster',
          '--subresource=status',
          '--type=merge',
          '--patch',
          JSON.stringify({
            status: {
              clientCA: { notAfter: '2027-12-31T00:00:00Z' },
              conditions: [readyCondition('False', 'ServerCAMissing')],
            },
          }),
        ],
        { namespace: examplesNamespace },
      );
      const [header, ...rows] = table(await kubectl(['get', 'ccr'], { namespace: examplesNamespace }));
      expect(header).toEqual(['NAME', 'DATACENTER', 'CA EXPIRES', 'READY', 'AGE']);
      expect(rows.find((row) => row[0] === 'orders-cluster')?.slice(0, 4)).toEqual([
        'orders-cluster',
        'dc1',
        '2027-12-31T00:00:00Z',
        'False',
      ]);
    });
  });

  it('documents the fields for kubectl explain', async () => {
    const crd = yaml.load(
      readFileSync(path.join(repositoryRoot, 'crds/scb-operator.io_secureconnectionbundles.yaml'), 'utf8'),
    ) as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
    const specSchema = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.['spec'];
    const fields = Object.entries(specSchema?.properties ?? {});
    expect(fields.length).toBeGreaterThan(10);

    const explained = normalise(await kubectl(['explain', 'secureconnectionbundle.spec']));
    expect(explained).toContain(normalise(specSchema?.description ?? 'no description in the CRD'));
    for (const [field, schema] of fields) {
      // kubectl explain lists each field with its description (re-wrapped, so compare words).
      expect(explained).toContain(`${field} <`);
      expect(explained).toContain(normalise(schema.description ?? `no description for spec.${field}`));
    }
  });

  it('keeps spec and status apart: the /status subresource never changes spec, a spec update never changes status', async () => {
    const name = 'spec-status';
    await kubectl(['apply', '-f', '-'], {
      namespace,
      input: manifest('SecureConnectionBundle', name, { ...validBundleSpec(), duration: '720h' }),
    });
    const read = async () =>
      (await customObjects().getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: plural.SecureConnectionBundle,
        name,
      })) as KubeObject;
    expect((await read()).metadata.generation).toBe(1);

    // A status write that also tries to change spec: the spec part is ignored.
    await kubectl(
      [
        'patch',
        'scb',
        name,
        '--subresource=status',
        '--type=merge',
        '--patch',
        JSON.stringify({ spec: { duration: '1h' }, status: { observedGeneration: 1, currentVersion: 3 } }),
      ],
      { namespace },
    );
    const afterStatus = await read();
    expect(afterStatus.spec?.['duration']).toBe('720h');
    expect(afterStatus.status).toMatchObject({ observedGeneration: 1, currentVersion: 3 });
    expect(afterStatus.metadata.generation).toBe(1);

    // A spec write that also tries to change status: the status part is ignored, generation moves.
    await kubectl(
      [
        'patch',
        'scb',
        name,
        '--type=merge',
        '--patch',
        JSON.stringify({ spec: { duration: '1440h' }, status: { currentVersion: 99 } }),
      ],
      { namespace },
    );
    const afterSpec = await read();
    expect(afterSpec.spec?.['duration']).toBe('1440h');
    expect(afterSpec.status).toMatchObject({ observedGeneration: 1, currentVersion: 3 });
    expect(afterSpec.metadata.generation).toBe(2);

    // Metadata is not spec: a label leaves generation alone.
    await kubectl(['label', 'scb', name, 'team=orders'], { namespace });
    const afterLabel = await read();
    expect(afterLabel.metadata.labels).toMatchObject({ team: 'orders' });
    expect(afterLabel.metadata.generation).toBe(2);
  });

  describe.each(invalidCases.map((c, index) => ({ ...c, name: `invalid-${index + 1}` })))(
    'refuses $kind with $mistake',
    ({ mistake, kind, spec, expected, name }) => {
      it('at admission, naming the field, and stores nothing', async () => {
        const refusal = await kubectl(['apply', '-f', '-'], {
          namespace,
          input: manifest(kind, name, spec),
        }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refusal).toBeInstanceOf(KubectlError);
        const stderr = (refusal as KubectlError).stderr.trim();
        refusals.push(`- ${kind}: ${mistake}\n  ${stderr.replace(/\s*\n\s*/g, ' ')}`);
        expect(stderr).toMatch(expected);

        const get = customObjects().getNamespacedCustomObject({
          group,
          version,
          namespace,
          plural: plural[kind],
          name,
        });
        await expect(get).rejects.toMatchObject({ code: 404 });
      });
    },
  );
});

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
