import net from 'node:net';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../../../src/gateway/gateway-metrics.js';
import { RouteTable } from '../../../src/gateway/routes.js';
import { createSniProxy, type SniProxy, type SniProxyLimits } from '../../../src/gateway/sni-proxy.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createCertificateAuthority, type PemPair } from '../../support/control-plane-pki.js';

const NODE_ID = '0f4a3c1e-6a52-4d0e-9a7b-1c2d3e4f5a6b';
const OTHER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('SNI pass-through proxy (real TLS on loopback)', () => {
  let ca: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let nodeCert: PemPair;
  let clientCert: PemPair;
  let node: tls.Server;
  let nodePort: number;
  /** The client certificate's subject each TLS connection presented to the node. */
  const seenByNode: string[] = [];
  let proxy: SniProxy;
  let proxyPort: number;
  let registry: Registry;

  beforeAll(async () => {
    ca = await createCertificateAuthority('gateway-test-ca');
    nodeCert = await ca.issueServingCertificate(['127.0.0.1'], ['proxy.example.test']);
    clientCert = await ca.issueClientCertificate('app-client', []);
    node = tls.createServer(
      {
        cert: nodeCert.certificatePem,
        key: nodeCert.privateKeyPem,
        ca: ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        seenByNode.push(String(socket.getPeerCertificate().subject.CN));
        socket.on('data', (data) => socket.write(Buffer.concat([Buffer.from('echo:'), data])));
        socket.on('error', () => {});
      },
    );
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    nodePort = (node.address() as net.AddressInfo).port;
  });

  afterAll(() => node.close());

  async function startProxy(limits: Partial<SniProxyLimits> = {}): Promise<void> {
    registry = new Registry();
    const routes = new RouteTable([
      { hostId: NODE_ID, address: '127.0.0.1', port: nodePort, datacenter: 'dc1', up: true },
    ]);
    proxy = createSniProxy({
      routes: () => routes,
      metrics: new GatewayMetrics(registry),
      logger: createLogger({ level: 'error' }),
      limits,
    });
    proxyPort = await proxy.listen(0, '127.0.0.1');
  }

  afterEach(async () => {
    await proxy.drain(100);
  });

  function connect(servername: string | undefined): tls.TLSSocket {
    return tls.connect({
      host: '127.0.0.1',
      port: proxyPort,
      servername: servername ?? '',
      ca: ca.certificatePem,
      cert: clientCert.certificatePem,
      key: clientCert.privateKeyPem,
      // The node's certificate names the proxy, as drivers check it.
      checkServerIdentity: (_host, certificate) => tls.checkServerIdentity('proxy.example.test', certificate),
    });
  }

  /** Resolves with how the connection ended: 'secure' once the TLS handshake with the node is done. */
  function outcome(socket: tls.TLSSocket): Promise<'secure' | 'closed'> {
    return new Promise((resolve) => {
      socket.once('secureConnect', () => resolve('secure'));
      socket.once('error', () => resolve('closed'));
      socket.once('close', () => resolve('closed'));
    });
  }

  async function metric(name: string): Promise<string> {
    const text = await registry.metrics();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .join('\n');
  }

  it('passes TLS through to the node the SNI names: the node sees the client certificate', async () => {
    await startProxy();
    const before = seenByNode.length;
    const socket = connect(NODE_ID);
    expect(await outcome(socket)).toBe('secure');
    const reply = new Promise<string>((resolve) =>
      socket.once('data', (data: Buffer) => resolve(data.toString())),
    );
    socket.write('ping');
    expect(await reply).toBe('echo:ping');
    expect(seenByNode.slice(before)).toEqual(['app-client']);
    socket.destroy();
    expect(await metric('scb_gateway_connections_total')).toContain(`node="${NODE_ID}"} 1`);
    expect(await metric('scb_gateway_bytes_total')).toMatch(/node="[^"]+",direction="to_client"} [1-9]/);
  });

  it('closes an unknown SNI, a missing SNI and an upper-case host_id without reaching a node', async () => {
    await startProxy();
    const before = seenByNode.length;
    expect(await outcome(connect(OTHER_ID))).toBe('closed');
    expect(await outcome(connect('example.com'))).toBe('closed');
    expect(await outcome(connect(undefined))).toBe('closed');
    expect(await outcome(connect(NODE_ID.toUpperCase()))).toBe('closed');
    expect(seenByNode.length).toBe(before);
    const refused = await metric('scb_gateway_refused_connections_total');
    expect(refused).toContain('reason="unknown_sni"} 3');
    expect(refused).toContain('reason="missing_sni"} 1');
    // Positive control: the same proxy routes a known host_id.
    const known = connect(NODE_ID);
    expect(await outcome(known)).toBe('secure');
    known.destroy();
  });

  it('closes a client that sends no ClientHello in time, or something else than TLS', async () => {
    await startProxy({ helloTimeoutMs: 300 });
    const silent = net.connect(proxyPort, '127.0.0.1');
    const closedAt = await new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now())));
    expect(closedAt).toBeGreaterThan(0);
    expect(await metric('scb_gateway_refused_connections_total')).toContain('reason="hello_timeout"} 1');
    const http = net.connect(proxyPort, '127.0.0.1', () => http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await new Promise((resolve) => http.once('close', resolve));
    expect(await metric('scb_gateway_refused_connections_total')).toContain('reason="invalid_hello"} 1');
  });

  it('closes a ClientHello over the size bound', async () => {
    await startProxy({ maxClientHelloBytes: 64 });
    expect(await outcome(connect(NODE_ID))).toBe('closed');
    expect(await metric('scb_gateway_refused_connections_total')).toContain('reason="invalid_hello"} 1');
  });

  it('holds at most maxConnections client connections', async () => {
    await startProxy({ maxConnections: 1 });
    const first = connect(NODE_ID);
    expect(await outcome(first)).toBe('secure');
    expect(await outcome(connect(NODE_ID))).toBe('closed');
    expect(await metric('scb_gateway_refused_connections_total')).toContain('reason="too_many"} 1');
    first.destroy();
  });

  it('drains: refuses new connections, lets open ones finish, closes what is left at the deadline', async () => {
    await startProxy();
    const open = connect(NODE_ID);
    expect(await outcome(open)).toBe('secure');
    const openClosed = new Promise((resolve) => open.once('close', resolve));
    const drained = proxy.drain(500);
    // The open connection still works while draining.
    const reply = new Promise<string>((resolve) =>
      open.once('data', (data: Buffer) => resolve(data.toString())),
    );
    open.write('during-drain');
    expect(await reply).toBe('echo:during-drain');
    expect(await drained).toBe(1);
    await openClosed;
    expect(proxy.connections).toBe(0);
  });
});
