import type { KubernetesListObject, V1ConfigMap } from '@kubernetes/client-node';
import {
  ResilientInformer,
  type WatchHealthEvent,
  type WatchTransport,
} from '../../../src/kube/resilient-informer.js';
import { ManualTime, settle } from './manual-time.js';

type WatchCallback = Parameters<WatchTransport['watch']>[2];
type DoneCallback = Parameters<WatchTransport['watch']>[3];

interface OpenWatch {
  query: Record<string, unknown>;
  callback: WatchCallback;
  done: DoneCallback;
  controller: AbortController;
  closed: boolean;
}

/**
 * Stands in for the API server's list and watch endpoints so the restart logic can be driven
 * step by step; the real apiserver is exercised in test/integration.
 */
class FakeCollection {
  private readonly objects = new Map<string, V1ConfigMap>();
  private resourceVersion = 100;
  readonly listSelectors: Array<string | undefined> = [];
  readonly watches: OpenWatch[] = [];
  readonly listFailures: unknown[] = [];
  hangingLists = 0;
  /** Refuse watches as the API server does when RBAC allows list but not watch. */
  watchRefusal: unknown;

  put(name: string): V1ConfigMap {
    const object = { metadata: { name, namespace: 'db', resourceVersion: String(++this.resourceVersion) } };
    this.objects.set(name, object);
    return object;
  }

  remove(name: string): V1ConfigMap | undefined {
    const object = this.objects.get(name);
    this.objects.delete(name);
    return object;
  }

  readonly list = async (labelSelector: string | undefined): Promise<KubernetesListObject<V1ConfigMap>> => {
    this.listSelectors.push(labelSelector);
    if (this.hangingLists > 0) {
      this.hangingLists--;
      return new Promise<never>(() => undefined);
    }
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { metadata: { resourceVersion: String(this.resourceVersion) }, items: [...this.objects.values()] };
  };

  readonly transport: WatchTransport = {
    watch: async (_path, query, callback, done) => {
      const controller = new AbortController();
      if (this.watchRefusal) {
        done(this.watchRefusal);
        return controller;
      }
      const watch: OpenWatch = { query, callback, done, controller, closed: false };
      controller.signal.addEventListener('abort', () =>
        this.close(watch, Object.assign(new Error('aborted'), { name: 'AbortError' })),
      );
      this.watches.push(watch);
      return controller;
    },
  };

  open(): OpenWatch[] {
    return this.watches.filter((watch) => !watch.closed);
  }

  emit(type: string, object: object): void {
    for (const watch of this.open()) watch.callback(type, object, { type, object });
  }

  closeAll(error: unknown): void {
    for (const watch of this.open()) this.close(watch, error);
  }

  private close(watch: OpenWatch, error: unknown): void {
    if (watch.closed) return;
    watch.closed = true;
    watch.done(error);
  }
}

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

function setup(
  overrides: {
    keysFor?: (object: V1ConfigMap) => string[];
    indexers?: Record<string, (object: V1ConfigMap) => readonly string[]>;
  } = {},
) {
  const time = new ManualTime();
  const collection = new FakeCollection();
  const enqueued: string[] = [];
  const events: WatchHealthEvent[] = [];
  const informer = new ResilientInformer<V1ConfigMap>({
    resource: 'configmaps',
    path: '/api/v1/namespaces/db/configmaps',
    list: collection.list,
    labelSelector: 'app.kubernetes.io/managed-by=scb-operator',
    transport: collection.transport,
    enqueue: (key) => enqueued.push(key),
    clock: time,
    timers: time,
    random: () => 0,
    restartBackoff: { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 },
    watchdogTimeoutMs: 120_000,
    serverTimeoutSeconds: 60,
    onHealth: (event) => events.push(event),
    ...overrides,
  });
  return { time, collection, enqueued, events, informer };
}

