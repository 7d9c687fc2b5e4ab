import { withoutManagedFields } from '../../../src/kube/cached-object.js';

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
