import { objectKey, parseObjectKey } from '../../../src/kube/object-key.js';

describe('object keys', () => {
  it.each([
    [{ metadata: { namespace: 'db', name: 'app-scb' } }, 'db/app-scb', { namespace: 'db', name: 'app-scb' }],
    [{ metadata: { name: 'cluster-scoped' } }, 'cluster-scoped', { name: 'cluster-scoped' }],
  ])('%j <-> %s', (object, key, ref) => {
    expect(objectKey(object)).toBe(key);
    expect(parseObjectKey(key)).toEqual(ref);
  });
});
