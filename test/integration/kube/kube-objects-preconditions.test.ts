/**
 * The write preconditions the controllers rely on to never write over an object they did not
 * check, against the real API server: create fails on a taken name, an apply carrying a
 * resourceVersion fails once that version is gone, and a label-tested patch writes nothing to an
 * object without the labels.
 */
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import { httpStatusOf } from '../../../src/kube/errors.js';
import { createTestNamespace, kubeHttp } from '../../support/kube.js';
import { core } from '../../support/operator-fixtures.js';

const statusOf = (promise: Promise<unknown>): Promise<number | undefined> =>
  promise.then(
    () => 200,
    (error: unknown) => httpStatusOf(error),
  );

describe('KubeObjects write preconditions', () => {
  it('createConfigMap: 409 on a taken name, the object unchanged', async () => {
    const namespace = await createTestNamespace('kube-create');
    const kube = new KubeObjects(kubeHttp());
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'taken' }, data: { a: '1' } },
    });
    expect(
      await statusOf(kube.createConfigMap(namespace, { metadata: { name: 'taken' }, data: { b: '2' } })),
    ).toBe(409);
    expect((await core().readNamespacedConfigMap({ namespace, name: 'taken' })).data).toEqual({ a: '1' });
  });

  it('applyConfigMap with a resourceVersion: applied while current, 409 once someone else wrote', async () => {
    const namespace = await createTestNamespace('kube-apply');
    const kube = new KubeObjects(kubeHttp());
    const created = await kube.createConfigMap(namespace, { metadata: { name: 'ours' }, data: { a: '1' } });
    const checked = created.metadata?.resourceVersion;
    const applied = await kube.applyConfigMap(namespace, {
      metadata: { name: 'ours', resourceVersion: checked },
      data: { a: '2' },
    });
    expect(applied.data).toEqual({ a: '2' });

    await core().replaceNamespacedConfigMap({
      namespace,
      name: 'ours',
      body: { ...applied, data: { a: 'theirs' } },
    });
    const stale = applied.metadata?.resourceVersion;
    expect(
      await statusOf(
        kube.applyConfigMap(namespace, {
          metadata: { name: 'ours', resourceVersion: stale },
          data: { a: '3' },
        }),
      ),
    ).toBe(409);
    expect((await core().readNamespacedConfigMap({ namespace, name: 'ours' })).data).toEqual({ a: 'theirs' });
  });

  it('replaceConfigMapDataIfLabelled: writes with the labels, 422 and nothing written without', async () => {
    const namespace = await createTestNamespace('kube-labelled');
    const kube = new KubeObjects(kubeHttp());
    const labels = { 'app.kubernetes.io/managed-by': 'scb-operator', 'scb-operator.io/role': 'signing-key' };
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'ours', labels }, data: { a: '1' } },
    });
    await core().createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'theirs', labels: { 'app.kubernetes.io/managed-by': 'scb-operator' } },
        data: { a: '1' },
      },
    });
    await kube.replaceConfigMapDataIfLabelled(namespace, 'ours', labels, { b: '2' });
    expect((await core().readNamespacedConfigMap({ namespace, name: 'ours' })).data).toEqual({ b: '2' });
    expect(await statusOf(kube.replaceConfigMapDataIfLabelled(namespace, 'theirs', labels, { b: '2' }))).toBe(
      422,
    );
    expect((await core().readNamespacedConfigMap({ namespace, name: 'theirs' })).data).toEqual({ a: '1' });
  });
});