describe('ResilientInformer', () => {
  it('lists, enqueues existing objects, then watches with the selector, bookmarks and a server timeout', async () => {
    const { collection, enqueued, events, informer } = setup();
    collection.put('a');
    collection.put('b');
    informer.start();
    await settle();

    expect(enqueued).toEqual(['db/a', 'db/b']);
    expect(collection.listSelectors).toEqual(['app.kubernetes.io/managed-by=scb-operator']);
    expect(collection.open()).toHaveLength(1);
    expect(collection.open()[0]?.query).toMatchObject({
      labelSelector: 'app.kubernetes.io/managed-by=scb-operator',
      allowWatchBookmarks: true,
      timeoutSeconds: 60,
      resourceVersion: '102',
    });
    expect(informer.health()).toMatchObject({ synced: true, watching: true, restarts: 0 });
    expect(informer.list().map((object) => object.metadata?.name)).toEqual(['a', 'b']);
    expect(events).toEqual([{ type: 'Synced', resource: 'configmaps' }]);
  });

  it('enqueues the keys chosen by keysFor for each watch event', async () => {
    const { collection, enqueued, informer } = setup({
      keysFor: (object) => [`db/owner-of-${object.metadata?.name}`],
    });
    informer.start();
    await settle();
    collection.emit('ADDED', collection.put('c'));
    collection.emit('DELETED', collection.remove('c') as V1ConfigMap);
    expect(enqueued).toEqual(['db/owner-of-c', 'db/owner-of-c']);
  });

  it('keeps secondary indexes in step with adds, changes, deletes and relists', async () => {
    const team = (object: V1ConfigMap) =>
      object.metadata?.labels?.['team'] ? [object.metadata.labels['team']] : [];
    const { collection, informer, time } = setup({ indexers: { team } });
    const labelled = (name: string, value: string | undefined, resourceVersion: string): V1ConfigMap => ({
      metadata: { name, namespace: 'db', resourceVersion, ...(value ? { labels: { team: value } } : {}) },
    });
    const names = (value: string) => informer.byIndex('team', value).map((object) => object.metadata?.name);
    informer.start();
    await settle();

    collection.emit('ADDED', labelled('a', 'orders', '201'));
    collection.emit('ADDED', labelled('b', 'orders', '202'));
    expect(names('orders')).toEqual(['a', 'b']);
    collection.emit('MODIFIED', labelled('a', 'billing', '203'));
    expect(names('orders')).toEqual(['b']);
    expect(names('billing')).toEqual(['a']);
    collection.emit('MODIFIED', labelled('b', undefined, '204'));
    expect(names('orders')).toEqual([]);
    collection.emit('DELETED', labelled('a', 'billing', '205'));
    expect(names('billing')).toEqual([]);
    expect(informer.byIndex('no-such-index', 'x')).toEqual([]);

    // A relist (here after a dropped watch) files what the server lists, and only that.
    collection.emit('ADDED', labelled('c', 'orders', '206'));
    collection.put('d');
    collection.closeAll(reset());
    await settle();
    await time.advance(1000);
    await settle();
    expect(names('orders')).toEqual([]);
    expect(informer.list().map((object) => object.metadata?.name)).toEqual(['d']);
  });

  it('restarts after a watch error with backoff, keeps serving the old cache meanwhile', async () => {
    const { collection, events, informer, time } = setup();
    collection.put('a');
    informer.start();
    await settle();

    collection.closeAll(reset());
    await settle();
    expect(events.slice(1)).toEqual([
      { type: 'Failed', resource: 'configmaps', reason: 'read ECONNRESET' },
      { type: 'RestartScheduled', resource: 'configmaps', delayMs: 1000, restarts: 1 },
    ]);
    expect(informer.health()).toMatchObject({ synced: true, watching: false, restarts: 1 });
    expect(informer.get('a', 'db')).toBeDefined();

    await time.advance(999);
    expect(collection.listSelectors).toHaveLength(1);
    await time.advance(1);
    expect(collection.listSelectors).toHaveLength(2);
    expect(collection.open()).toHaveLength(1);
    expect(informer.health()).toMatchObject({ watching: true, restarts: 1 });
  });

  it('backs off further while listing keeps failing, and forgives once events flow again', async () => {
    const { collection, events, informer, time } = setup();
    collection.listFailures.push(reset(), reset(), reset());
    informer.start();
    await settle();
    await time.advance(1000);
    await time.advance(2000);
    await time.advance(4000);
    const delays = events.filter((event) => event.type === 'RestartScheduled').map((event) => event.delayMs);
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(informer.health()).toMatchObject({ synced: true, watching: true, consecutiveFailures: 3 });

    collection.emit('ADDED', collection.put('x'));
    expect(informer.health().consecutiveFailures).toBe(0);
  });

  it('a watch the server refuses keeps backing off and never counts as watching', async () => {
    const { collection, events, informer, time } = setup();
    collection.watchRefusal = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    informer.start();
    await time.advance(1000 + 2000 + 4000);
    const delays = events.filter((event) => event.type === 'RestartScheduled').map((event) => event.delayMs);
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(collection.listSelectors).toHaveLength(4);
    expect(informer.health()).toMatchObject({ synced: false, watching: false, lastError: 'HTTP 403' });
  });

  it('the watchdog restarts a watch that stays silent, and aborts the stuck connection', async () => {
    const { collection, events, informer, time } = setup();
    informer.start();
    await settle();
    const stuck = collection.open()[0];

    await time.advance(119_999);
    expect(events.some((event) => event.type === 'Stalled')).toBe(false);
    await time.advance(1);
    expect(events).toContainEqual({ type: 'Stalled', resource: 'configmaps', silentForMs: 120_000 });
    expect(stuck?.closed).toBe(true);
    await time.advance(1000);
    expect(collection.listSelectors).toHaveLength(2);
    expect(informer.health()).toMatchObject({ watching: true, restarts: 1 });
  });

  it('bookmarks and events keep the watchdog quiet', async () => {
    const { collection, events, informer, time } = setup();
    informer.start();
    await settle();
    for (let minute = 0; minute < 10; minute++) {
      await time.advance(60_000);
      collection.emit('BOOKMARK', { metadata: { resourceVersion: String(200 + minute) } });
    }
    expect(events.filter((event) => event.type === 'Stalled')).toEqual([]);
    expect(informer.health().lastEventAgeMs).toBe(0);
  });

  it('a list that never returns is caught by the watchdog too', async () => {
    const { collection, events, informer, time } = setup();
    collection.put('a');
    collection.hangingLists = 1;
    informer.start();
    await time.advance(119_999);
    expect(informer.health()).toMatchObject({ synced: false, watching: false });
    await time.advance(1);
    expect(events.map((event) => event.type)).toEqual(['Stalled', 'RestartScheduled']);
    await time.advance(1000);
    expect(informer.health()).toMatchObject({ synced: true, watching: true });
    expect(informer.list()).toHaveLength(1);
  });

  it('after 410 Gone relists without counting a restart', async () => {
    const { collection, events, informer } = setup();
    collection.put('a');
    informer.start();
    await settle();

    collection.closeAll(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await settle();
    expect(collection.listSelectors).toHaveLength(2);
    expect(collection.open()).toHaveLength(1);
    expect(collection.open()[0]?.query['resourceVersion']).toBe('101');
    expect(events.map((event) => event.type)).toEqual(['Synced', 'Gone']);
    expect(informer.health().restarts).toBe(0);
  });

  it('an ERROR event other than 410 restarts instead of silently re-watching', async () => {
    const { collection, events, informer } = setup();
    informer.start();
    await settle();
    collection.emit('ERROR', { kind: 'Status', code: 500, message: 'etcd unavailable' });
    await settle();
    expect(events).toContainEqual({
      type: 'Failed',
      resource: 'configmaps',
      reason: 'watch error event 500: etcd unavailable',
    });
    expect(collection.open()).toHaveLength(0);
  });

  it('enqueues objects deleted while no watch was open, once the new list arrives', async () => {
    const { collection, enqueued, informer, time } = setup();
    collection.put('stays');
    collection.put('goes');
    informer.start();
    await settle();
    collection.closeAll(reset());
    await settle();
    collection.remove('goes');
    enqueued.length = 0;

    await time.advance(1000);
    expect(enqueued.sort()).toEqual(['db/goes', 'db/stays']);
    expect(informer.get('goes', 'db')).toBeUndefined();
  });

  it('stop closes the watch and schedules nothing more', async () => {
    const { collection, informer, time } = setup();
    informer.start();
    await settle();
    await informer.stop();
    await settle();
    expect(collection.open()).toHaveLength(0);
    expect(time.pendingTimers()).toBe(0);
    await time.advance(3_600_000);
    expect(collection.listSelectors).toHaveLength(1);
  });

  it('rejects a watchdog that would fire before the server ends a quiet watch', () => {
    const time = new ManualTime();
    const collection = new FakeCollection();
    expect(
      () =>
        new ResilientInformer<V1ConfigMap>({
          resource: 'configmaps',
          path: '/api/v1/configmaps',
          list: collection.list,
          transport: collection.transport,
          enqueue: () => undefined,
          clock: time,
          timers: time,
          watchdogTimeoutMs: 60_000,
          serverTimeoutSeconds: 300,
        }),
    ).toThrow(/watchdogTimeoutMs/);
  });
});
