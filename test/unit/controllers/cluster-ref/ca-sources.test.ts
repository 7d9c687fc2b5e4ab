import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type {
  CassandraClusterRef,
  ClientCASource,
  ServerCASource,
} from '../../../../src/api/v1alpha1/index.js';
import {
  MANAGED_CA_ROTATE_TOKEN,
  MANAGED_ROOT_KEY,
  readClientCa,
  readGatewayCaPem,
  readServerCaPem,
} from '../../../../src/controllers/cluster-ref/ca-sources.js';
import { InvalidInputError, NameConflictError } from '../../../../src/errors.js';
import { SecretValue } from '../../../../src/observability/secret-value.js';
import type { KubeObjects } from '../../../../src/kube/kube-objects.js';
import { createCertificateAuthority } from '../../../support/control-plane-pki.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
// Stands in for key material: it must never appear in an error message.
const KEY = 'pretend-private-key-material-0123456789';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** An in-memory stand-in for the two reads of our KubeObjects these functions make. */
function objects(
  secrets: Record<string, V1Secret>,
  configMaps: Record<string, V1ConfigMap> = {},
): KubeObjects {
  return {
    getSecret: (namespace: string, name: string) => Promise.resolve(secrets[`${namespace}/${name}`]),
    getConfigMap: (namespace: string, name: string) => Promise.resolve(configMaps[`${namespace}/${name}`]),
  } as unknown as KubeObjects;
}

function cluster(clientCA: ClientCASource, serverCA: ServerCASource = {}): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name: 'orders-db', namespace: 'shop' },
    spec: { connection: { contactPoints: ['db'], localDatacenter: 'dc1' }, serverCA, clientCA },
  };
}
const byo = cluster({ secretRef: { name: 'orders-client-ca' } });
const managed = cluster({ managed: {} });

async function rejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

describe('readClientCa', () => {
  it.each<[string, CassandraClusterRef, string, string, string[]]>([
    [
      'a missing bring-your-own Secret: create it',
      byo,
      'ClientCANotFound',
      'spec.clientCA.secretRef.name',
      ['shop/orders-client-ca', 'spec.clientCA.secretRef.name', 'create it with tls.crt and tls.key'],
    ],
    [
      'a managed CA not created yet: the operator creates it',
      managed,
      'ClientCANotFound',
      'spec.clientCA.managed',
      ['shop/orders-db-managed-client-ca', 'the operator creates it'],
    ],
  ])('%s', async (_name, ref, reason, field, phrases) => {
    const error = await rejection(readClientCa(objects({}), ref));
    expect(error).toMatchObject({ reason, field });
    for (const phrase of phrases) expect(error.message).toContain(phrase);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no tls.crt', { 'tls.key': b64(KEY) }, 'tls.crt'],
    ['no tls.key', { 'tls.crt': b64(CERT) }, 'tls.key'],
    ['no data', {}, 'tls.crt'],
  ])('a Secret with %s names the missing key and what it must hold', async (_name, data, missing) => {
    const kube = objects({ 'shop/orders-client-ca': { metadata: { name: 'orders-client-ca' }, data } });
    const error = await rejection(readClientCa(kube, byo));
    expect(error).toMatchObject({ reason: 'ClientCAInvalid', field: 'spec.clientCA.secretRef.name' });
    expect(error.message).toContain(`has no key "${missing}"`);
    expect(error.message).toContain('shop/orders-client-ca (spec.clientCA.secretRef.name)');
    expect(error.message).toContain('tls.crt (the CA certificate) and tls.key (its private key)');
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(b64(KEY));
  });

  it('a bring-your-own CA never yields a root key or rotate token, even if the Secret has them', async () => {
    const kube = objects({
      'shop/orders-client-ca': {
        metadata: { resourceVersion: '41', annotations: { [MANAGED_CA_ROTATE_TOKEN]: 'abc' } },
        data: { 'tls.crt': b64(CERT), 'tls.key': b64(KEY), [MANAGED_ROOT_KEY]: b64('root') },
      },
    });
    const source = await readClientCa(kube, byo);
    expect(source).toEqual({
      pem: { certificatePem: CERT, privateKeyPem: expect.any(SecretValue) },
      secretName: 'orders-client-ca',
      resourceVersion: '41',
    });
    expect(source.pem.privateKeyPem.reveal()).toBe(KEY);
    expect(JSON.stringify(source)).not.toContain(KEY);
  });
});

