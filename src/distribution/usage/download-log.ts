import type { SecureConnectionBundle, SecureConnectionBundleStatus } from '../../api/v1alpha1/index.js';
import { classifyError } from '../../kube/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Clock } from '../../time/clock.js';
import type { TimerHandle, Timers } from '../../time/timers.js';
import { mergeDownloads, type ServedDownload } from './download-records.js';

/** The calls the log makes (KubeObjects implements them). */
export interface DownloadLogKube {
  getBundle(namespace: string, name: string): Promise<SecureConnectionBundle | undefined>;
  /** Merge patch of status that fails with 409 unless the bundle is still at `resourceVersion`. */
  patchBundleStatusAt(
    namespace: string,
    name: string,
    resourceVersion: string,
    status: Pick<SecureConnectionBundleStatus, 'usage'>,
  ): Promise<void>;
}

export interface DownloadLogOptions {
  kube: DownloadLogKube;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Downloads of one bundle are written together, at most once per this many ms. Default 5 s. */
  flushIntervalMs?: number;
  /** Bundles with unwritten downloads at most; downloads of more are counted in the log only. */
  maxBundles?: number;
}

/** Re-reads after a 409 before keeping the downloads for the next flush. */
const CONFLICT_RETRIES = 3;
/** A bundle keeps at most this many unwritten downloads (the newest; status lists 10 a version). */
const MAX_BUFFERED = 100;

/**
 * Records who downloaded which version into status.usage.downloads. Every replica serves the
 * download API, so every replica writes what it served: downloads are facts, not decisions, and
 * need no leadership. A write carries the resourceVersion it read, so two replicas (or the leader
 * writing the rest of status) never overwrite each other's entries: a 409 re-reads and merges
 * again. Writes per bundle are spaced by `flushIntervalMs`, so a burst of downloads is one write.
 */
export class DownloadLog {
  private readonly buffered = new Map<string, ServedDownload[]>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly lastFlush = new Map<string, number>();
  private readonly flushing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: DownloadLogOptions) {}

  record(download: ServedDownload): void {
    if (this.closed) return;
    const key = `${download.namespace}/${download.name}`;
    const list = this.buffered.get(key);
    if (!list && this.buffered.size >= (this.options.maxBundles ?? 1000)) {
      this.options.logger.warn('download not recorded in status: too many bundles waiting', { key });
      return;
    }
    const next = [...(list ?? []), download].slice(-MAX_BUFFERED);
    this.buffered.set(key, next);
    this.schedule(key);
  }

  /** Writes everything buffered now (graceful stop, tests). */
  async flushAll(): Promise<void> {
    for (const [key, handle] of this.timers) {
      this.options.timers.clearTimeout(handle);
      this.timers.delete(key);
    }
    await Promise.all([...this.flushing.values()]);
    await Promise.all([...this.buffered.keys()].map((key) => this.flush(key)));
  }

  async close(): Promise<void> {
    await this.flushAll();
    this.closed = true;
  }

  private schedule(key: string): void {
    if (this.timers.has(key) || this.flushing.has(key)) return;
    const interval = this.options.flushIntervalMs ?? 5000;
    const since = this.options.clock.now().getTime() - (this.lastFlush.get(key) ?? 0);
    const handle = this.options.timers.setTimeout(
      () => {
        this.timers.delete(key);
        void this.flush(key);
      },
      Math.max(0, interval - since),
    );
    this.timers.set(key, handle);
  }

  private flush(key: string): Promise<void> {
    const running = this.flushing.get(key);
    if (running) return running;
    const served = this.buffered.get(key) ?? [];
    this.buffered.delete(key);
    if (served.length === 0) return Promise.resolve();
    const done = this.write(key, served)
      .catch((error: unknown) => {
        // Kept (newest first win) for the next flush; a download is never worth failing a request.
        const again = [...served, ...(this.buffered.get(key) ?? [])].slice(-MAX_BUFFERED);
        this.buffered.set(key, again);
        this.options.logger.warn('could not record downloads in status; retrying', {
          key,
          error: classifyError(error).message,
        });
      })
      .finally(() => {
        this.flushing.delete(key);
        this.lastFlush.set(key, this.options.clock.now().getTime());
        if (this.buffered.has(key)) this.schedule(key);
      });
    this.flushing.set(key, done);
    return done;
  }

  private async write(key: string, served: readonly ServedDownload[]): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    for (let attempt = 0; ; attempt += 1) {
      const bundle = await this.options.kube.getBundle(namespace, name);
      if (!bundle) return;
      const listed = new Set((bundle.status?.versions ?? []).map((entry) => entry.version));
      const downloads = mergeDownloads(bundle.status?.usage?.downloads ?? [], served, listed);
      try {
        await this.options.kube.patchBundleStatusAt(namespace, name, bundle.metadata.resourceVersion ?? '', {
          usage: { downloads },
        });
        return;
      } catch (error) {
        if (classifyError(error).kind !== 'Conflict' || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }
}
