import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { QueryValue, WatchTransport } from './client/kube-http.js';

export interface ListWatchOptions<T extends KubernetesObject> {
  path: string;
  transport: WatchTransport;
  list: () => Promise<KubernetesListObject<T>>;
  /** Sent with every watch, e.g. the label selector and the server-side timeout. */
  query: Record<string, QueryValue>;
  transform?: (object: T) => T;
  /** Secondary indexes, as client-go's Indexers: index name → the values an object is filed under. */
  indexers?: Readonly<Record<string, Indexer<T>>>;
  /** An object was added, changed (new resourceVersion) or deleted. */
  onChange: (object: T) => void;
  /** Every watch event, bookmarks and errors included: proof the stream is alive. */
  onEvent: (type: string, object: unknown) => void;
  /** The server accepted a watch after a complete list (or resumed one). */
  onWatching: () => void;
  /** The resourceVersion expired (410 Gone); a relist follows by itself. */
  onGone: () => void;
  /** Any other failure; this ListWatch does nothing more after it. */
  onError: (error: unknown) => void;
}

/** The values an object is filed under in one index (none: not in that index). */
export type Indexer<T> = (object: T) => readonly string[];

/**
 * One list-then-watch cycle and the cache it keeps: list, watch from the list's resourceVersion,
 * re-watch from the last seen one when the server closes the stream, relist after 410 Gone.
 * Restarting after errors and stalls is ResilientInformer's job, which abandons this and makes a
 * new one.
 */
export class ListWatch<T extends KubernetesObject> {
  private objects = new Map<string, T>();
  /** Index name → value → cache keys of the objects filed under it. */
  private indexes = new Map<string, Map<string, Set<string>>>();
  private resourceVersion = '';
  private stopped = false;
  private request: AbortController | undefined;

  constructor(private readonly options: ListWatchOptions<T>) {}

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(cacheKey(namespace, name));
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace ? all.filter((object) => object.metadata?.namespace === namespace) : all;
  }

  /** The objects filed under `value` in index `name`, without walking the whole cache. */
  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    return [...keys]
      .map((key) => this.objects.get(key))
      .filter((object): object is T => object !== undefined);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.cycle();
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
    this.request = undefined;
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    const { options } = this;
    if (!this.resourceVersion) {
      const listed = await options.list();
      if (this.stopped) return;
      this.replaceAll(listed.items.map((object) => this.transformed(object)));
      this.resourceVersion = listed.metadata?.resourceVersion ?? '';
    }
    let ended = false;
    const controller = await options.transport.watch(
      options.path,
      { ...options.query, resourceVersion: this.resourceVersion },
      (type, object) => {
        if (!ended && !this.stopped) this.onWatchEvent(type, object);
      },
      (error) => {
        if (ended) return;
        ended = true;
        this.request = undefined;
        if (!this.stopped) this.onWatchEnded(error);
      },
    );
    if (this.stopped) {
      controller.abort();
    } else if (!ended) {
      // A refused watch has already ended (and reported its error) before it resolves.
      this.request = controller;
      options.onWatching();
    }
  }

  private onWatchEvent(type: string, object: unknown): void {
    this.options.onEvent(type, object);
    if (type === 'ERROR') {
      // The server closes the stream after a 410; the close then relists.
      if ((object as { code?: unknown } | undefined)?.code === 410) this.resourceVersion = '';
      return;
    }
    const typed = object as T;
    if (type === 'ADDED' || type === 'MODIFIED') this.upsert(this.transformed(typed));
    else if (type === 'DELETED') this.remove(typed);
    this.resourceVersion = typed.metadata?.resourceVersion ?? this.resourceVersion;
  }

  private onWatchEnded(error: unknown): void {
    if (isGone(error)) this.resourceVersion = '';
    else if (error) {
      this.options.onError(error);
      return;
    }
    if (!this.resourceVersion) this.options.onGone();
    this.cycle().catch((failure: unknown) => {
      if (!this.stopped) this.options.onError(failure);
    });
  }

  private replaceAll(items: T[]): void {
    const previous = this.objects;
    this.objects = new Map();
    this.indexes = new Map();
    for (const object of items) this.upsert(object, previous.get(keyOf(object)));
    for (const [key, object] of previous) {
      if (!this.objects.has(key)) this.options.onChange(object);
    }
  }

  private upsert(object: T, known: T | undefined = this.objects.get(keyOf(object))): void {
    const key = keyOf(object);
    this.file(key, this.objects.get(key), 'remove');
    this.objects.set(key, object);
    this.file(key, object, 'add');
    if (!known || known.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
      this.options.onChange(object);
    }
  }

  private remove(object: T): void {
    const key = keyOf(object);
    const known = this.objects.get(key);
    this.file(key, known, 'remove');
    this.objects.delete(key);
    this.options.onChange(known ?? object);
  }

  private file(key: string, object: T | undefined, change: 'add' | 'remove'): void {
    if (!object) return;
    for (const [name, indexer] of Object.entries(this.options.indexers ?? {})) {
      let index = this.indexes.get(name);
      if (!index) this.indexes.set(name, (index = new Map()));
      for (const value of indexer(object)) {
        const keys = index.get(value) ?? new Set<string>();
        if (change === 'add') keys.add(key);
        else keys.delete(key);
        if (keys.size > 0) index.set(value, keys);
        else index.delete(value);
      }
    }
  }

  private transformed(object: T): T {
    return this.options.transform ? this.options.transform(object) : object;
  }
}

function keyOf(object: KubernetesObject): string {
  return cacheKey(object.metadata?.namespace, object.metadata?.name ?? '');
}

function cacheKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function isGone(error: unknown): boolean {
  const record = error as { statusCode?: unknown; code?: unknown } | null;
  return record?.statusCode === 410 || record?.code === 410;
}
