import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import type { ObjectStoreTarget } from '../../../../src/api/v1alpha1/index.js';
import {
  objectStoreSecretRefs,
  resolveObjectStoreSettings,
  type ObjectStoreInputs,
} from '../../../../src/distribution/object-store/store-settings.js';
import { InvalidInputError } from '../../../../src/errors.js';

const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const kekBase64 = randomBytes(32).toString('base64');

function secret(data: Record<string, string>): V1Secret {
  return {
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
  };
}

const target: ObjectStoreTarget = {
  bucket: 'scb-bundles',
  prefix: 'prod',
  endpoint: 'https://rgw.storage.example:7480',
  credentialsSecretRef: { name: 'scb-s3' },
  pathStyle: true,
  serverSideEncryption: { type: 'aws:kms', kmsKeyId: 'alias/scb' },
  clientSideEncryption: { keySecretRef: { name: 'orders-kek', key: 'kek' } },
};

const inputs = (overrides: Partial<ObjectStoreInputs> = {}): ObjectStoreInputs => ({
  namespace: 'shop',
  name: 'orders-api',
  target,
  credentialsSecret: secret({ accessKeyId: 'AKIDEXAMPLE\n', secretAccessKey: `${secretAccessKey}\n` }),
  encryptionKeySecret: secret({ kek: `${kekBase64}\n` }),
  ...overrides,
});

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

it('names the Secrets to read', () => {
  expect(objectStoreSecretRefs(target)).toEqual({
    credentials: 'scb-s3',
    encryptionKey: { name: 'orders-kek', key: 'kek' },
  });
  expect(objectStoreSecretRefs({ ...target, clientSideEncryption: undefined })).toEqual({
    credentials: 'scb-s3',
  });
});

it('resolves the target, trimming credentials read from files, and never shows a secret when logged', async () => {
  const settings = resolveObjectStoreSettings(inputs());
  expect(settings).toMatchObject({
    bucket: 'scb-bundles',
    location: { prefix: 'prod', namespace: 'shop', name: 'orders-api' },
    endpoint: 'https://rgw.storage.example:7480',
    region: 'us-east-1',
    forcePathStyle: true,
    serverSideEncryption: { type: 'aws:kms', kmsKeyId: 'alias/scb' },
  });
  expect(await settings.credentials()).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey });
  expect(settings.encryptionKey?.id).toMatch(/^[0-9a-f]{16}$/);
  for (const shown of [JSON.stringify(settings), inspect(settings, { depth: 10, showHidden: true })]) {
    expect(shown).not.toContain(secretAccessKey);
    expect(shown).not.toContain(kekBase64);
  }
});

it.each<[string, Partial<ObjectStoreInputs>, string, string]>([
  [
    'a missing credentials Secret',
    { credentialsSecret: undefined },
    'ObjectStoreCredentialsNotFound',
    'spec.target.objectStore.credentialsSecretRef.name',
  ],
  [
    'a credentials Secret without secretAccessKey',
    { credentialsSecret: secret({ accessKeyId: 'AKIDEXAMPLE' }) },
    'ObjectStoreCredentialsIncomplete',
    'spec.target.objectStore.credentialsSecretRef.name',
  ],
  [
    'a missing KEK Secret',
    { encryptionKeySecret: undefined },
    'EncryptionKeyNotFound',
    'spec.target.objectStore.clientSideEncryption.keySecretRef.name',
  ],
  [
    'a KEK Secret without the key',
    { encryptionKeySecret: secret({ other: kekBase64 }) },
    'EncryptionKeyNotFound',
    'spec.target.objectStore.clientSideEncryption.keySecretRef.key',
  ],
  [
    'a KEK that is not 256 bits',
    { encryptionKeySecret: secret({ kek: secretAccessKey }) },
    'InvalidEncryptionKey',
    'spec.target.objectStore.clientSideEncryption.keySecretRef.key',
  ],
  [
    'an endpoint that is not an http(s) URL',
    { target: { ...target, endpoint: 'ftp://store.example' } },
    'InvalidObjectStoreEndpoint',
    'spec.target.objectStore.endpoint',
  ],
])('refuses %s, naming the field and never quoting a secret', (_name, overrides, reason, field) => {
  const error = refusal(() => resolveObjectStoreSettings(inputs(overrides)));
  expect({ reason: error.reason, field: error.field }).toEqual({ reason, field });
  expect(error.message).toContain(field.replace(/\.(name|key)$/, ''));
  expect(error.message).not.toContain(secretAccessKey);
  expect(error.message).not.toContain(kekBase64);
});

describe('a hostile prefix is refused before any store call', () => {
  it.each([
    ['a .. segment', 'prod/../team-b'],
    ['a leading .. (another bucket, path-style)', '../other-bucket'],
    ['only ..', '..'],
    ['a . segment', 'prod/./orders'],
    ['a trailing ..', 'prod/..'],
    ['a trailing .. and slash', 'prod/../'],
    ['a backslash separator', 'prod\\..\\team-b'],
    ['a leading slash', '/prod'],
    ['an empty segment', 'prod//orders'],
    ['a space', 'prod /orders'],
    ['a percent-encoded dot segment', 'prod/%2e%2e/orders'],
    ['a newline', 'prod\norders'],
    ['a NUL byte', 'prod\u0000'],
    ['a non-ASCII look-alike of /', 'prod\u2215orders'],
  ])('%s: %j', (_name, prefix) => {
    const error = refusal(() => resolveObjectStoreSettings(inputs({ target: { ...target, prefix } })));
    expect(error.reason).toBe('InvalidObjectStorePrefix');
    expect(error.field).toBe('spec.target.objectStore.prefix');
    expect(error.message).toMatch(/^spec\.target\.objectStore\.prefix .*; write it like prod\/orders$/);
  });

  it.each(['prod', 'prod/', 'prod/orders', "team.a/v1/archive/it's-(ok)*!_"])('admits %j', (prefix) => {
    const settings = resolveObjectStoreSettings(inputs({ target: { ...target, prefix } }));
    expect(settings.location.prefix).toBe(prefix);
  });
});
