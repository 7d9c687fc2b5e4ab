import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import {
  publishedSecret,
  versionSecret,
  type VersionRecord,
} from '../../../../src/controllers/bundle/bundle-secrets.js';
import { findBundleArchive } from '../../../../src/distribution/download-api/bundle-archive.js';

const bundle: SecureConnectionBundle = {
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'SecureConnectionBundle',
  metadata: { name: 'orders', namespace: 'shop', uid: 'uid-orders' },
  spec: { clusterRef: { name: 'main' }, target: { secret: { name: 'orders-bundle' } } },
  status: {
    currentVersion: 2,
    versions: [
      { version: 2, state: 'Active' },
      { version: 1, state: 'Deprecated' },
    ],
  },
};

function record(version: number, zip: Buffer): VersionRecord {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    version,
    bundleSHA256: createHash('sha256').update(zip).digest('hex'),
    certificateSHA256: 'c'.repeat(64),
    serialNumber: '01',
    notBefore: at,
    notAfter: at,
    createdAt: at,
    size: zip.length,
    inputsHash: undefined,
    issuerFingerprint: 'f'.repeat(64),
    rotateTokenDigest: undefined,
  };
}

function source(secrets: V1Secret[]) {
  return {
    getBundle: async (namespace: string, name: string) =>
      namespace === 'shop' && name === 'orders' ? bundle : undefined,
    getSecret: async (_namespace: string, name: string) =>
      secrets.find((secret) => secret.metadata?.name === name),
  };
}

const zip1 = Buffer.from('zip of version 1');
const zip2 = Buffer.from('zip of version 2');
const file = (content: Buffer) => ({ fileName: 'secure-connect-orders.zip', content });
const secrets = [
  versionSecret(bundle, record(1, zip1), file(zip1)),
  versionSecret(bundle, record(2, zip2), file(zip2)),
  publishedSecret(bundle, record(2, zip2), file(zip2), []),
];
const orders = { namespace: 'shop', name: 'orders' };

test('the current version comes from the published Secret (spec.target.secret.name), a kept one from <published>-v<N>', async () => {
  expect(await findBundleArchive(source(secrets), orders, undefined)).toEqual({
    found: true,
    archive: {
      fileName: 'secure-connect-orders.zip',
      content: zip2,
      version: 2,
      sha256: createHash('sha256').update(zip2).digest('hex'),
    },
  });
  expect(await findBundleArchive(source(secrets), orders, 1)).toMatchObject({
    found: true,
    archive: { content: zip1, version: 1 },
  });
});

test('a version not kept names the retrievable ones; a missing bundle says so', async () => {
  expect(await findBundleArchive(source(secrets), orders, 9)).toEqual({
    found: false,
    message:
      'version 9 of SecureConnectionBundle shop/orders is not kept in the cluster; retrievable versions: 2, 1',
  });
  expect(await findBundleArchive(source(secrets), { namespace: 'shop', name: 'other' }, undefined)).toEqual({
    found: false,
    message: 'SecureConnectionBundle shop/other does not exist',
  });
});

test('a Secret with the right name that this bundle does not control is never served', async () => {
  const handMade: V1Secret = {
    metadata: { name: 'orders-bundle', labels: { 'scb-operator.io/role': 'published-bundle' } },
    data: { 'secure-connect-orders.zip': Buffer.from('not ours').toString('base64') },
  };
  expect(await findBundleArchive(source([handMade]), orders, undefined)).toMatchObject({ found: false });
  const otherOwner = versionSecret(
    { ...bundle, metadata: { ...bundle.metadata, uid: 'uid-previous' } },
    record(1, zip1),
    file(zip1),
  );
  expect(await findBundleArchive(source([otherOwner]), orders, 1)).toMatchObject({ found: false });
  // A version Secret is never served as the current version, nor under another number.
  const renamed = { ...secrets[1]!, metadata: { ...secrets[1]!.metadata, name: 'orders-bundle-v3' } };
  expect(await findBundleArchive(source([renamed]), orders, 3)).toMatchObject({ found: false });
});
