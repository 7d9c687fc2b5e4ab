/**
 * The error a connection refused by the outbound policy fails with. Its message is fixed and
 * names no address, because it can travel into a status condition or an Event; what was refused
 * (host, resolved address, range) is in `detail`, for the operator log only.
 */
export const OUTBOUND_REFUSED_CODE = 'ERR_SCB_OUTBOUND_REFUSED';
const MESSAGE = 'refused by the operator outbound policy';

export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = OUTBOUND_REFUSED_CODE;

  constructor(readonly detail: { host: string; address: string; range: string }) {
    super(MESSAGE);
  }
}

/**
 * True when the error, or one in its cause chain, is a refusal. Also recognises the refusal by its
 * text, because a client library may replace an error from another realm (Jest's VM sandbox) by
 * a wrapper that keeps only the message.
 */
export function isOutboundRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (candidate.code === OUTBOUND_REFUSED_CODE) return true;
    if (typeof candidate.message === 'string' && candidate.message.includes(MESSAGE)) return true;
    current = candidate.cause;
  }
  return false;
}

/** The refusal's detail for the log, when the error carries one. */
export function refusalDetail(error: unknown): OutboundRefusedError['detail'] | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof OutboundRefusedError) return current.detail;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
