import type { Clock } from '../../time/clock.js';

/**
 * A small expiring map for TokenReview and SubjectAccessReview answers. Keys are digests chosen
 * by the caller (never a raw token); entries live `ttlMs` and the oldest goes first once
 * `maxEntries` is reached, so a flood of distinct tokens costs bounded memory. A ttl of 0 turns
 * caching off.
 */
export class ReviewCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
