import type { Clock } from '../../../src/time/clock.js';
import type { TimerHandle, Timers } from '../../../src/time/timers.js';

interface PendingTimer {
  handle: TimerHandle;
  dueAtMs: number;
  sequence: number;
  callback: () => void;
}

/** Lets promise chains started by timers or I/O fakes run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock and timer scheduler that only move when a test calls `advance`. */
export class ManualTime implements Clock, Timers {
  private nowMs: number;
  private pending: PendingTimer[] = [];
  private sequence = 0;

  constructor(start: Date = new Date('2026-01-01T00:00:00Z')) {
    this.nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = { timer: this.sequence };
    this.pending.push({
      handle,
      dueAtMs: this.nowMs + Math.max(0, delayMs),
      sequence: this.sequence++,
      callback,
    });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((timer) => timer.handle !== handle);
  }

  pendingTimers(): number {
    return this.pending.length;
  }

  /** Move time forward, firing due timers in order and settling the work each one starts. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = [...this.pending]
        .filter((timer) => timer.dueAtMs <= targetMs)
        .sort((a, b) => a.dueAtMs - b.dueAtMs || a.sequence - b.sequence)[0];
      if (!next) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.nowMs = next.dueAtMs;
      next.callback();
      await settle();
    }
    this.nowMs = targetMs;
  }
}
