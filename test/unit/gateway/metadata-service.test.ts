import https from 'node:https';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../../../src/gateway/gateway-metrics.js';
import { metadataDocument } from '../../../src/gateway/metadata-document.js';
import { createMetadataService, type MetadataService } from '../../../src/gateway/metadata-service.js';
import { RouteTable, type NodeRoute } from '../../../src/gateway/routes.js';
import type { TlsMaterial } from '../../../src/gateway/tls-files.js';
import { createLogger } from '../../../src/observability/logger.js';
import { secretValue } from '../../../src/observability/secret-value.js';
import { createCertificateAuthority, type PemPair } from '../../support/control-plane-pki.js';

const route = (hostId: string, datacenter: string, up: boolean): NodeRoute => ({
  hostId,
  address: '10.0.0.1',
  port: 9042,
  datacenter,
  up,
});
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const D = '44444444-4444-4444-8444-444444444444';

describe('metadataDocument', () => {
  it('lists only up nodes of the local datacenter, sorted, with the proxy address as name:port', () => {
    const routes = new RouteTable([
      route(B, 'dc1', true),
      route(A, 'dc1', true),
      route(C, 'dc1', false),
      route(D, 'dc2', true),
    ]);
    expect(metadataDocument(routes, 'dc1', 'cql.example.test:29042')).toEqual({
      version: 1,
      region: 'dc1',
      contact_info: {
        type: 'sni_proxy',
        local_dc: 'dc1',
        contact_points: [A, B],
        sni_proxy_address: 'cql.example.test:29042',
      },
    });
  });

  it('gives no document when no node of the local datacenter is up', () => {
    expect(
      metadataDocument(new RouteTable([route(C, 'dc1', false), route(D, 'dc2', true)]), 'dc1', 'x.test:1'),
    ).toBeUndefined();
  });
});

describe('metadata service (real HTTPS with mutual TLS on loopback)', () => {
  let clusterCa: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let otherCa: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let serving: PemPair;
  let trusted: PemPair;
  let foreign: PemPair;
  let service: MetadataService;
  let port: number;
  let routes: RouteTable;

  beforeAll(async () => {
    clusterCa = await createCertificateAuthority('cluster-client-ca');
    otherCa = await createCertificateAuthority('other-ca');
    serving = await clusterCa.issueServingCertificate([], ['metadata.example.test']);
    trusted = await clusterCa.issueClientCertificate('app', []);
    foreign = await otherCa.issueClientCertificate('app', []);
  });

  const material = (trustPem: string): TlsMaterial => ({
    certPem: serving.certificatePem,
    keyPem: secretValue(serving.privateKeyPem),
    trustPem,
  });

  beforeEach(async () => {
    routes = new RouteTable([route(A, 'dc1', true)]);
    service = createMetadataService({
      material: material(clusterCa.certificatePem),
      document: () => metadataDocument(routes, 'dc1', 'cql.example.test:29042'),
      metrics: new GatewayMetrics(new Registry()),
      logger: createLogger({ level: 'error' }),
    });
    port = await service.listen(0, '127.0.0.1');
  });

  afterEach(() => service.close());

  function get(
    path: string,
    client: PemPair | undefined,
    method = 'GET',
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          servername: 'metadata.example.test',
          ca: clusterCa.certificatePem,
          agent: false,
          ...(client ? { cert: client.certificatePem, key: client.privateKeyPem } : {}),
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  it('answers GET /metadata to a client certificate from the cluster client CA', async () => {
    const response = await get('/metadata', trusted);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).contact_info.contact_points).toEqual([A]);
  });

  it('refuses a certificate from another CA, and no certificate, in the TLS handshake', async () => {
    await expect(get('/metadata', foreign)).rejects.toThrow();
    await expect(get('/metadata', undefined)).rejects.toThrow();
  });

  it('answers 503 without an up node, 404 elsewhere, 405 to other methods', async () => {
    expect((await get('/other', trusted)).status).toBe(404);
    expect((await get('/metadata', trusted, 'POST')).status).toBe(405);
    routes = new RouteTable([route(A, 'dc1', false)]);
    expect((await get('/metadata', trusted)).status).toBe(503);
  });

  it('takes a rotated trust bundle for new connections', async () => {
    await expect(get('/metadata', foreign)).rejects.toThrow();
    service.reload(material(`${clusterCa.certificatePem}\n${otherCa.certificatePem}`));
    expect((await get('/metadata', foreign)).status).toBe(200);
    service.reload(material(otherCa.certificatePem));
    await expect(get('/metadata', trusted)).rejects.toThrow();
  });
});
