import { InvalidInputError } from '../errors.js';

/**
 * What a failed Kubernetes call means for the caller:
 * - `Conflict`: someone else wrote first (409); re-read and retry at once.
 * - `Transient`: the server or network may recover (5xx, 429, timeouts, resets, RBAC not yet
 *   granted); retry with backoff.
 * - `NotFound`: the object is gone (404); nothing to retry, the next event brings us back.
 * - `Invalid`: the request itself is wrong (other 4xx, or our own InvalidInputError); retrying the
 *   same input cannot help, so the caller marks the object Stalled and waits for a spec change.
 */
export type KubeErrorKind = 'Conflict' | 'Transient' | 'NotFound' | 'Invalid';

export interface ClassifiedError {
  kind: KubeErrorKind;
  /** HTTP status when the error came from the API server. */
  status?: number;
  /** Kubernetes `Status.reason` (e.g. `AlreadyExists`) or our InvalidInputError reason. */
  reason?: string;
  /**
   * Safe to log: the server's `Status.message` or the error's own message, never the raw
   * ApiException text (which embeds the response body and headers).
   */
  message: string;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
]);

const NETWORK_ERROR_NAMES = new Set(['AbortError', 'TimeoutError', 'FetchError']);

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof InvalidInputError) {
    return { kind: 'Invalid', reason: error.reason, message: error.message };
  }
  const status = httpStatusOf(error);
  const serverStatus = kubernetesStatusOf(error);
  if (status !== undefined) {
    return {
      kind: kindForStatus(status),
      status,
      ...(serverStatus?.reason ? { reason: serverStatus.reason } : {}),
      message: serverStatus?.message ?? `HTTP ${status}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Network failures and unknown errors alike are retried with backoff: backoff is capped, so even
  // a bug in our own code costs a slow retry, not a storm, and recovers once the cause is fixed.
  const networkCode = networkCodeOf(error);
  return { kind: 'Transient', ...(networkCode ? { reason: networkCode } : {}), message };
}

function kindForStatus(status: number): KubeErrorKind {
  if (status === 409) return 'Conflict';
  if (status === 404) return 'NotFound';
  // 401/403 are fixed by an administrator (RBAC, token), not by a spec change: keep retrying slowly.
  if (status === 408 || status === 429 || status === 401 || status === 403 || status === 410)
    return 'Transient';
  if (status >= 500) return 'Transient';
  if (status >= 400) return 'Invalid';
  return 'Transient';
}

/**
 * The HTTP status of an error from client-node 1.x, wherever it keeps it: `ApiException.code`
 * (typed calls), `statusCode` (Watch), `response.statusCode` (0.x-style errors), or the `code` of
 * the Kubernetes Status object in the body (parsed when the body is still JSON text).
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as Record<string, unknown>;
  const response = record['response'];
  const candidates = [
    record['code'],
    record['statusCode'],
    typeof response === 'object' && response !== null
      ? (response as Record<string, unknown>)['statusCode']
      : undefined,
    kubernetesStatusOf(error)?.code,
  ];
  for (const candidate of candidates) {
    const status = asHttpStatus(candidate);
    if (status !== undefined) return status;
  }
  return undefined;
}

function asHttpStatus(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 100 && number <= 599
    ? number
    : undefined;
}

interface KubernetesStatus {
  code?: unknown;
  reason?: string;
  message?: string;
}

function kubernetesStatusOf(error: unknown): KubernetesStatus | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  let body = (error as Record<string, unknown>)['body'];
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const status = body as Record<string, unknown>;
  if (status['kind'] !== undefined && status['kind'] !== 'Status') return undefined;
  return {
    code: status['code'],
    ...(typeof status['reason'] === 'string' ? { reason: status['reason'] } : {}),
    ...(typeof status['message'] === 'string' ? { message: status['message'] } : {}),
  };
}

/** Socket-level codes, also through `cause` chains (undici wraps them in `TypeError: fetch failed`). */
function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const record = current as Record<string, unknown>;
    const code = record['code'];
    if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || code.startsWith('UND_ERR_'))) {
      return code;
    }
    const name = record['name'];
    if (typeof name === 'string' && NETWORK_ERROR_NAMES.has(name)) return name;
    current = record['cause'];
  }
  return undefined;
}
