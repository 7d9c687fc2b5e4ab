import { createHash } from 'node:crypto';
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import type { BundleFile } from '../../../../src/bundle/layout.js';
import {
  ANNOTATIONS,
  claimedVersion,
  observeSecret,
  publishedSecret,
  readVersionRecord,
  rotateTokenDigest,
  versionSecret,
  versionSecretName,
  type VersionRecord,
} from '../../../../src/controllers/bundle/bundle-secrets.js';
import { inputsHash, parseInputsHash } from '../../../../src/controllers/bundle/inputs-hash.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  ROLE_LABEL,
  VERSION_LABEL,
} from '../../../../src/controllers/ownership.js';
import { InvalidInputError } from '../../../../src/errors.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const base64 = (bytes: Buffer): string => bytes.toString('base64');

function bundle(target?: SecureConnectionBundle['spec']['target']): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders', namespace: 'shop', uid: 'bundle-uid-1', generation: 2 },
    spec: { clusterRef: { name: 'cassandra' }, ...(target ? { target } : {}) },
  };
}

const ZIP = { fileName: 'secure-connect-orders.zip', content: Buffer.from('PK\x03\x04 pretend zip bytes') };

const record: VersionRecord = {
  version: 3,
  bundleSHA256: sha256(ZIP.content),
  certificateSHA256: 'c'.repeat(64),
  serialNumber: '4f2a9c',
  notBefore: new Date('2025-03-01T10:00:00Z'),
  notAfter: new Date('2025-05-30T10:00:00Z'),
  createdAt: new Date('2025-03-01T10:00:05Z'),
  size: 18_432,
  inputsHash: inputsHash({ spec: { a: 1 }, connection: { b: 2 }, serverCA: ['s'], clientCA: 'c' }),
  issuerFingerprint: 'f'.repeat(64),
  rotateTokenDigest: rotateTokenDigest('2025-03-01'),
};

describe('observeSecret', () => {
  const zipBytes = Buffer.from('zip content that the informer must not keep');
  const secret: V1Secret = {
    metadata: {
      name: 'orders-scb-v3',
      namespace: 'shop',
      labels: { [VERSION_LABEL]: '3' },
      annotations: { [ANNOTATIONS.version]: '3' },
      managedFields: [{ manager: 'scb-operator', operation: 'Apply' }],
    },
    type: 'Opaque',
    data: { 'secure-connect-orders.zip': base64(zipBytes), 'ca.crt': base64(Buffer.from('pem')) },
  };

  it('is idempotent: an observed Secret keeps its digest (a list observes pages, the informer again)', () => {
    const once = observeSecret(secret);
    expect(observeSecret(once)).toEqual(once);
    expect(observeSecret({ ...secret, data: {} }).zipSHA256).toBeUndefined();
  });

  it('keeps metadata and type, drops the data and managedFields, and digests the zip', () => {
    const observed = observeSecret(secret);
    expect(observed).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'orders-scb-v3',
        namespace: 'shop',
        labels: { [VERSION_LABEL]: '3' },
        annotations: { [ANNOTATIONS.version]: '3' },
      },
      type: 'Opaque',
      zipSHA256: sha256(zipBytes),
    });
    expect(observed).not.toHaveProperty('data');
    // The informer's caller still holds the original object.
    expect(secret.metadata?.managedFields).toHaveLength(1);
    expect(secret.data).toBeDefined();
  });

  it.each<[string, Record<string, string> | undefined]>([
    ['no data at all', undefined],
    ['no .zip key', { 'ca.crt': base64(Buffer.from('pem')) }],
    [
      'two .zip keys (which one would be the bundle?)',
      { 'a.zip': base64(Buffer.from('a')), 'b.zip': base64(Buffer.from('b')) },
    ],
  ])('has no zip digest with %s', (_name, data) => {
    const observed = observeSecret({ ...secret, ...(data ? { data } : { data: undefined }) });
    expect(observed.zipSHA256).toBeUndefined();
    expect(observed).not.toHaveProperty('data');
  });

  it('the digest of a version Secret it observes equals the recorded bundleSHA256', () => {
    expect(observeSecret(versionSecret(bundle(), record, ZIP)).zipSHA256).toBe(record.bundleSHA256);
  });
});

