/**
 * Lets writes through only while this replica leads. Closing it refuses new writes and aborts the
 * ones on the wire, so a replica that lost its Lease stops writing at once instead of finishing
 * reconciles that another leader may already be running (client-go leaves that to the process
 * exiting; we stay up and keep serving reads).
 */
export class WriteFence {
  private controller: AbortController | undefined;

  /** Writes pass from now on (leadership won). */
  open(): void {
    this.controller ??= new AbortController();
  }

  /** Refuse writes from now on and abort those in flight (leadership lost). */
  close(): void {
    this.controller?.abort(new WriteFencedError());
    this.controller = undefined;
  }

  isOpen(): boolean {
    return this.controller !== undefined;
  }

  /** The signal a write carries; throws when the fence is closed. */
  admit(): AbortSignal {
    if (!this.controller) throw new WriteFencedError();
    return this.controller.signal;
  }
}

/** A write refused or aborted because this replica no longer leads (retried when it leads again). */
export class WriteFencedError extends Error {
  override readonly name = 'WriteFencedError';

  constructor() {
    super('not leading: write dropped');
  }
}
