import type { AccessPolicy } from '../../../../src/api/v1alpha1/index.js';
import {
  evaluateAccess,
  labelSelectorMatches,
} from '../../../../src/controllers/cluster-ref/access-policy.js';

const labels = { team: 'orders', env: 'prod' };

function decide(bundleNamespace: string, access: AccessPolicy | undefined, namespaceLabels = labels) {
  return evaluateAccess({
    bundleNamespace,
    namespaceLabels,
    cluster: { name: 'main', namespace: 'cassandra', access },
  });
}

describe('evaluateAccess', () => {
  it.each<[string, string, AccessPolicy | undefined, string]>([
    ['own namespace, no access rules', 'cassandra', undefined, 'SameNamespace'],
    ['listed namespace', 'shop', { namespaces: ['billing', 'shop'] }, 'NamespaceList'],
    ['empty selector allows every namespace', 'shop', { namespaceSelector: {} }, 'NamespaceSelector'],
    [
      'matchLabels met',
      'shop',
      { namespaceSelector: { matchLabels: { team: 'orders' } } },
      'NamespaceSelector',
    ],
  ])('allows: %s', (_name, namespace, access, basis) => {
    expect(decide(namespace, access)).toEqual({ allowed: true, basis });
  });

  it('refuses by default, naming spec.access.namespaces', () => {
    expect(decide('shop', undefined)).toEqual({
      allowed: false,
      reason: 'NamespaceNotAllowed',
      message:
        'namespace "shop" may not use CassandraClusterRef cassandra/main: add "shop" to its spec.access.namespaces or set spec.access.namespaceSelector there',
    });
  });

  it('says which selector requirement the namespace misses', () => {
    const decision = decide('shop', {
      namespaces: ['billing'],
      namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] },
    });
    expect(decision).toMatchObject({ allowed: false, reason: 'NamespaceNotAllowed' });
    expect(decision.allowed || decision.message).toContain(
      'label namespace "shop" to match that CassandraClusterRef\'s spec.access.namespaceSelector (unmet: env In (staging))',
    );
  });
});

describe('labelSelectorMatches', () => {
  it.each<[string, Parameters<typeof labelSelectorMatches>[0], boolean]>([
    ['empty selector', {}, true],
    ['empty matchLabels', { matchLabels: {} }, true],
    ['matchLabels all present', { matchLabels: { team: 'orders', env: 'prod' } }, true],
    ['matchLabels one value differs', { matchLabels: { team: 'orders', env: 'dev' } }, false],
    [
      'In matching',
      { matchExpressions: [{ key: 'team', operator: 'In', values: ['billing', 'orders'] }] },
      true,
    ],
    ['In, label absent', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }, false],
    ['NotIn, other value', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, true],
    [
      'NotIn, label absent',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gold'] }] },
      true,
    ],
    [
      'NotIn, listed value',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      false,
    ],
    ['Exists', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true],
    ['Exists, absent', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false],
    [
      'labels and expressions must all hold',
      {
        matchLabels: { team: 'orders' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }],
      },
      false,
    ],
    [
      'malformed In without values fails closed',
      { matchExpressions: [{ key: 'team', operator: 'In', values: [] }] },
      false,
    ],
    [
      'malformed NotIn without values fails closed',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn' }] },
      false,
    ],
    [
      'malformed Exists with values fails closed',
      { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['orders'] }] },
      false,
    ],
  ])('%s -> %s', (_name, selector, matches) => {
    expect(labelSelectorMatches(selector, labels)).toBe(matches);
  });
});