describe('version Secret and its record', () => {
  it('round-trips every field of the record through the annotations', () => {
    const secret = versionSecret(bundle(), record, ZIP);
    expect(readVersionRecord(secret.metadata)).toEqual(record);
  });

  it('round-trips a record without inputs hash or rotate token as undefined', () => {
    const bare = { ...record, inputsHash: undefined, rotateTokenDigest: undefined };
    const secret = versionSecret(bundle(), bare, ZIP);
    expect(secret.metadata?.annotations).not.toHaveProperty([ANNOTATIONS.inputsHash]);
    expect(secret.metadata?.annotations).not.toHaveProperty([ANNOTATIONS.rotateToken]);
    expect(readVersionRecord(secret.metadata)).toEqual(bare);
  });

  it('records the inputs hash in the form parseInputsHash reads', () => {
    const annotations = versionSecret(bundle(), record, ZIP).metadata?.annotations ?? {};
    expect(parseInputsHash(annotations[ANNOTATIONS.inputsHash])).toEqual(record.inputsHash);
  });

  it('is an immutable Secret owned by the bundle, labelled with its version, holding only the zip', () => {
    const secret = versionSecret(bundle(), record, ZIP);
    expect(secret.metadata).toMatchObject({
      name: 'orders-scb-v3',
      namespace: 'shop',
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [ROLE_LABEL]: 'bundle-version',
        [VERSION_LABEL]: '3',
      },
      ownerReferences: [
        {
          apiVersion: 'scb-operator.io/v1alpha1',
          kind: 'SecureConnectionBundle',
          name: 'orders',
          uid: 'bundle-uid-1',
          controller: true,
        },
      ],
    });
    expect(secret.immutable).toBe(true);
    expect(secret.data).toEqual({ [ZIP.fileName]: base64(ZIP.content) });
    expect(claimedVersion(secret.metadata)).toBe(3);
  });

  const annotations = versionSecret(bundle(), record, ZIP).metadata?.annotations ?? {};
  const without = (key: string): V1ObjectMeta => {
    const copy = { ...annotations };
    delete copy[key];
    return { annotations: copy };
  };
  const withValue = (key: string, value: string): V1ObjectMeta => ({
    annotations: { ...annotations, [key]: value },
  });

  it.each<[string, V1ObjectMeta | undefined]>([
    ['no metadata', undefined],
    ['no annotations', { labels: { [VERSION_LABEL]: '3' } }],
    ...(
      [
        'version',
        'bundleSHA256',
        'certificateSHA256',
        'serialNumber',
        'notBefore',
        'notAfter',
        'createdAt',
        'size',
        'issuerFingerprint',
      ] as const
    ).map((field): [string, V1ObjectMeta] => [`missing ${field}`, without(ANNOTATIONS[field])]),
    ['version 0', withValue(ANNOTATIONS.version, '0')],
    ['version "three"', withValue(ANNOTATIONS.version, 'three')],
    ['version 1.5', withValue(ANNOTATIONS.version, '1.5')],
    ['size "big"', withValue(ANNOTATIONS.size, 'big')],
    ['notAfter "next year"', withValue(ANNOTATIONS.notAfter, 'next year')],
    ['empty serial number', withValue(ANNOTATIONS.serialNumber, '')],
  ])('reads no record from a Secret with %s', (_name, metadata) => {
    expect(readVersionRecord(metadata)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['not JSON', '{not json'],
    ['a group missing', JSON.stringify({ spec: 'a'.repeat(64) })],
    [
      'a group that is not a SHA-256',
      JSON.stringify({ spec: 'x', connection: 'x', serverCA: 'x', clientCA: 'x' }),
    ],
  ])('keeps the record but forgets an inputs hash that is %s (counts as changed)', (_name, text) => {
    const read = readVersionRecord(withValue(ANNOTATIONS.inputsHash, text));
    expect(read).toEqual({ ...record, inputsHash: undefined });
  });
});

