import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, type BuildBundleRequest, type BuiltBundle } from '../../../src/bundle/build-bundle.js';
import type { Platform, PlatformContext } from '../../../src/bundle/platforms/platform.js';
import { generateSigningKey, type ManifestSigningKey } from '../../../src/bundle/signing.js';
import { createManagedCaHierarchy, type ManagedCaHierarchy } from '../../../src/pki/certificate-authority.js';
import { systemClock, type Clock } from '../../../src/time/clock.js';

/**
 * Real material for bundle tests: a managed client CA (root -> intermediate) from our PKI, and a
 * separate SERVER CA with a localhost server certificate made by the real openssl, standing in for
 * the PKI that signed the Cassandra nodes.
 */
export interface ServerPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function createServerPki(): ServerPki {
  const dir = mkdtempSync(join(tmpdir(), 'scb-server-pki-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-subj',
        '/CN=Test Cassandra Server CA',
        '-days',
        '30',
      ].concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']),
    );
    writeFileSync(
      join(dir, 'node.ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    run(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=localhost']);
    run(
      [
        'x509',
        '-req',
        '-in',
        'node.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '10',
        '-out',
        'node.crt',
      ].concat(['-extfile', 'node.ext']),
    );
    return {
      caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      certPem: readFileSync(join(dir, 'node.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'node.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createClientCa(
  clock: Clock = systemClock,
  commonName = 'Test client CA',
): Promise<ManagedCaHierarchy> {
  return createManagedCaHierarchy(
    { commonName, rootDurationSeconds: 10 * 365 * 86400, intermediateDurationSeconds: 365 * 86400 },
    clock,
  );
}

/** A small stand-in platform, so bundle-layout tests do not depend on the real platform modules. */
export const testPlatforms: Platform[] = [
  {
    id: 'python',
    title: 'Python driver',
    files: (ctx: PlatformContext) => [
      { path: 'connect.py', content: `# connects to ${ctx.cluster.localDatacenter}\n` },
      { path: 'requirements.txt', content: 'cassandra-driver\n' },
    ],
    readme: () => '### Python driver\n\nRun `python connect.py`.\n',
  },
  {
    id: 'nodejs',
    title: 'Node.js driver',
    files: () => [{ path: 'connect.mjs', content: 'console.log("hi");\n' }],
    readme: () => '### Node.js driver\n\nRun `node connect.mjs`.\n',
  },
];

export interface BundleMaterial {
  clientCa: ManagedCaHierarchy;
  server: ServerPki;
  signingKey: ManifestSigningKey;
}

export async function createMaterial(): Promise<BundleMaterial> {
  return { clientCa: await createClientCa(), server: createServerPki(), signingKey: generateSigningKey() };
}

export function bundleRequest(
  material: BundleMaterial,
  overrides: Partial<BuildBundleRequest> = {},
): BuildBundleRequest {
  return {
    name: 'orders-api',
    namespace: 'shop',
    version: 1,
    clusterRef: { name: 'main', namespace: 'cassandra' },
    cluster: {
      contactPoints: ['127.0.0.1', 'cassandra-1.example'],
      port: 9142,
      localDatacenter: 'dc1',
      datacenters: [{ name: 'dc2', contactPoints: ['cassandra-dc2.example'] }],
      keyspace: 'orders',
      tlsServerName: 'localhost',
      hostnameVerification: true,
    },
    serverCaPem: material.server.caPem,
    clientCa: material.clientCa.intermediate,
    identity: {
      commonName: 'orders-api',
      spiffeId: 'spiffe://cluster.local/ns/shop/scb/orders-api',
      dnsNames: ['orders.shop'],
    },
    privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' },
    durationSeconds: 90 * 86400,
    signingKey: material.signingKey,
    generator: { name: 'scb-operator', version: '0.0.0-test' },
    ...overrides,
  };
}

export function build(
  material: BundleMaterial,
  overrides: Partial<BuildBundleRequest> = {},
  clock: Clock = systemClock,
): Promise<BuiltBundle> {
  return buildBundle(bundleRequest(material, overrides), { clock, platforms: testPlatforms });
}
