import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { unpackBundle } from '../../../src/bundle/unpack-bundle.js';
import { build, createClientCa, createMaterial, type BundleMaterial } from './bundle-fixtures.js';

/**
 * A real mutual-TLS server, configured as Cassandra's client_encryption_options would be:
 * it presents a certificate from the SERVER CA (the bundle's ca.crt) and requires a client
 * certificate chaining to the client CA root. The client uses only files from the unpacked
 * bundle and values from its config.json.
 */
let material: BundleMaterial;
let server: Server;
let port: number;
let dir: string;
const clientErrors: string[] = [];

beforeAll(async () => {
  material = await createMaterial();
  dir = mkdtempSync(join(tmpdir(), 'scb-tls-'));
  server = createServer(
    {
      key: material.server.keyPem,
      cert: material.server.certPem,
      ca: material.clientCa.rootPem.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => socket.end(`hello ${socket.getPeerCertificate().subject.CN}\n`),
  );
  server.on('tlsClientError', (error) => clientErrors.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Connects the way a driver would, from the bundle folder alone. */
function connectWithBundle(bundleDir: string): Promise<string> {
  const cfg = JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8')) as {
    contactPoints: string[];
    cql_port: number;
    caCertLocation: string;
    certLocation: string;
    keyLocation: string;
    tlsServerName?: string;
  };
  const file = (location: string): Buffer => readFileSync(join(bundleDir, location));
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect({
      host: cfg.contactPoints[0],
      port: cfg.cql_port,
      servername: cfg.tlsServerName,
      ca: file(cfg.caCertLocation),
      cert: file(cfg.certLocation),
      key: file(cfg.keyLocation),
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => (received ? resolve(received) : reject(new Error('closed without a greeting'))));
    socket.on('error', reject);
  });
}

function clusterOnTestPort() {
  return {
    contactPoints: ['127.0.0.1'],
    port,
    localDatacenter: 'dc1',
    datacenters: [],
    tlsServerName: 'localhost',
    hostnameVerification: true,
  };
}

describe('a bundle against a real mutual-TLS server', () => {
  it('is accepted when its certificate comes from the trusted client CA', async () => {
    const bundle = await build(material, { cluster: clusterOnTestPort() });
    const out = join(dir, 'good');
    unpackBundle(bundle.zip, out);
    await expect(connectWithBundle(out)).resolves.toBe('hello orders-api\n');
  });

  it('works with an RSA key too', async () => {
    const bundle = await build(material, {
      cluster: clusterOnTestPort(),
      privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS1' },
    });
    const out = join(dir, 'rsa');
    unpackBundle(bundle.zip, out);
    expect(readFileSync(join(out, 'key'), 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
    await expect(connectWithBundle(out)).resolves.toBe('hello orders-api\n');
  });

  it('is refused when its certificate comes from another client CA', async () => {
    const otherCa = await createClientCa(undefined, 'Someone else');
    const bundle = await build({ ...material, clientCa: otherCa }, { cluster: clusterOnTestPort() });
    const out = join(dir, 'other');
    unpackBundle(bundle.zip, out);
    clientErrors.length = 0;
    await expect(connectWithBundle(out)).rejects.toThrow();
    // The server saw the handshake fail (Node reports it as a hang-up after its alert).
    expect(clientErrors).not.toHaveLength(0);
  });
});
