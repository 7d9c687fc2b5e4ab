import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../time/clock.js';
import { InvalidInputError } from '../errors.js';
import { validateBackoffPolicy, type BackoffPolicy } from './backoff.js';
import type { WatchTransport } from './client/kube-http.js';
import { classifyError } from './errors.js';
import { ListWatch, type Indexer } from './list-watch.js';
import { objectKey } from './object-key.js';
import type { TimerHandle, Timers } from '../time/timers.js';
import {
  INITIAL_WATCH_HEALTH,
  lastEventAgeMs,
  nextWatchHealth,
  restartDelayMs,
  watchdogRemainingMs,
  type WatchHealth,
  type WatchSignal,
} from './watch-health.js';

export type { WatchTransport } from './client/kube-http.js';

/** Typed health events, for logs (the snapshot from `health()` feeds readiness and metrics). */
export type WatchHealthEvent =
  | { type: 'Synced'; resource: string }
  | { type: 'Gone'; resource: string }
  | { type: 'Failed'; resource: string; reason: string }
  | { type: 'Stalled'; resource: string; silentForMs: number }
  | { type: 'RestartScheduled'; resource: string; delayMs: number; restarts: number };

export interface WatchHealthSnapshot {
  synced: boolean;
  watching: boolean;
  restarts: number;
  consecutiveFailures: number;
  lastEventAgeMs?: number;
  lastError?: string;
}

export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** Short name for logs and metric labels, e.g. `secrets`. */
  resource: string;
  /** Collection path to watch, e.g. `/api/v1/namespaces/db/secrets`. */
  path: string;
  /** Lists the same collection; must apply the selector it is given. */
  list: (labelSelector: string | undefined) => Promise<KubernetesListObject<T>>;
  /** Watch only objects we own, e.g. `app.kubernetes.io/managed-by=scb-operator`. */
  labelSelector?: string;
  transport: WatchTransport;
  /** The only thing a change does: put keys on a work queue. */
  enqueue: (key: string) => void;
  /**
   * Applied to every object before it is cached, e.g. to keep a Secret's metadata and a digest
   * of its data instead of the data itself: the cache then costs a few hundred bytes per object.
   */
  transform?: (object: T) => T;
  /** Secondary indexes kept with the cache (see `byIndex`). */
  indexers?: Readonly<Record<string, Indexer<T>>>;
  /** Keys to enqueue for a changed object (e.g. its owner's); default its own `namespace/name`. */
  keysFor?: (object: T) => readonly string[];
  clock: Clock;
  timers: Timers;
  random?: () => number;
  restartBackoff?: BackoffPolicy;
  /** Restart when nothing (event, bookmark, reconnect) has been seen for this long. */
  watchdogTimeoutMs?: number;
  /** Asks the server to end each watch after this long, so a healthy quiet watch still reconnects. */
  serverTimeoutSeconds?: number;
  onHealth?: (event: WatchHealthEvent) => void;
}

export const DEFAULT_WATCH_RESTART_BACKOFF: BackoffPolicy = {
  initialMs: 1000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
};
export const DEFAULT_WATCHDOG_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SERVER_TIMEOUT_SECONDS = 5 * 60;

interface Attempt<T extends KubernetesObject> {
  listWatch: ListWatch<T>;
  connected: boolean;
  dead: boolean;
}

/**
 * A watch that stays alive. A ListWatch relists after 410 Gone, but stops for good on any other
 * error and cannot notice a connection that silently stops delivering. Here each attempt is a
 * fresh ListWatch; an error or a stall abandons it and starts another after a jittered backoff,
 * while reads keep using the last synced cache until the new one has listed.
 */
export class ResilientInformer<T extends KubernetesObject> {
  private state: WatchHealth = INITIAL_WATCH_HEALTH;
  private current: Attempt<T> | undefined;
  private cache: ListWatch<T> | undefined;
  private watchdog: TimerHandle | undefined;
  private restartTimer: TimerHandle | undefined;
  private stopped = true;
  private readonly backoff: BackoffPolicy;
  private readonly watchdogTimeoutMs: number;
  private readonly serverTimeoutSeconds: number;
  private readonly random: () => number;

