import { WorkQueue, type ReconcileReport, type ReconcileResult } from '../../../src/kube/work-queue.js';
import { ApiException } from '@kubernetes/client-node';
import { InvalidInputError } from '../../../src/errors.js';
import { ManualTime, settle } from './manual-time.js';

interface Deferred {
  resolve(result?: ReconcileResult): void;
  reject(error: unknown): void;
}

/** A reconciler whose every call waits until the test finishes it, recording when each started. */
class ScriptedReconciler {
  readonly started: Array<{ key: string; atMs: number }> = [];
  readonly inFlight = new Map<string, Deferred>();
  maxConcurrent = 0;

  constructor(private readonly time: ManualTime) {}

  readonly reconcile = (key: string): Promise<ReconcileResult> => {
    this.started.push({ key, atMs: this.time.now().getTime() });
    return new Promise<ReconcileResult>((resolve, reject) => {
      this.inFlight.set(key, {
        resolve: (result) => {
          this.inFlight.delete(key);
          resolve(result);
        },
        reject: (error) => {
          this.inFlight.delete(key);
          reject(error);
        },
      });
      this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight.size);
    });
  };

  async finish(key: string, result?: ReconcileResult): Promise<void> {
    const call = this.inFlight.get(key);
    if (!call) throw new Error(`${key} is not running`);
    call.resolve(result);
    await settle();
  }

  async fail(key: string, error: unknown): Promise<void> {
    const call = this.inFlight.get(key);
    if (!call) throw new Error(`${key} is not running`);
    call.reject(error);
    await settle();
  }

  startsOf(key: string): number[] {
    return this.started.filter((start) => start.key === key).map((start) => start.atMs);
  }
}

const T0 = new Date('2026-01-01T00:00:00Z').getTime();
const transient = () => new ApiException(503, 'Unavailable', undefined, {});
const conflict = () => new ApiException(409, 'Conflict', undefined, {});

function setup(concurrency = 2) {
  const time = new ManualTime(new Date(T0));
  const reconciler = new ScriptedReconciler(time);
  const reports: ReconcileReport[] = [];
  const queue = new WorkQueue({
    reconcile: reconciler.reconcile,
    concurrency,
    clock: time,
    timers: time,
    backoff: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 },
    maxImmediateConflictRetries: 2,
    random: () => 0,
    onReconciled: (report) => reports.push(report),
  });
  return { time, reconciler, reports, queue };
}

