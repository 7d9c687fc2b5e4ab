/**
 * The only way code here schedules work, so tests can drive time by hand instead of sleeping.
 * Handles are opaque: callers only pass them back to `clearTimeout`.
 */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = object;

/**
 * Node's timers, unref'd so a pending requeue or watchdog never keeps a finished process alive
 * (graceful shutdown is driven explicitly, not by waiting for timers to run out).
 */
export const systemTimers: Timers = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
