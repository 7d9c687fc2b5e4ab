/**
 * Plain HTTPS to the apiserver for the control plane's own bootstrap. Not client-node: its typed
 * serializer maps objects through its TypeScript models and silently drops the keys whose JSON
 * names differ (`default`, `x-kubernetes-validations`, ...), which would strip a CRD of its
 * defaults and CEL rules.
 */
import http from 'node:http';
import https from 'node:https';

/** The CA to trust and the client certificate to present. */
export type ApiTls = Pick<https.RequestOptions, 'ca' | 'cert' | 'key'>;

export interface ApiResponse {
  statusCode: number;
  body: string;
}

/** Resolves to undefined while nothing answers (connection refused, reset, timeout). */
export function apiRequest(
  url: string,
  tls: ApiTls = {},
  method = 'GET',
  json?: unknown,
): Promise<ApiResponse | undefined> {
  return new Promise((resolve) => {
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const request = (url.startsWith('https:') ? https : http).request(
      url,
      {
        ...tls,
        method,
        // No keep-alive: a pooled socket would hold this process open for seconds after stop().
        agent: false,
        timeout: 5000,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body }));
        response.on('error', () => resolve(undefined));
      },
    );
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
    request.end(payload);
  });
}
