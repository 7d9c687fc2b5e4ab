import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { WriteFence } from '../write-fence.js';
import type { KubeConnection } from './kube-connection.js';

/** A non-2xx answer; `body` is the server's Status object (errors.ts reads code, reason, message). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    const message = (body as { message?: unknown } | undefined)?.message;
    super(`${method} ${path}: HTTP ${statusCode}${typeof message === 'string' ? `: ${message}` : ''}`);
  }
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Default application/json; patches name their strategy. */
  contentType?: string;
}

/** Callback shapes of a watch; `raw` is the whole event as the server sent it. */
export type WatchCallback = (type: string, object: unknown, raw: unknown) => void;
export type WatchDone = (error: unknown) => void;

/** The streaming half of the client, as the informers use it (a fake backs their unit tests). */
export interface WatchTransport {
  watch(
    path: string,
    query: Record<string, QueryValue>,
    callback: WatchCallback,
    done: WatchDone,
  ): Promise<AbortController>;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const JSON_PATCH = 'application/json-patch+json';

/** A call that hears nothing back for this long is abandoned and retried by its caller. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * JSON over HTTP(S) to the API server: the few verbs the operator uses and watch streams. Objects
 * stay the plain JSON the server sent (no model classes), which is what keeps the operator small.
 */
export class KubeHttp implements WatchTransport {
  constructor(
    private readonly connection: KubeConnection,
    private readonly writeFence?: WriteFence,
  ) {}

  /** The same connection, with every write (any verb but GET) let through only while `fence` is open. */
  fenced(fence: WriteFence): KubeHttp {
    return new KubeHttp(this.connection, fence);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const signal = method === 'GET' ? undefined : this.writeFence?.admit();
    const response = await this.send(method, path, options, signal, true);
    const text = await readBody(response);
    const parsed = text === '' ? undefined : parseJson(text);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw new KubeApiError(status, parsed, method, path);
    return parsed as T;
  }

  /** `?watch=true` on a collection: one callback per event line; `done` once, when it ends. */
  async watch(
    path: string,
    query: Record<string, QueryValue>,
    callback: WatchCallback,
    done: WatchDone,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let finished = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      done(error);
    };
    let response: IncomingMessage;
    try {
      response = await this.send('GET', path, { query: { ...query, watch: true } }, controller.signal, false);
    } catch (error) {
      finish(error);
      return controller;
    }
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      const text = await readBody(response).catch(() => '');
      finish(new KubeApiError(status, text === '' ? undefined : parseJson(text), 'GET', path));
      return controller;
    }
    const lines = createInterface({ input: response, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (finished || line.trim() === '') return;
      let event: { type?: unknown; object?: unknown };
      try {
        event = JSON.parse(line) as { type?: unknown; object?: unknown };
      } catch {
        controller.abort();
        finish(new Error(`watch ${path}: the server sent a line that is not JSON`));
        return;
      }
      callback(String(event.type), event.object, event);
    });
    // readline re-emits the stream's errors (an abort included); both must be handled.
    lines.on('error', finish);
    response.on('error', finish);
    response.on('close', () => finish(controller.signal.aborted ? abortError() : null));
    return controller;
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    signal: AbortSignal | undefined,
    timeout: boolean,
  ): Promise<IncomingMessage> {
    const target = await this.connection.target();
    const url = new URL(target.server.pathname.replace(/\/$/, '') + path, target.server);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: 'application/json', ...target.headers };
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = transport.request(url, {
        method,
        headers,
        agent: target.agent,
        ...(signal ? { signal } : {}),
        // A watch stays open for minutes: its informer's watchdog, not this timeout, ends it.
        ...(timeout ? { timeout: REQUEST_TIMEOUT_MS } : {}),
      });
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error(`${method} ${path} timed out`), { code: 'ETIMEDOUT' })),
      );
      request.on('response', resolve);
      request.on('error', reject);
      request.end(payload);
    });
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A proxy's HTML error page, for instance: keep a short excerpt, never the whole body.
    return { message: text.slice(0, 200) };
  }
}

function abortError(): Error {
  return Object.assign(new Error('watch aborted'), { name: 'AbortError' });
}
