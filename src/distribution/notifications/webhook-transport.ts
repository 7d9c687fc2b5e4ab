import http from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from '../outbound/index.js';

/** One HTTP POST; resolves with the response status. Tests inject their own. */
export type WebhookTransport = (
  url: string,
  request: { headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<number>;

/**
 * POSTs through the outbound guard's agents (every connection vetted, see distribution/outbound).
 * Redirects are not followed, and the response body is drained unread: nothing a receiver
 * answers reaches a log line or status beyond its status code.
 */
export function guardedTransport(guard: OutboundGuard): { transport: WebhookTransport; close(): void } {
  const { httpAgent, httpsAgent } = guard.agents();
  const transport: WebhookTransport = (url, request) =>
    new Promise<number>((resolve, reject) => {
      const secure = url.startsWith('https:');
      const outgoing = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
          signal: request.signal,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  return {
    transport,
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
