import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One condition the operator must meet before it is ready, e.g. "secrets informer synced". */
export interface ReadinessCheck {
  name: string;
  isReady(): boolean | Promise<boolean>;
}

export interface HealthServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  registry: Registry;
  readinessChecks: readonly ReadinessCheck[];
  /**
   * What can fail while the replica still serves what it has (the API server unreachable, the
   * Lease lost): listed in /readyz as `[-]name degraded` without making it fail, since a replica
   * taken out of its Service could not serve downloads either.
   */
  degradationChecks?: readonly ReadinessCheck[];
}

export interface HealthServer {
  /** The bound port, useful when 0 was requested. */
  port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process answers), `/readyz` (every readiness check passes; the body lists
 * each check with `[+]`/`[-]` as the Kubernetes apiserver does, then what is degraded) and
 * `/metrics` (Prometheus text).
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch(() => {
      if (!response.headersSent) reply(response, 500, 'internal error\n');
      else response.end();
    });
  });
  await listen(server, options.port, options.host ?? '0.0.0.0');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(options: HealthServerOptions, request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    reply(response, 405, 'method not allowed\n');
    return;
  }
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/healthz':
      reply(response, 200, 'ok\n');
      return;
    case '/readyz': {
      const results = await Promise.all(options.readinessChecks.map(runCheck));
      const degradations = await Promise.all((options.degradationChecks ?? []).map(runCheck));
      const ready = results.every((result) => result.ok);
      const degraded = degradations.some((result) => !result.ok);
      const lines = [
        ...results.map((result) => `[${result.ok ? '+' : '-'}]${result.name} ${result.ok ? 'ok' : 'failed'}`),
        ...degradations.map(
          (result) => `[${result.ok ? '+' : '-'}]${result.name} ${result.ok ? 'ok' : 'degraded'}`,
        ),
      ];
      const verdict = !ready ? 'not ready' : degraded ? 'ready (degraded)' : 'ready';
      reply(response, ready ? 200 : 503, [...lines, verdict, ''].join('\n'));
      return;
    }
    case '/metrics':
      reply(response, 200, await options.registry.metrics(), options.registry.contentType);
      return;
    default:
      reply(response, 404, 'not found\n');
  }
}

/** A check that throws counts as not ready; its error text is not echoed to the caller. */
async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean }> {
  try {
    return { name: check.name, ok: (await check.isReady()) === true };
  } catch {
    return { name: check.name, ok: false };
  }
}

function reply(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
) {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
