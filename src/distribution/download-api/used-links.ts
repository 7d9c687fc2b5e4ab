import type { Clock } from '../../time/clock.js';

/**
 * Single-use link ids already spent, remembered until their link expires (after that the
 * signature check refuses the link anyway). Memory of one process: with several replicas serving
 * downloads, a single-use link holds only when every request reaches the same replica (serve the
 * API from the leader, or route links stickily). When full, new single-use downloads are refused
 * rather than forgetting an id early, which would let a spent link work again.
 */
export class UsedLinks {
  private readonly spent = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 100_000,
  ) {}

  /** 'claimed' the first time, 'spent' after; 'full' when nothing can be remembered. */
  claim(linkId: string, expiresAt: Date): 'claimed' | 'spent' | 'full' {
    const now = this.clock.now().getTime();
    if (this.spent.has(linkId)) return 'spent';
    if (this.spent.size >= this.maxEntries) {
      for (const [id, expiry] of this.spent) if (expiry <= now) this.spent.delete(id);
      if (this.spent.size >= this.maxEntries) return 'full';
    }
    this.spent.set(linkId, expiresAt.getTime());
    return 'claimed';
  }
}