describe('readClientCa: the managed CA Secret is used only when this cluster ref controls it', () => {
  const owned = { ...managed, metadata: { ...managed.metadata, uid: 'this-uid' } };
  const reference = (kind: string, name: string, uid: string, controller = true) => ({
    apiVersion: 'scb-operator.io/v1alpha1',
    kind,
    name,
    uid,
    controller,
  });
  const planted = (ownerReferences?: ReturnType<typeof reference>[]): Record<string, V1Secret> => ({
    'shop/orders-db-managed-client-ca': {
      metadata: {
        name: 'orders-db-managed-client-ca',
        namespace: 'shop',
        resourceVersion: '7',
        // Our labels prove nothing: anyone may set them.
        labels: {
          'app.kubernetes.io/managed-by': 'scb-operator',
          'scb-operator.io/role': 'managed-client-ca',
        },
        ...(ownerReferences ? { ownerReferences } : {}),
      },
      data: { 'tls.crt': b64(CERT), 'tls.key': b64(KEY), 'ca.crt': b64(CERT), [MANAGED_ROOT_KEY]: b64(KEY) },
    },
  });

  it('reads the one it controls, with the root key', async () => {
    const source = await readClientCa(
      objects(planted([reference('CassandraClusterRef', 'orders-db', 'this-uid')])),
      owned,
    );
    expect(source.secretName).toBe('orders-db-managed-client-ca');
    expect(source.rootKeyPem?.reveal()).toBe(KEY);
  });

  it.each<[string, ReturnType<typeof reference>[] | undefined, string]>([
    ['made by hand', undefined, 'an object not controlled by scb-operator'],
    [
      'owned, but not as controller',
      [reference('CassandraClusterRef', 'orders-db', 'this-uid', false)],
      'an object not controlled by scb-operator',
    ],
    [
      'controlled by another cluster ref',
      [reference('CassandraClusterRef', 'payments', 'other')],
      'CassandraClusterRef shop/payments',
    ],
    [
      'left by an earlier cluster ref of the same name',
      [reference('CassandraClusterRef', 'orders-db', 'earlier-uid')],
      'CassandraClusterRef shop/orders-db (an earlier CassandraClusterRef of this name',
    ],
    [
      'controlled by a bundle',
      [reference('SecureConnectionBundle', 'app', 'bundle-uid')],
      'SecureConnectionBundle shop/app',
    ],
  ])('refuses one %s: NameConflict naming the holder and the field', async (_name, owners, holder) => {
    const error = await rejection(readClientCa(objects(planted(owners)), owned));
    expect(error).toBeInstanceOf(NameConflictError);
    expect(error).toMatchObject({
      reason: 'NameConflict',
      field: 'metadata.name',
      objectName: 'orders-db-managed-client-ca',
    });
    expect(error.message).toContain(`Secret shop/orders-db-managed-client-ca is held by ${holder}`);
    expect(error.message).toContain('neither signs with it nor replaces it');
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(b64(KEY));
  });
});

describe("readClientCa: a bring-your-own Secret is never another resource's", () => {
  const owned = { ...byo, metadata: { ...byo.metadata, uid: 'this-uid' } };
  const secretControlledBy = (kind: string, name: string, uid: string): Record<string, V1Secret> => ({
    'shop/orders-client-ca': {
      metadata: {
        name: 'orders-client-ca',
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'scb-operator.io/v1alpha1', kind, name, uid, controller: true }],
      },
      data: { 'tls.crt': b64(CERT), 'tls.key': b64(KEY), [MANAGED_ROOT_KEY]: b64(KEY) },
    },
  });

  it("refuses another cluster ref's managed CA Secret: that cluster's nodes trust what it signs", async () => {
    const error = await rejection(
      readClientCa(objects(secretControlledBy('CassandraClusterRef', 'payments', 'other')), owned),
    );
    expect(error).toMatchObject({ reason: 'ClientCAInvalid', field: 'spec.clientCA.secretRef.name' });
    expect(error.message).toBe(
      'Secret shop/orders-client-ca (spec.clientCA.secretRef.name) is written by scb-operator for CassandraClusterRef shop/payments: name a CA Secret you made, or use spec.clientCA.managed',
    );
  });

  it('accepts its own former managed CA Secret (a switch from managed to bring-your-own keeps the CA)', async () => {
    const source = await readClientCa(
      objects(secretControlledBy('CassandraClusterRef', 'orders-db', 'this-uid')),
      owned,
    );
    expect(source).toMatchObject({ secretName: 'orders-client-ca', pem: { certificatePem: CERT } });
    expect(source.rootKeyPem).toBeUndefined();
  });
});