describe('WorkQueue', () => {
  it('holds a key added many times while waiting once, and runs nothing before start', async () => {
    const { queue, reconciler } = setup();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    await settle();
    expect(reconciler.started).toEqual([]);
    expect(queue.depth()).toBe(2);

    queue.start();
    await settle();
    expect(reconciler.started.map((s) => s.key)).toEqual(['ns/a', 'ns/b']);
    expect(queue.depth()).toBe(0);
  });

  it('pause stops starting keys and drops delayed ones; keys added meanwhile run after start', async () => {
    const { queue, reconciler, time } = setup(2);
    queue.start();
    queue.add('ns/a');
    await settle();
    queue.addAfter('ns/delayed', 1000);
    queue.pause();
    await reconciler.fail('ns/a', transient());
    queue.add('ns/b');
    await time.advance(60_000);
    expect(reconciler.started.map((s) => s.key)).toEqual(['ns/a']);
    expect(queue.depth()).toBe(2);

    queue.start();
    await settle();
    // ns/a's retry was queued by its failure while paused; ns/delayed was dropped with the pause.
    expect(reconciler.started.map((s) => s.key).sort()).toEqual(['ns/a', 'ns/a', 'ns/b']);
  });

  it('never runs one key twice at once; a key added while running runs exactly once more after', async () => {
    const { queue, reconciler } = setup(4);
    queue.start();
    queue.add('ns/a');
    await settle();
    queue.add('ns/a');
    queue.add('ns/a');
    await settle();
    expect(reconciler.startsOf('ns/a')).toHaveLength(1);

    await reconciler.finish('ns/a');
    expect(reconciler.startsOf('ns/a')).toHaveLength(2);
    await reconciler.finish('ns/a');
    expect(reconciler.startsOf('ns/a')).toHaveLength(2);
  });

  it('runs at most `concurrency` reconciles at once and starts the next as one finishes', async () => {
    const { queue, reconciler } = setup(2);
    queue.start();
    for (const key of ['ns/a', 'ns/b', 'ns/c', 'ns/d']) queue.add(key);
    await settle();
    expect([...reconciler.inFlight.keys()]).toEqual(['ns/a', 'ns/b']);
    expect(queue.depth()).toBe(2);

    await reconciler.finish('ns/b');
    expect([...reconciler.inFlight.keys()]).toEqual(['ns/a', 'ns/c']);
    await reconciler.finish('ns/a');
    await reconciler.finish('ns/c');
    await reconciler.finish('ns/d');
    expect(reconciler.maxConcurrent).toBe(2);
  });

  it('addAfter keeps the earliest due time for a key, whichever order the calls come in', async () => {
    const { queue, reconciler, time } = setup();
    queue.start();
    queue.addAfter('ns/late-first', 10_000);
    queue.addAfter('ns/late-first', 3_000);
    queue.addAfter('ns/early-first', 3_000);
    queue.addAfter('ns/early-first', 10_000);

    await time.advance(2_999);
    expect(reconciler.started).toEqual([]);
    await time.advance(1);
    expect(reconciler.started).toEqual([
      { key: 'ns/late-first', atMs: T0 + 3000 },
      { key: 'ns/early-first', atMs: T0 + 3000 },
    ]);
    await reconciler.finish('ns/late-first');
    await reconciler.finish('ns/early-first');
    await time.advance(60_000);
    expect(reconciler.started).toHaveLength(2);
  });

  it('runs a key again exactly when its reconcile asked (requeueAfterMs)', async () => {
    const { queue, reconciler, reports, time } = setup();
    queue.start();
    queue.add('ns/bundle');
    await settle();
    await reconciler.finish('ns/bundle', { requeueAfterMs: 86_400_000 });
    expect(reports[0]).toMatchObject({ key: 'ns/bundle', outcome: 'Requeue', retryInMs: 86_400_000 });

    await time.advance(86_400_000 - 1);
    expect(reconciler.startsOf('ns/bundle')).toEqual([T0]);
    await time.advance(1);
    expect(reconciler.startsOf('ns/bundle')).toEqual([T0, T0 + 86_400_000]);
  });

  it('backs off a failing key exponentially up to the cap, and a success resets it', async () => {
    const { queue, reconciler, reports, time } = setup();
    queue.start();
    queue.add('ns/a');
    await settle();
    for (let attempt = 0; attempt < 5; attempt++) {
      await reconciler.fail('ns/a', transient());
      await time.advance(reports.at(-1)?.retryInMs ?? 0);
    }
    expect(reports.map((r) => r.retryInMs)).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(reports.every((r) => r.outcome === 'Transient')).toBe(true);

    await reconciler.finish('ns/a');
    queue.add('ns/a');
    await settle();
    await reconciler.fail('ns/a', transient());
    expect(reports.at(-1)?.retryInMs).toBe(1000);
  });

  it('forget resets the backoff of a key', async () => {
    const { queue } = setup();
    expect(queue.addRateLimited('ns/a')).toBe(1000);
    expect(queue.addRateLimited('ns/a')).toBe(2000);
    queue.forget('ns/a');
    expect(queue.addRateLimited('ns/a')).toBe(1000);
  });

  it('retries a conflict at once, then falls back to backoff when conflicts keep coming', async () => {
    const { queue, reconciler, reports, time } = setup();
    queue.start();
    queue.add('ns/a');
    await settle();
    await reconciler.fail('ns/a', conflict());
    await reconciler.fail('ns/a', conflict());
    expect(reconciler.startsOf('ns/a')).toEqual([T0, T0, T0]);

    await reconciler.fail('ns/a', conflict());
    expect(reports.map((r) => [r.outcome, r.retryInMs])).toEqual([
      ['Conflict', 0],
      ['Conflict', 0],
      ['Conflict', 1000],
    ]);
    await time.advance(1000);
    expect(reconciler.startsOf('ns/a')).toHaveLength(4);
  });

  it.each([
    ['invalid input', new InvalidInputError('BadSpec', 'spec.x: fix it'), 'Invalid'],
    ['a 422 from the API server', new ApiException(422, 'Invalid', undefined, {}), 'Invalid'],
    ['NotFound', new ApiException(404, 'NotFound', undefined, {}), 'NotFound'],
  ])('does not retry after %s', async (_name, error, outcome) => {
    const { queue, reconciler, reports, time } = setup();
    queue.start();
    queue.add('ns/a');
    await settle();
    await reconciler.fail('ns/a', error);
    await time.advance(3_600_000);
    expect(reconciler.started).toHaveLength(1);
    expect(reports).toEqual([
      expect.objectContaining({ key: 'ns/a', outcome, error: expect.objectContaining({ kind: outcome }) }),
    ]);
    expect(reports[0]?.retryInMs).toBeUndefined();
  });

  it('reports the duration of each reconcile from the injected clock', async () => {
    const { queue, reconciler, reports, time } = setup();
    queue.start();
    queue.add('ns/a');
    await settle();
    await time.advance(1234);
    await reconciler.finish('ns/a');
    expect(reports[0]).toEqual({ key: 'ns/a', outcome: 'Success', durationMs: 1234 });
  });

  it('shutdown with drain waits for in-flight reconciles, starts nothing new and accepts no keys', async () => {
    const { queue, reconciler, time } = setup(1);
    queue.start();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.addAfter('ns/c', 1000);
    await settle();

    let drained = false;
    const shutdown = queue.shutdown({ drain: true }).then(() => {
      drained = true;
    });
    queue.add('ns/d');
    await settle();
    expect(drained).toBe(false);

    await reconciler.finish('ns/a');
    await shutdown;
    expect(drained).toBe(true);
    await time.advance(10_000);
    expect(reconciler.started.map((s) => s.key)).toEqual(['ns/a']);
    expect(time.pendingTimers()).toBe(0);
  });

  it('shutdown with drain resolves at once when nothing is running', async () => {
    const { queue } = setup();
    await expect(queue.shutdown({ drain: true })).resolves.toBeUndefined();
  });

  it('rejects a concurrency below one, naming the option', () => {
    const time = new ManualTime();
    expect(
      () => new WorkQueue({ reconcile: async () => undefined, concurrency: 0, clock: time, timers: time }),
    ).toThrow(/concurrency/);
  });
});
