/**
 * The resilient informer against the real kube-apiserver: the initial list delivers what exists,
 * later changes arrive through the watch, the label selector keeps unrelated Secrets out, and a
 * dropped connection is survived with the gap's changes delivered after the relist.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { KubeObjects } from '../../src/kube/kube-objects.js';
import { ResilientInformer, type WatchTransport } from '../../src/kube/resilient-informer.js';
import { systemTimers } from '../../src/time/timers.js';
import { systemClock } from '../../src/time/clock.js';
import { createTestNamespace, kubeConfig, kubeHttp } from '../support/kube.js';

const ownedLabel = { 'app.kubernetes.io/managed-by': 'scb-operator' };
const selector = 'app.kubernetes.io/managed-by=scb-operator';

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('ResilientInformer on the real apiserver', () => {
  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  const informers: Array<ResilientInformer<V1Secret>> = [];

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((informer) => informer.stop()));
  });

  function watchSecrets(namespace: string, transport: WatchTransport) {
    const enqueued: string[] = [];
    const informer = new ResilientInformer<V1Secret>({
      resource: 'secrets',
      path: `/api/v1/namespaces/${namespace}/secrets`,
      list: (labelSelector) => new KubeObjects(kubeHttp()).listSecrets(namespace, labelSelector),
      labelSelector: selector,
      transport,
      enqueue: (key) => enqueued.push(key),
      clock: systemClock,
      timers: systemTimers,
      restartBackoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.5 },
    });
    informers.push(informer);
    return { informer, enqueued };
  }

  async function createSecret(namespace: string, name: string, labels: Record<string, string> = ownedLabel) {
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name, labels }, stringData: { password: 'not-logged' } },
    });
  }

  it('lists existing owned Secrets, then delivers creates and deletes, and ignores unlabeled Secrets', async () => {
    const namespace = await createTestNamespace('informer');
    await createSecret(namespace, 'owned-before');
    await createSecret(namespace, 'foreign-before', { team: 'payments' });

    const { informer, enqueued } = watchSecrets(namespace, kubeHttp());
    informer.start();
    await eventually(() => informer.health().synced, 'the first sync');
    expect(enqueued).toEqual([`${namespace}/owned-before`]);
    expect(informer.list().map((secret) => secret.metadata?.name)).toEqual(['owned-before']);

    await createSecret(namespace, 'foreign-after', { team: 'payments' });
    await createSecret(namespace, 'owned-after');
    await eventually(() => enqueued.includes(`${namespace}/owned-after`), 'the created Secret');
    await core().deleteNamespacedSecret({ namespace, name: 'owned-before' });
    await eventually(
      () => enqueued.filter((key) => key.endsWith('/owned-before')).length === 2,
      'the delete',
    );

    // The foreign Secret was created before owned-after, so had it passed the selector it would be here.
    expect(enqueued).not.toContain(`${namespace}/foreign-after`);
    expect(enqueued).not.toContain(`${namespace}/foreign-before`);
    expect(informer.get('owned-before', namespace)).toBeUndefined();
    expect(informer.health()).toMatchObject({ synced: true, watching: true, restarts: 0 });
  });

  it('survives a dropped watch connection and delivers what changed while it was down', async () => {
    const namespace = await createTestNamespace('informer-drop');
    await createSecret(namespace, 'first');
    const real = kubeHttp();
    const drops: Array<() => void> = [];
    // Ends the real connection the way a reset socket does: the watch reports an error, once.
    const droppable: WatchTransport = {
      watch: async (path, query, callback, done) => {
        let finished = false;
        const finish = (error: unknown) => {
          if (finished) return;
          finished = true;
          done(error);
        };
        const connection = await real.watch(path, query, callback, finish);
        drops.push(() => {
          finish(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
          connection.abort();
        });
        return connection;
      },
    };
    const { informer, enqueued } = watchSecrets(namespace, droppable);
    informer.start();
    await eventually(() => informer.health().watching, 'the watch to open');

    // A ListWatch alone stops for good after this error; the informer restarts it.
    drops.at(-1)?.();
    await createSecret(namespace, 'during-gap');
    await eventually(() => enqueued.includes(`${namespace}/during-gap`), 'the Secret created during the gap');
    expect(informer.health().restarts).toBeGreaterThanOrEqual(1);

    await createSecret(namespace, 'after-restart');
    await eventually(
      () => enqueued.includes(`${namespace}/after-restart`),
      'a Secret created after the restart',
    );
    expect(informer.health()).toMatchObject({ synced: true, watching: true });
  });
});