describe('readServerCaPem', () => {
  const secretRef = (key?: string): ServerCASource => ({
    secretRef: { name: 'orders-db-server-ca', ...(key ? { key } : {}) },
  });
  const configMapRef = (key?: string): ServerCASource => ({
    configMapRef: { name: 'orders-db-server-ca', ...(key ? { key } : {}) },
  });

  it.each<[string, ServerCASource, Record<string, V1Secret>, Record<string, V1ConfigMap>]>([
    [
      'a Secret under ca.crt',
      secretRef(),
      { 'shop/orders-db-server-ca': { data: { 'ca.crt': b64(CERT) } } },
      {},
    ],
    [
      'a Secret under a chosen key',
      secretRef('root.pem'),
      { 'shop/orders-db-server-ca': { data: { 'root.pem': b64(CERT) } } },
      {},
    ],
    [
      'a ConfigMap under ca.crt',
      configMapRef(),
      {},
      { 'shop/orders-db-server-ca': { data: { 'ca.crt': CERT } } },
    ],
  ])('reads the PEM from %s', async (_name, serverCA, secrets, configMaps) => {
    const ref = cluster({ managed: {} }, serverCA);
    expect(await readServerCaPem(objects(secrets, configMaps), ref)).toBe(CERT);
  });

  it.each<
    [string, ServerCASource, Record<string, V1Secret>, Record<string, V1ConfigMap>, string, string, string[]]
  >([
    [
      'neither reference',
      {},
      {},
      {},
      'ServerCAInvalid',
      'spec.serverCA',
      ['neither a secretRef nor a configMapRef', 'set one of them'],
    ],
    [
      'a missing Secret',
      secretRef(),
      {},
      {},
      'ServerCANotFound',
      'spec.serverCA.secretRef.name',
      ['Secret shop/orders-db-server-ca', 'spec.serverCA.secretRef.name', 'create it', 'key "ca.crt"'],
    ],
    [
      'a missing ConfigMap',
      configMapRef('bundle.pem'),
      {},
      {},
      'ServerCANotFound',
      'spec.serverCA.configMapRef.name',
      ['ConfigMap shop/orders-db-server-ca', 'spec.serverCA.configMapRef.name', 'key "bundle.pem"'],
    ],
    [
      'a Secret without the key',
      secretRef(),
      { 'shop/orders-db-server-ca': { data: { 'tls.crt': b64(CERT) } } },
      {},
      'ServerCAInvalid',
      'spec.serverCA.secretRef.key',
      ['no key "ca.crt"', 'spec.serverCA.secretRef.key', 'put the PEM CA certificate there'],
    ],
    [
      'a ConfigMap whose key is blank',
      configMapRef(),
      {},
      { 'shop/orders-db-server-ca': { data: { 'ca.crt': '  \n' } } },
      'ServerCAInvalid',
      'spec.serverCA.configMapRef.key',
      ['ConfigMap shop/orders-db-server-ca', 'no key "ca.crt"'],
    ],
  ])(
    'refuses %s, naming the field and the fix',
    async (_name, serverCA, secrets, configMaps, reason, field, phrases) => {
      const error = await rejection(
        readServerCaPem(objects(secrets, configMaps), cluster({ managed: {} }, serverCA)),
      );
      expect(error).toMatchObject({ reason, field });
      for (const phrase of phrases) expect(error.message).toContain(phrase);
    },
  );
});

describe('readGatewayCaPem', () => {
  const withGateway = (servingCA?: {
    configMapRef: { name: string; key?: string };
  }): CassandraClusterRef => ({
    ...managed,
    spec: {
      ...managed.spec,
      gateway: {
        metadataAddress: 'cql-gw.example.com:29080',
        sniProxyAddress: 'cql-gw.example.com:29042',
        ...(servingCA ? { servingCA } : {}),
      },
    },
  });

  it('reads nothing without spec.gateway.servingCA (the server CA signed the metadata service)', async () => {
    expect(await readGatewayCaPem(objects({}), managed)).toBeUndefined();
    expect(await readGatewayCaPem(objects({}), withGateway())).toBeUndefined();
  });

  it('reads the CA certificate from the ConfigMap key', async () => {
    const { certificatePem } = await createCertificateAuthority('gateway CA');
    const configMaps = { 'shop/cql-gw-ca': { data: { 'ca.crt': certificatePem } } };
    expect(
      await readGatewayCaPem(objects({}, configMaps), withGateway({ configMapRef: { name: 'cql-gw-ca' } })),
    ).toBe(certificatePem);
  });

  it('names the field when the ConfigMap or its key is missing', async () => {
    const error = await rejection(
      readGatewayCaPem(objects({}), withGateway({ configMapRef: { name: 'cql-gw-ca', key: 'gw.crt' } })),
    );
    expect(error.reason).toBe('GatewayCAInvalid');
    expect(error.message).toContain('shop/cql-gw-ca');
    expect(error.message).toContain('"gw.crt"');
  });
});
