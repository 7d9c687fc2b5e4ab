/**
 * The metadata service drivers call in cloud mode: HTTPS with mutual TLS (a client certificate
 * chaining to the cluster's client-CA trust bundle), `GET /metadata` only. Its TLS material is
 * swapped in place when the files change (rotation), without dropping open connections.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { MetadataDocument } from './metadata-document.js';
import type { TlsMaterial } from './tls-files.js';

export interface MetadataServiceOptions {
  material: TlsMaterial;
  document: () => MetadataDocument | undefined;
  metrics: GatewayMetrics;
  logger: Logger;
}

export interface MetadataService {
  listen(port: number, host: string): Promise<number>;
  /** New connections use this material from now on. */
  reload(material: TlsMaterial): void;
  close(): Promise<void>;
}

export function createMetadataService(options: MetadataServiceOptions): MetadataService {
  const { metrics, logger } = options;
  const server = https.createServer(
    {
      ...secureContextOptions(options.material),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      // Drivers make one small request per session.
      headersTimeout: 10_000,
      requestTimeout: 10_000,
      maxHeaderSize: 8_192,
    },
    (request, response) => {
      const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): void => {
        metrics.metadataRequest(status);
        response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        response.end(body);
      };
      const path = new URL(request.url ?? '/', 'https://gateway.invalid').pathname;
      if (path !== '/metadata') return reply(404, 'not found\n');
      if (request.method !== 'GET') {
        response.setHeader('Allow', 'GET');
        return reply(405, 'method not allowed\n');
      }
      const document = options.document();
      if (document === undefined) return reply(503, 'no node of the local datacenter is up\n');
      reply(200, JSON.stringify(document), 'application/json');
    },
  );
  server.on('tlsClientError', (error) => {
    logger.debug('metadata client refused during the TLS handshake', { error: error.message });
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    reload: (material) => server.setSecureContext(secureContextOptions(material)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function secureContextOptions(material: TlsMaterial): { cert: string; key: string; ca: string } {
  return { cert: material.certPem, key: material.keyPem.reveal(), ca: material.trustPem };
}