  constructor(private readonly options: ResilientInformerOptions<T>) {
    this.backoff = validateBackoffPolicy(
      options.restartBackoff ?? DEFAULT_WATCH_RESTART_BACKOFF,
      'restartBackoff',
    );
    this.watchdogTimeoutMs = options.watchdogTimeoutMs ?? DEFAULT_WATCHDOG_TIMEOUT_MS;
    this.serverTimeoutSeconds = options.serverTimeoutSeconds ?? DEFAULT_SERVER_TIMEOUT_SECONDS;
    this.random = options.random ?? Math.random;
    if (!(this.serverTimeoutSeconds >= 1) || this.watchdogTimeoutMs <= this.serverTimeoutSeconds * 1000) {
      throw new InvalidInputError(
        'InvalidWatchdogTimeout',
        `watchdogTimeoutMs (${this.watchdogTimeoutMs}) must exceed serverTimeoutSeconds (${this.serverTimeoutSeconds}) ` +
          'in milliseconds, or quiet but healthy watches would be restarted',
        'watchdogTimeoutMs',
      );
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startAttempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const attempt = this.current;
    this.current = undefined;
    this.state = { ...this.state, watching: false };
    if (attempt) this.abandon(attempt);
  }

  health(): WatchHealthSnapshot {
    const ageMs = lastEventAgeMs(this.state, this.options.clock.now());
    return {
      synced: this.state.synced,
      watching: this.state.watching,
      restarts: this.state.restarts,
      consecutiveFailures: this.state.consecutiveFailures,
      ...(ageMs !== undefined ? { lastEventAgeMs: ageMs } : {}),
      ...(this.state.lastError !== undefined ? { lastError: this.state.lastError } : {}),
    };
  }

  /** Reads from the last complete list plus the events since; empty until the first sync. */
  get(name: string, namespace?: string): T | undefined {
    return this.cache?.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.cache?.list(namespace) ?? [];
  }

  byIndex(name: string, value: string): readonly T[] {
    return this.cache?.byIndex(name, value) ?? [];
  }

  private startAttempt(): void {
    const { options } = this;
    const live = () => this.current === attempt && !attempt.dead;
    const attempt: Attempt<T> = {
      listWatch: new ListWatch<T>({
        path: options.path,
        transport: options.transport,
        list: () => options.list(options.labelSelector),
        query: {
          labelSelector: options.labelSelector,
          allowWatchBookmarks: true,
          timeoutSeconds: this.serverTimeoutSeconds,
        },
        ...(options.transform ? { transform: options.transform } : {}),
        ...(options.indexers ? { indexers: options.indexers } : {}),
        onChange: (object) => {
          if (live()) this.enqueueFor(object);
        },
        onEvent: (type, object) => {
          if (live()) this.onWatchEvent(attempt, type, object);
        },
        onWatching: () => {
          if (live()) this.onConnected(attempt);
        },
        onGone: () => {
          if (live()) this.emit({ type: 'Gone', resource: options.resource });
        },
        onError: (error) => {
          if (live()) this.fail(attempt, classifyError(error).message);
        },
      }),
      connected: false,
      dead: false,
    };
    this.current = attempt;
    this.signal({ type: 'AttemptStarted' });
    this.armWatchdog(this.watchdogTimeoutMs);
    attempt.listWatch.start().catch((error: unknown) => {
      if (live()) this.fail(attempt, classifyError(error).message);
    });
  }

  /** Each accepted watch follows a complete list or resumes one; the first makes this cache current. */
  private onConnected(attempt: Attempt<T>): void {
    this.signal({ type: 'Connected' });
    if (attempt.connected) return;
    attempt.connected = true;
    const previous = this.cache;
    this.cache = attempt.listWatch;
    // Objects deleted while no watch was open never produce a delete event; enqueue them here.
    for (const object of previous?.list() ?? []) {
      const { name = '', namespace } = object.metadata ?? {};
      if (!attempt.listWatch.get(name, namespace)) this.enqueueFor(object);
    }
    this.emit({ type: 'Synced', resource: this.options.resource });
  }

  private onWatchEvent(attempt: Attempt<T>, phase: string, object: unknown): void {
    this.signal({ type: 'Event' });
    if (phase !== 'ERROR') return;
    const code = (object as { code?: unknown } | undefined)?.code;
    // ListWatch relists by itself once the server closes this watch.
    if (code === 410) return;
    // ListWatch would silently re-watch from the same resourceVersion, possibly in a tight loop.
    const message = (object as { message?: unknown } | undefined)?.message;
    this.fail(
      attempt,
      `watch error event ${String(code)}: ${typeof message === 'string' ? message : 'no message'}`,
    );
  }

  private fail(attempt: Attempt<T>, reason: string): void {
    this.signal({ type: 'Failed', reason });
    this.emit({ type: 'Failed', resource: this.options.resource, reason });
    this.scheduleRestart(attempt);
  }

  private scheduleRestart(attempt: Attempt<T>): void {
    this.current = undefined;
    this.clearTimers();
    this.abandon(attempt);
    const delayMs = restartDelayMs(this.state, this.backoff, this.random);
    this.emit({
      type: 'RestartScheduled',
      resource: this.options.resource,
      delayMs,
      restarts: this.state.restarts,
    });
    this.restartTimer = this.options.timers.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.startAttempt();
    }, delayMs);
  }

  private armWatchdog(delayMs: number): void {
    this.watchdog = this.options.timers.setTimeout(() => {
      this.watchdog = undefined;
      const attempt = this.current;
      if (!attempt || this.stopped) return;
      const now = this.options.clock.now();
      const remainingMs = watchdogRemainingMs(this.state, now, this.watchdogTimeoutMs);
      if (remainingMs > 0) {
        this.armWatchdog(remainingMs);
        return;
      }
      const silentForMs = lastEventAgeMs(this.state, now) ?? this.watchdogTimeoutMs;
      this.signal({ type: 'Failed', reason: `no event for ${silentForMs} ms` });
      this.emit({ type: 'Stalled', resource: this.options.resource, silentForMs });
      this.scheduleRestart(attempt);
    }, delayMs);
  }

  private abandon(attempt: Attempt<T>): void {
    attempt.dead = true;
    attempt.listWatch.stop();
  }

  private clearTimers(): void {
    if (this.watchdog) this.options.timers.clearTimeout(this.watchdog);
    if (this.restartTimer) this.options.timers.clearTimeout(this.restartTimer);
    this.watchdog = undefined;
    this.restartTimer = undefined;
  }

  private enqueueFor(object: T): void {
    const keys = this.options.keysFor ? this.options.keysFor(object) : [objectKey(object)];
    for (const key of keys) this.options.enqueue(key);
  }

  private signal(signal: WatchSignal): void {
    this.state = nextWatchHealth(this.state, signal, this.options.clock.now());
  }

  private emit(event: WatchHealthEvent): void {
    this.options.onHealth?.(event);
  }
}