describe('versionSecretName', () => {
  it.each<[string, SecureConnectionBundle, number, string]>([
    ['default published name', bundle(), 1, 'orders-scb-v1'],
    ['spec.target.secret.name', bundle({ secret: { name: 'orders-tls' } }), 12, 'orders-tls-v12'],
    ['exactly 253 characters', bundle({ secret: { name: 'a'.repeat(250) } }), 9, `${'a'.repeat(250)}-v9`],
  ])('%s', (_name, owner, version, expected) => {
    expect(versionSecretName(owner, version)).toBe(expected);
  });

  it('refuses a name over 253 characters, naming the field to shorten', () => {
    const long = bundle({ secret: { name: 'a'.repeat(250) } });
    expect(() => versionSecretName(long, 10)).toThrow(InvalidInputError);
    expect(() => versionSecretName(long, 10)).toThrow(
      expect.objectContaining({
        reason: 'SecretNameTooLong',
        field: 'spec.target.secret.name',
        message: expect.stringContaining('set a shorter spec.target.secret.name'),
      }),
    );
  });
});

describe('publishedSecret', () => {
  const files: BundleFile[] = [
    { path: 'ca.crt', content: Buffer.from('server CA') },
    { path: 'cert', content: Buffer.from('client certificate') },
    { path: 'config.json', content: Buffer.from('{"host":"db"}') },
    { path: 'platforms/java/application.conf', content: Buffer.from('datastax-java-driver {}') },
    { path: 'platforms/python/connect.py', content: Buffer.from('print()') },
  ];

  it('holds the zip and the top-level files only (a Secret key cannot hold a "/")', () => {
    const secret = publishedSecret(bundle(), record, ZIP, files);
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(
      ['ca.crt', 'cert', 'config.json', ZIP.fileName].sort(),
    );
    expect(Buffer.from(secret.data?.['cert'] ?? '', 'base64').toString()).toBe('client certificate');
    expect(secret.data?.[ZIP.fileName]).toBe(base64(ZIP.content));
    expect(secret.metadata?.name).toBe('orders-scb');
    expect(secret.immutable).toBeUndefined();
  });

  it('keeps the user labels and annotations, and ours win on a clash', () => {
    const target = {
      secret: {
        name: 'orders-tls',
        labels: { team: 'payments', [MANAGED_BY_LABEL]: 'helm', [ROLE_LABEL]: 'mine' },
        annotations: {
          'reloader.stakater.com/match': 'true',
          [ANNOTATIONS.version]: '99',
          [ANNOTATIONS.bundleSHA256]: 'forged',
        },
      },
    };
    const secret = publishedSecret(bundle(target), record, ZIP, files);
    expect(secret.metadata?.name).toBe('orders-tls');
    expect(secret.metadata?.labels).toEqual({
      team: 'payments',
      [MANAGED_BY_LABEL]: MANAGED_BY,
      [ROLE_LABEL]: 'published-bundle',
    });
    expect(secret.metadata?.annotations).toEqual({
      'reloader.stakater.com/match': 'true',
      [ANNOTATIONS.version]: '3',
      [ANNOTATIONS.bundleSHA256]: record.bundleSHA256,
      [ANNOTATIONS.notAfter]: '2025-05-30T10:00:00Z',
    });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'SecureConnectionBundle',
      uid: 'bundle-uid-1',
      controller: true,
    });
  });
});

describe('rotateTokenDigest', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['2025-03-01', sha256(Buffer.from('2025-03-01'))],
    ['', sha256(Buffer.from(''))],
  ])('%j -> %s', (token, digest) => {
    expect(rotateTokenDigest(token)).toBe(digest);
  });

  it('tells different tokens apart', () => {
    expect(rotateTokenDigest('a')).not.toBe(rotateTokenDigest('b'));
  });
});

describe('claimedVersion', () => {
  it.each<[string, V1ObjectMeta | undefined, number | undefined]>([
    ['version label 7', { labels: { [VERSION_LABEL]: '7' } }, 7],
    ['claimed even when the annotations are gone', { labels: { [VERSION_LABEL]: '2' }, annotations: {} }, 2],
    ['label 0', { labels: { [VERSION_LABEL]: '0' } }, undefined],
    ['label -1', { labels: { [VERSION_LABEL]: '-1' } }, undefined],
    ['label 1.5', { labels: { [VERSION_LABEL]: '1.5' } }, undefined],
    ['label "v3"', { labels: { [VERSION_LABEL]: 'v3' } }, undefined],
    ['empty label', { labels: { [VERSION_LABEL]: '' } }, undefined],
    ['no label', { labels: {} }, undefined],
    ['no metadata', undefined, undefined],
  ])('%s', (_name, metadata, expected) => {
    expect(claimedVersion(metadata)).toBe(expected);
  });
});
