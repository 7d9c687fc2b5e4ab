import type { V1Namespace } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import {
  NamespaceLabels,
  namespaceLabelsOnly,
  NamespaceLabelWatch,
} from '../../../../src/controllers/bundle/namespace-labels.js';

const namespace = (name: string, labels?: Record<string, string>): V1Namespace => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: '7', ...(labels ? { labels } : {}) },
});

function bundle(namespaceName: string, name: string, clusterNamespace?: string): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name, namespace: namespaceName },
    spec: { clusterRef: { name: 'main', ...(clusterNamespace ? { namespace: clusterNamespace } : {}) } },
  } as SecureConnectionBundle;
}

describe('namespaceLabelsOnly', () => {
  it('keeps name, uid, resourceVersion and labels, and drops annotations, spec and status', () => {
    const full: V1Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        uid: 'u1',
        resourceVersion: '42',
        labels: { tier: 'apps' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(4000) },
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    expect(namespaceLabelsOnly(full)).toEqual({
      metadata: { name: 'team-a', uid: 'u1', resourceVersion: '42', labels: { tier: 'apps' } },
    });
  });
});

describe('NamespaceLabels', () => {
  it('answers from the cache without a read, and reads a namespace the cache has not seen', async () => {
    const reads: string[] = [];
    const cached = new Map([['team-a', namespace('team-a', { tier: 'apps' })]]);
    const labels = new NamespaceLabels(
      async (name) => {
        reads.push(name);
        return namespace(name, { fresh: 'yes' });
      },
      { get: (name) => cached.get(name) },
    );
    expect(await labels.of('team-a')).toEqual({ tier: 'apps' });
    expect(reads).toEqual([]);
    expect(await labels.of('team-new')).toEqual({ fresh: 'yes' });
    expect(reads).toEqual(['team-new']);
  });

  it('without a cache reads every time, and a namespace without labels (or gone) has none', async () => {
    let reads = 0;
    const labels = new NamespaceLabels(async (name) => {
      reads++;
      return name === 'gone' ? undefined : namespace(name);
    });
    expect(await labels.of('plain')).toEqual({});
    expect(await labels.of('gone')).toEqual({});
    expect(reads).toBe(2);
  });
});

describe('NamespaceLabelWatch', () => {
  const bundles = [
    bundle('team-a', 'cross', 'db'),
    bundle('team-a', 'local'),
    bundle('team-a', 'local-explicit', 'team-a'),
    bundle('team-a', 'cross-2', 'other-db'),
  ];
  const watch = () => {
    const asked: string[] = [];
    const labelWatch = new NamespaceLabelWatch((name) => {
      asked.push(name);
      return bundles.filter((b) => b.metadata.namespace === name);
    });
    return { labelWatch, asked };
  };

  it('enqueues nothing on first sight (every bundle is queued at start anyway)', () => {
    const { labelWatch, asked } = watch();
    expect(labelWatch.bundleKeysFor(namespace('team-a', { tier: 'apps' }))).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('on a label change, enqueues the bundles of that namespace that use another namespace’s cluster ref', () => {
    const { labelWatch } = watch();
    labelWatch.bundleKeysFor(namespace('team-a', { tier: 'apps' }));
    expect(
      labelWatch.bundleKeysFor(namespace('team-a', { tier: 'apps', 'cassandra-access': 'true' })),
    ).toEqual(['team-a/cross', 'team-a/cross-2']);
    // Removing a label is a change too.
    expect(labelWatch.bundleKeysFor(namespace('team-a', { tier: 'apps' }))).toEqual([
      'team-a/cross',
      'team-a/cross-2',
    ]);
    expect(labelWatch.bundleKeysFor(namespace('team-a'))).toEqual(['team-a/cross', 'team-a/cross-2']);
  });

  it('ignores updates that leave the labels as they were, in whatever order they come', () => {
    const { labelWatch, asked } = watch();
    labelWatch.bundleKeysFor(namespace('team-a', { a: '1', b: '2' }));
    expect(labelWatch.bundleKeysFor({ ...namespace('team-a', { b: '2', a: '1' }) })).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('keeps each namespace apart: a change to one looks only at its own bundles', () => {
    const { labelWatch, asked } = watch();
    labelWatch.bundleKeysFor(namespace('team-a', { tier: 'apps' }));
    expect(labelWatch.bundleKeysFor(namespace('team-b', { tier: 'web' }))).toEqual([]);
    expect(labelWatch.bundleKeysFor(namespace('team-b', { tier: 'apps' }))).toEqual([]);
    expect(asked).toEqual(['team-b']);
  });
});
