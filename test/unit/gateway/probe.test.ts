import type net from 'node:net';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../../../src/gateway/gateway-metrics.js';
import { metadataDocument } from '../../../src/gateway/metadata-document.js';
import { createMetadataService, type MetadataService } from '../../../src/gateway/metadata-service.js';
import { probeGateway } from '../../../src/gateway/probe.js';
import { RouteTable, type NodeRoute } from '../../../src/gateway/routes.js';
import { createSniProxy, type SniProxy } from '../../../src/gateway/sni-proxy.js';
import { createLogger } from '../../../src/observability/logger.js';
import { secretValue } from '../../../src/observability/secret-value.js';
import { createCertificateAuthority, type PemPair } from '../../support/control-plane-pki.js';

const GOOD = '0f4a3c1e-6a52-4d0e-9a7b-1c2d3e4f5a6b';
const UNNAMED = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const PROXY = 'cql-gw.probe.test';

/**
 * A metadata service, an SNI proxy and two TLS "nodes" that answer a CQL OPTIONS frame with a
 * SUPPORTED header, on loopback: one node's certificate names the proxy, the other's does not.
 */
describe('probeGateway (real TLS on loopback)', () => {
  let ca: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let identity: PemPair;
  const nodes: tls.Server[] = [];
  let metadata: MetadataService;
  let proxy: SniProxy;
  let metadataPort: number;
  let routes: RouteTable;

  async function node(dnsNames: string[]): Promise<number> {
    const serving = await ca.issueServingCertificate(['127.0.0.1'], dnsNames);
    const server = tls.createServer(
      {
        cert: serving.certificatePem,
        key: serving.privateKeyPem,
        ca: ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.write(Buffer.from([0x84, 0, 0, 1, 0x06, 0, 0, 0, 0])));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nodes.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  beforeAll(async () => {
    ca = await createCertificateAuthority('probe CA');
    identity = await ca.issueClientCertificate('probe', []);
    const route = (hostId: string, port: number): NodeRoute => ({
      hostId,
      address: '127.0.0.1',
      port,
      datacenter: 'dc1',
      up: true,
    });
    const goodPort = await node([PROXY]);
    const unnamedPort = await node(['node-2.internal']);
    routes = new RouteTable([route(GOOD, goodPort)]);
    const allRoutes = new RouteTable([route(GOOD, goodPort), route(UNNAMED, unnamedPort)]);
    const metrics = new GatewayMetrics(new Registry());
    const logger = createLogger({ level: 'error' });
    proxy = createSniProxy({ routes: () => allRoutes, metrics, logger });
    const proxyPort = await proxy.listen(0, '127.0.0.1');
    const serving = await ca.issueServingCertificate([], [PROXY]);
    metadata = createMetadataService({
      material: {
        certPem: serving.certificatePem,
        keyPem: secretValue(serving.privateKeyPem),
        trustPem: ca.certificatePem,
      },
      document: () => metadataDocument(routes, 'dc1', `${PROXY}:${proxyPort}`),
      metrics,
      logger,
    });
    metadataPort = await metadata.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await metadata.close();
    await proxy.drain(100);
    for (const server of nodes) server.close();
  });

  const probe = (identityPems: PemPair = identity) =>
    probeGateway({
      metadataHost: PROXY,
      metadataPort,
      identity: { certPem: identityPems.certificatePem, keyPem: secretValue(identityPems.privateKeyPem) },
      trustPem: ca.certificatePem,
      timeoutMs: 5_000,
      resolve: () => '127.0.0.1',
    });

  it('passes when every listed node answers through the proxy with a certificate for its name', async () => {
    expect(await probe()).toEqual({ ok: true, nodes: [GOOD] });
  });

  it("names the node whose certificate lacks the proxy's DNS name", async () => {
    routes = new RouteTable([...routes.routes, { ...routes.routes[0]!, hostId: UNNAMED, port: 0 }]);
    // The metadata service lists both; the proxy routes the second to the unnamed node.
    const result = await probe();
    expect(result).toMatchObject({ ok: false, reason: 'NodeCertificateName', node: UNNAMED });
    expect(result.ok ? '' : result.message).toContain(PROXY);
    routes = new RouteTable(routes.routes.filter((route) => route.hostId === GOOD));
  });

  it('reports the metadata service refusing an identity from another CA', async () => {
    const other = await (await createCertificateAuthority('other CA')).issueClientCertificate('x', []);
    expect(await probe(other)).toMatchObject({ ok: false, reason: 'MetadataUnreachable' });
  });
});
