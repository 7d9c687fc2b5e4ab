import {
  cachedObject,
  internStrings,
  StringPool,
  withoutManagedFields,
} from '../../../src/kube/cached-object.js';

describe('what an informer caches of an object', () => {
  const managedFields = [{ manager: 'scb-operator', operation: 'Apply', fieldsV1: { 'f:status': {} } }];

  it('drops metadata.managedFields and keeps every other field', () => {
    const bundle = {
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'SecureConnectionBundle',
      metadata: {
        name: 'app',
        namespace: 'shop',
        labels: { team: 'a' },
        resourceVersion: '7',
        managedFields,
      },
      spec: { clusterRef: { name: 'main' } },
      status: { currentVersion: 2 },
    };
    expect(withoutManagedFields(bundle)).toEqual({
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'SecureConnectionBundle',
      metadata: { name: 'app', namespace: 'shop', labels: { team: 'a' }, resourceVersion: '7' },
      spec: { clusterRef: { name: 'main' } },
      status: { currentVersion: 2 },
    });
    // The watch event's object is not changed under its other holders.
    expect(bundle.metadata.managedFields).toBe(managedFields);
  });

  it('returns an object without managedFields as it is', () => {
    const configMap = { metadata: { name: 'trust' }, data: { 'ca.crt': 'x' } };
    expect(withoutManagedFields(configMap)).toBe(configMap);
  });
});

describe('the string pool the caches share', () => {
  it('keeps one entry per short value, and none for long ones', () => {
    const pool = new StringPool(100, 8);
    expect(pool.intern('shop')).toBe('shop');
    expect(pool.intern(['sh', 'op'].join(''))).toBe('shop');
    expect(pool.size).toBe(1);
    expect(pool.intern('a-long-message')).toBe('a-long-message');
    expect(pool.size).toBe(1);
  });

  it('starts again when full, so values that never repeat cannot make it grow', () => {
    const pool = new StringPool(3);
    for (let i = 0; i < 10; i++) pool.intern(`uid-${i}`);
    expect(pool.size).toBeLessThanOrEqual(3);
  });

  it('copies plain objects and arrays with the same content, leaves other objects and the input alone', () => {
    const created = new Date('2026-12-04T10:00:00Z');
    const secret = {
      metadata: { name: 'app-scb', creationTimestamp: created, labels: { role: 'bundle-version' } },
      data: { list: ['a', 1, null, true] },
    };
    const copy = internStrings(secret, new StringPool());
    expect(copy).toEqual(secret);
    expect(copy).not.toBe(secret);
    expect(copy.metadata.labels).not.toBe(secret.metadata.labels);
    expect(copy.metadata.creationTimestamp).toBe(created);
  });

  it('caches an object without managedFields, through the pool', () => {
    const pool = new StringPool();
    const object = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a', managedFields: [{}] } };
    expect(cachedObject(object, pool)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' } });
    expect(pool.size).toBe(3);
  });
});
