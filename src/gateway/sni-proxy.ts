/**
 * The SNI pass-through proxy: reads a client's ClientHello, routes by its server_name (a node's
 * host_id) to that node's native TLS port and then copies bytes both ways. It never terminates
 * TLS, so the node sees the client's own certificate (client auth, MutualTlsAuthenticator).
 * An unknown or missing name is closed, so it relays to nothing but the cluster's own nodes.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { Logger } from '../observability/logger.js';
import { readClientHello } from './client-hello.js';
import type { GatewayMetrics, RefusalReason } from './gateway-metrics.js';
import type { NodeRoute, RouteTable } from './routes.js';

export interface SniProxyLimits {
  /** Largest ClientHello accepted (handshake message bytes). */
  maxClientHelloBytes: number;
  /** How long a client has to send its whole ClientHello. */
  helloTimeoutMs: number;
  /** Client connections held at once; more are closed at accept. */
  maxConnections: number;
  /** How long a node may take to accept the TCP connection. */
  nodeConnectTimeoutMs: number;
}

export const defaultSniProxyLimits: SniProxyLimits = {
  maxClientHelloBytes: 16_384,
  helloTimeoutMs: 10_000,
  maxConnections: 10_000,
  nodeConnectTimeoutMs: 5_000,
};

export interface SniProxyOptions {
  routes: () => RouteTable;
  metrics: GatewayMetrics;
  logger: Logger;
  limits?: Partial<SniProxyLimits>;
}

export interface SniProxy {
  listen(port: number, host: string): Promise<number>;
  /** Client connections held now. */
  readonly connections: number;
  /**
   * Stops accepting, lets routed connections finish until the deadline, then closes the rest;
   * resolves with how many were closed at the deadline.
   */
  drain(deadlineMs: number): Promise<number>;
}

// Records of 5 bytes each may carry a hello fragmented into tiny pieces: allow their headers.
const RECORD_OVERHEAD_FACTOR = 2;

export function createSniProxy(options: SniProxyOptions): SniProxy {
  const limits = { ...defaultSniProxyLimits, ...options.limits };
  const { metrics, logger } = options;
  const clients = new Set<net.Socket>();
  let draining = false;

  const refuse = (socket: net.Socket, reason: RefusalReason, detail?: string): void => {
    metrics.refusedConnection(reason);
    logger.debug('closed a client connection before routing', {
      reason,
      ...(detail === undefined ? {} : { detail }),
      client: socket.remoteAddress,
    });
    socket.destroy();
  };

  const server = net.createServer({ pauseOnConnect: false, noDelay: true }, (client) => {
    if (draining) return refuse(client, 'draining');
    if (clients.size >= limits.maxConnections) return refuse(client, 'too_many');
    clients.add(client);
    metrics.connectionOpened();
    client.once('close', () => {
      clients.delete(client);
      metrics.connectionClosed();
    });
    client.on('error', () => {});

    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => refuse(client, 'hello_timeout'), limits.helloTimeoutMs);
    // A client that leaves before its hello is not a timeout.
    client.once('close', () => clearTimeout(timer));
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const hello = readClientHello(buffered, limits.maxClientHelloBytes);
      if (hello.state === 'incomplete') {
        if (buffered.length > limits.maxClientHelloBytes * RECORD_OVERHEAD_FACTOR) {
          clearTimeout(timer);
          refuse(client, 'invalid_hello', 'too many bytes before a whole ClientHello');
        }
        return;
      }
      clearTimeout(timer);
      client.off('data', onData);
      client.pause();
      if (hello.state === 'invalid') return refuse(client, 'invalid_hello', hello.reason);
      if (hello.serverName === undefined) return refuse(client, 'missing_sni');
      const route = options.routes().route(hello.serverName);
      if (route === undefined) return refuse(client, 'unknown_sni');
      connectToNode(client, route, buffered);
    };
    client.on('data', onData);
  });

  const connectToNode = (client: net.Socket, route: NodeRoute, hello: Buffer): void => {
    metrics.routed(route.hostId);
    const node = net.connect({ host: route.address, port: route.port, noDelay: true });
    const connectTimer = setTimeout(
      () => node.destroy(new Error('connect timeout')),
      limits.nodeConnectTimeoutMs,
    );
    node.once('connect', () => clearTimeout(connectTimer));
    node.on('error', (error) => {
      clearTimeout(connectTimer);
      metrics.nodeError(route.hostId);
      logger.warn('connection to a node failed', { node: route.hostId, error: error.message });
      client.destroy();
    });
    node.write(hello);
    const transfer = metrics.openTransfer(route.hostId);
    transfer.toNode += hello.length;
    client.on('data', (chunk: Buffer) => (transfer.toNode += chunk.length));
    node.on('data', (chunk: Buffer) => (transfer.toClient += chunk.length));
    client.pipe(node);
    node.pipe(client);
    client.once('close', () => {
      metrics.closeTransfer(transfer);
      node.destroy();
    });
    node.once('close', () => client.destroy());
    client.resume();
  };

  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as net.AddressInfo).port);
        });
      }),
    get connections() {
      return clients.size;
    },
    drain: async (deadlineMs) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = new Promise<'deadline'>((resolve) =>
        setTimeout(() => resolve('deadline'), deadlineMs).unref(),
      );
      const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
      if (outcome === 'closed') return 0;
      const left = [...clients];
      // Each client's close also closes its node connection.
      const allClosed = Promise.all(left.map((client) => once(client, 'close')));
      for (const client of left) client.destroy();
      await Promise.all([closed, allClosed]);
      return left.length;
    },
  };
}
