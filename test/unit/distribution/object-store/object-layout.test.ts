import type { BundleVersion } from '../../../../src/api/v1alpha1/index.js';
import { versionsMissingFromStore } from '../../../../src/distribution/object-store/catch-up.js';
import {
  parseLatestPointer,
  serializeLatestPointer,
  shouldMoveLatest,
} from '../../../../src/distribution/object-store/latest-pointer.js';
import {
  archiveKeys,
  latestPointerKey,
  objectContext,
  versionKeys,
} from '../../../../src/distribution/object-store/object-keys.js';

describe('object keys', () => {
  it.each<[string, string | undefined, string]>([
    ['a prefix', 'prod/orders', 'prod/orders/shop/orders-api'],
    ["a prefix's trailing slash is not doubled", 'prod/', 'prod/shop/orders-api'],
    ['no prefix: the bucket root', undefined, 'shop/orders-api'],
    ['an empty prefix: the bucket root', '', 'shop/orders-api'],
  ])('%s', (_name, prefix, root) => {
    const location = { prefix, namespace: 'shop', name: 'orders-api' };
    expect(versionKeys(location, 7)).toEqual({
      zip: `${root}/v7/secure-connect-orders-api.zip`,
      manifest: `${root}/v7/manifest.json`,
    });
    expect(archiveKeys(location, 7)).toEqual({
      zip: `${root}/archive/v7/secure-connect-orders-api.zip`,
      manifest: `${root}/archive/v7/manifest.json`,
    });
    expect(latestPointerKey(location)).toBe(`${root}/latest.json`);
  });

  it('binds an encrypted object to the bundle, version and file, not to the prefix it is stored under', () => {
    const context = objectContext(
      { prefix: 'prod', namespace: 'shop', name: 'orders-api' },
      3,
      'manifest.json',
    );
    expect(context).toBe('shop/orders-api/v3/manifest.json');
    expect(
      objectContext({ prefix: 'other', namespace: 'shop', name: 'orders-api' }, 3, 'manifest.json'),
    ).toBe(context);
  });
});

describe('latest pointer', () => {
  const pointer = (version: number) => ({ version, objectKey: `k/v${version}.zip`, sha256: 'ab'.repeat(32) });

  it.each<[string, number | undefined, number, boolean]>([
    ['no pointer yet: write', undefined, 1, true],
    ['a newer version: move forward', 2, 3, true],
    ['the same version again: leave it', 3, 3, false],
    ['an older version arriving late: never go back', 4, 2, false],
  ])('%s', (_name, current, candidate, moves) => {
    expect(shouldMoveLatest(current === undefined ? undefined : pointer(current), pointer(candidate))).toBe(
      moves,
    );
  });

  it('round-trips, and reads anything else as no pointer', () => {
    expect(parseLatestPointer(serializeLatestPointer(pointer(5)))).toEqual(pointer(5));
    for (const text of [
      '',
      'not json',
      '[]',
      '{"version":0,"objectKey":"k","sha256":"s"}',
      '{"version":"2"}',
    ]) {
      expect(parseLatestPointer(Buffer.from(text))).toBeUndefined();
    }
  });
});

describe('versionsMissingFromStore', () => {
  const entry = (version: number, state: BundleVersion['state'], stored: boolean): BundleVersion => ({
    version,
    state,
    ...(state === 'Archived' ? {} : { secretName: `orders-api-scb-v${version}` }),
    ...(stored ? { objectKey: `shop/orders-api/v${version}/secure-connect-orders-api.zip` } : {}),
  });

  it('lists versions without objectKey that still have a Secret, oldest first', () => {
    // status lists newest first
    const status = [
      entry(6, 'Active', false),
      entry(5, 'Deprecated', false),
      entry(4, 'Deprecated', true),
      entry(3, 'Expired', false),
      entry(2, 'Archived', false),
      entry(1, 'Archived', true),
    ];
    expect(versionsMissingFromStore(status)).toEqual([3, 5, 6]);
    expect(versionsMissingFromStore([entry(2, 'Active', true), entry(1, 'Deprecated', true)])).toEqual([]);
  });
});
