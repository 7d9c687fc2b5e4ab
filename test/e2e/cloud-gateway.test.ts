/**
 * Cloud mode end to end: two real Cassandra 5 nodes (127.0.0.2 and 127.0.0.3, one cluster), the
 * gateway (metadata service + SNI pass-through proxy, its own process), and the unmodified
 * Node.js and Python drivers in their secure-connect-bundle mode with nothing but the zip that
 * `scbctl generate` made for a cluster ref with spec.gateway.
 *
 * The proxy's name (a DNS name: drivers check node certificates against it) is answered by a tiny
 * DNS responder on 127.0.0.153:53; each client runs in its own mount namespace whose
 * /etc/resolv.conf names it (the Node.js driver resolves the name with a DNS A query, which
 * ignores /etc/hosts). That needs root (unshare, mount, port 53).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import yaml from 'js-yaml';
import { startCassandra, type Cassandra } from '../support/cassandra.js';
import { nodeDriverModules, pythonDriverInterpreter } from '../support/cassandra-install.js';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import { createCertificateAuthority, type PemPair } from '../support/control-plane-pki.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { resolverNamespaceCommand, startDnsResponder, type DnsResponder } from '../support/dns-responder.js';
import { createClientCa, lastLine, runStep, type ClientCa } from '../support/drivers.js';
import { mavenArgs } from '../support/drivers-install.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { freeLoopbackPorts } from '../support/local-processes.js';
import {
  clusterApi,
  condition,
  secretFile,
  stopOperator,
  waitFor,
  type ClusterApi,
} from '../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';

const proxyName = 'cql-gw.scb-e2e.test';
const setupTimeoutMs = 600_000;
const clientTimeoutMs = 90_000;
// Two nodes on one shared 2-core machine: half the usual heap each.
const nodeJvmOptions = [
  '-Xms512m',
  '-Xmx512m',
  '-Dcassandra.auto_bootstrap=false',
  '-Dcassandra.ring_delay_ms=1000',
];

let workDir: string;
const nodes: Cassandra[] = [];
let dns: DnsResponder | undefined;
let gateway: GatewayProcess | undefined;
let gatewayArgs: string[];
let sniPort: number;
let metadataPort: number;
let nodeCa: Awaited<ReturnType<typeof createCertificateAuthority>>;
let nodeModules: string;
let python: string;
let clientCa: ClientCa;
let appZip: string;
let foreignZip: string;
let appPems: PemPair;
let foreignPems: PemPair;
/** host_id of each node, as the gateway's topology reports them. */
let hostIds: string[];

const file = (name: string, content: string, mode = 0o600): string => {
  const target = path.join(workDir, name);
  writeFileSync(target, content, { mode });
  return target;
};

function scbctl(...args: string[]): string {
  return runStep('node', ['--import', 'tsx', 'src/cli/scbctl.ts', ...args]).stdout;
}

/** `scbctl generate` for the cluster manifest; returns the zip's path. */
function issueBundle(name: string, ca: ClientCa, extra: string[] = []): string {
  const manifest = file(
    `${name}-scb.yaml`,
    yaml.dump({
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'SecureConnectionBundle',
      metadata: { name },
      spec: { clusterRef: { name: 'cloud-cluster' }, duration: '2h' },
    }),
  );
  const zip = path.join(workDir, `secure-connect-${name}.zip`);
  scbctl(
    'generate',
    ...['--cluster', path.join(workDir, 'cluster.yaml'), '--bundle', manifest, '--namespace', 'e2e'],
    ...[
      '--server-ca',
      path.join(workDir, 'node-ca.crt'),
      '--gateway-ca',
      path.join(workDir, 'metadata-service-ca.crt'),
    ],
    ...['--client-ca-cert', file(`${name}-ca.crt`, ca.intermediatePem.certificatePem)],
    ...['--client-ca-key', file(`${name}-ca.key`, ca.intermediatePem.privateKeyPem)],
    ...['--client-ca-chain', file(`${name}-ca-chain.crt`, ca.intermediatePem.chainPem ?? '')],
    ...['--signing-key', path.join(workDir, 'signing.key'), '--out', zip],
    ...extra,
  );
  return zip;
}

function unpacked(zip: string, name: string): PemPair {
  const dir = path.join(workDir, name);
  scbctl('unpack', zip, '--out', dir);
  return {
    certificatePem: runStep('cat', [path.join(dir, 'cert')]).stdout,
    privateKeyPem: runStep('cat', [path.join(dir, 'key')]).stdout,
  };
}

interface AsyncRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client in the resolver namespace without blocking the DNS responder in this process. */
function runInNamespace(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd = workDir,
): Promise<AsyncRun> {
  const wrapped = resolverNamespaceCommand(dns as DnsResponder, workDir, command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(wrapped.command, wrapped.args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} timed out:\n${stdout}\n${stderr}`));
    }, clientTimeoutMs);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function startGateway(): GatewayProcess {
  return startGatewayProcess(gatewayArgs);
}

/** The nodes of the gateway's latest topology line that are up. */
function upNodes(process: GatewayProcess): string[] {
  const line = process.logs.filter((entry) => entry.message === 'topology').at(-1);
  return ((line?.['nodes'] as string[] | undefined) ?? []).filter((node) => node.endsWith('/up'));
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'cloud-gateway e2e needs root: unshare --mount for the clients and a DNS responder on port 53',
    );
  }
  nodeModules = nodeDriverModules();
  python = pythonDriverInterpreter();
  workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-cloud-'));

  nodeCa = await createCertificateAuthority('e2e node CA');
  const gatewayCa = await createCertificateAuthority('e2e gateway CA');
  clientCa = await createClientCa('cloud-app');
  const foreignCa = await createClientCa('foreign-app');
  file('node-ca.crt', nodeCa.certificatePem, 0o644);
  file('metadata-service-ca.crt', gatewayCa.certificatePem, 0o644);
  scbctl('signing-key', 'generate', '--out', path.join(workDir, 'signing.key'));

  // Every node certificate carries the proxy's DNS name: Node.js and Java check it.
  const start = async (address: string, seed?: string, nativePort?: number): Promise<Cassandra> => {
    const serving = await nodeCa.issueServingCertificate([address], [proxyName]);
    return startCassandra({
      address,
      ...(seed !== undefined ? { seed } : {}),
      ...(nativePort !== undefined ? { nativePort } : {}),
      serverCertPem: serving.certificatePem,
      serverKeyPem: serving.privateKeyPem,
      clientCaTrustPem: clientCa.rootPem.certificatePem,
      extraJvmOptions: nodeJvmOptions,
      readyTimeoutMs: 300_000,
      log: (message) => console.log(`[cassandra ${address}] ${message}`),
    });
  };
  const first = await start('127.0.0.2');
  nodes.push(first);
  nodes.push(await start('127.0.0.3', `127.0.0.2:${first.storagePort}`, first.port));

  [metadataPort, sniPort] = (await freeLoopbackPorts(2)) as [number, number];
  dns = await startDnsResponder('127.0.0.153', { [proxyName]: '127.0.0.1' });
  file(
    'cluster.yaml',
    yaml.dump({
      apiVersion: 'scb-operator.io/v1alpha1',
      kind: 'CassandraClusterRef',
      metadata: { name: 'cloud-cluster' },
      spec: {
        connection: {
          contactPoints: ['127.0.0.2', '127.0.0.3'],
          port: first.port,
          localDatacenter: first.datacenter,
        },
        gateway: {
          metadataAddress: `${proxyName}:${metadataPort}`,
          sniProxyAddress: `${proxyName}:${sniPort}`,
        },
        serverCA: { configMapRef: { name: 'node-ca' } },
        clientCA: { managed: {} },
      },
    }),
    0o644,
  );
  appZip = issueBundle('cloud-app', clientCa);
  foreignZip = issueBundle('foreign-app', foreignCa);
  appPems = unpacked(appZip, 'cloud-app');
  foreignPems = unpacked(foreignZip, 'foreign-app');
  // The gateway's own identity for its control connection: a bundle of the same client CA.
  const gatewayIdentity = unpacked(issueBundle('gateway-identity', clientCa), 'gateway-identity');
  const serving = await gatewayCa.issueServingCertificate([], [proxyName]);

  gatewayArgs = [
    ...['--bind', '127.0.0.1', '--metadata-port', String(metadataPort), '--sni-port', String(sniPort)],
    ...['--health-port', '0', '--sni-proxy-address', `${proxyName}:${sniPort}`],
    ...[
      '--local-dc',
      first.datacenter,
      '--contact-points',
      '127.0.0.2,127.0.0.3',
      '--cql-port',
      String(first.port),
    ],
    ...[
      '--serving-cert',
      file('serving.crt', serving.certificatePem),
      '--serving-key',
      file('serving.key', serving.privateKeyPem),
    ],
    ...['--client-ca', file('client-ca-trust.crt', clientCa.rootPem.certificatePem)],
    ...['--gateway-cert', file('gateway.crt', gatewayIdentity.certificatePem)],
    ...['--gateway-key', file('gateway.key', gatewayIdentity.privateKeyPem)],
    ...['--server-ca', path.join(workDir, 'node-ca.crt')],
    ...['--drain-timeout', '2s', '--log-level', 'debug'],
  ];
  gateway = startGateway();
  await gateway.waitForLog((line) => line.message === 'gateway listening', 'the gateway to listen', 120_000);
  // Both nodes up in the gateway's topology (the second may join the ring after the first look).
  const deadline = Date.now() + 120_000;
  while (upNodes(gateway).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  hostIds = upNodes(gateway)
    .map((node) => node.split('=')[0] as string)
    .sort();
  expect(hostIds).toHaveLength(2);
}, setupTimeoutMs);

afterAll(async () => {
  await gateway?.stop();
  await dns?.close();
  await Promise.all(nodes.map((node) => node.stop()));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('unmodified drivers in secure-connect-bundle mode, with only the zip', () => {
  it('Node.js cassandra-driver 4.10 runs queries on both nodes through the gateway', async () => {
    const lookupsBefore = dns?.queries.get(proxyName) ?? 0;
    const run = await runInNamespace(
      process.execPath,
      [path.join(repositoryRoot, 'test/e2e/clients/cloud-query.mjs'), appZip, '8'],
      {
        NODE_PATH: nodeModules,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as { releaseVersion: string; hostIds: string[] };
    expect(result.releaseVersion).toBe(nodes[0]?.version);
    expect(result.hostIds).toEqual(hostIds);
    // The driver really resolved the proxy's name through DNS.
    expect(dns?.queries.get(proxyName) ?? 0).toBeGreaterThan(lookupsBefore);
  });

  it('Python cassandra-driver 3.30 runs queries on both nodes through the gateway', async () => {
    const run = await runInNamespace(python, [
      path.join(repositoryRoot, 'test/e2e/clients/cloud_query.py'),
      appZip,
      '8',
    ]);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { hostIds: string[] };
    expect(result.hostIds).toEqual(hostIds);
  });
});

/** A CQL OPTIONS request (protocol v4, stream 1); the answer is SUPPORTED (opcode 6). */
const optionsFrame = Buffer.from([0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00]);

/** Opens TLS through the proxy with this SNI and identity; resolves with the CQL answer's opcode, or the failure. */
function cqlThroughProxy(
  servername: string,
  identity: PemPair,
): Promise<{ opcode?: number; failure?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: sniPort,
      servername,
      ca: runStep('cat', [path.join(workDir, 'node-ca.crt')]).stdout,
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
      checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(proxyName, certificate),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ failure: 'no answer in 20 s' });
    }, 20_000);
    const finish = (result: { opcode?: number; failure?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => socket.write(optionsFrame));
    socket.once('data', (data: Buffer) => finish({ opcode: data[4] as number }));
    socket.once('error', (error) => finish({ failure: error.message }));
    socket.once('close', () => finish({ failure: 'closed' }));
  });
}

describe('scbctl check-gateway', () => {
  it('probes metadata, then every node through the proxy with the bundle, as drivers will', async () => {
    const scbctlArgs = ['--import', 'tsx', 'src/cli/scbctl.ts', 'check-gateway'];
    const passed = await runInNamespace(process.execPath, [...scbctlArgs, appZip], {}, repositoryRoot);
    expect(passed.stdout).toContain(
      `gateway ok: 2 node(s) answer through the SNI proxy: ${hostIds.join(', ')}`,
    );
    expect(passed.status).toBe(0);
    const refused = await runInNamespace(process.execPath, [...scbctlArgs, foreignZip], {}, repositoryRoot);
    expect(refused.stdout).toContain('gateway check FAILED (MetadataUnreachable)');
    expect(refused.status).toBe(1);
  });
});

describe('the Java driver 4.19 in secure-connect-bundle mode', () => {
  it('runs queries on both nodes through the gateway with only the zip', async () => {
    // The bundle's own pom.xml (driver, compiler settings), with a cloud-mode ScbExample beside it.
    const project = path.join(workDir, 'java-cloud');
    scbctl('unpack', appZip, '--out', path.join(workDir, 'java-bundle'));
    runStep('mkdir', ['-p', project]);
    runStep('cp', [path.join(workDir, 'java-bundle/platforms/java-driver-4/pom.xml'), project]);
    runStep('cp', [path.join(repositoryRoot, 'test/e2e/clients/cloud-java/ScbExample.java'), project]);
    // Built outside the client's namespace (Maven Central needs the real resolver), run inside.
    const classpathFile = path.join(project, 'classpath.txt');
    runStep(
      'mvn',
      [...mavenArgs(), '-q', 'compile', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
      {
        cwd: project,
        timeoutMs: 300_000,
      },
    );
    const classpath = `${path.join(project, 'target/classes')}:${readFileSync(classpathFile, 'utf8').trim()}`;
    const run = await runInNamespace('java', ['-cp', classpath, 'ScbExample', appZip]);
    expect(run.status).toBe(0);
    const result = JSON.parse(lastLine(run.stdout) ?? '') as { releaseVersion: string; hostIds: string[] };
    expect(result.releaseVersion).toBe(nodes[0]?.version);
    expect(result.hostIds).toEqual(hostIds);
  }, 400_000);
});

describe('what the gateway refuses', () => {
  it('a bundle from another client CA is refused at the metadata service', async () => {
    const run = await runInNamespace(
      process.execPath,
      [path.join(repositoryRoot, 'test/e2e/clients/cloud-query.mjs'), foreignZip, '1'],
      {
        NODE_PATH: nodeModules,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('There was an error fetching the metadata information');
  });

  it('a certificate from another CA is refused by the node behind the proxy (the node sees the client certificate)', async () => {
    const [hostId] = hostIds as [string];
    // Positive control: the bundle's own identity gets a CQL answer through the same proxy.
    expect(await cqlThroughProxy(hostId, appPems)).toEqual({ opcode: 0x06 });
    const refused = await cqlThroughProxy(hostId, foreignPems);
    expect(refused.opcode).toBeUndefined();
    expect(refused.failure).toBeDefined();
  });

  it('an unknown SNI is closed before any node is reached', async () => {
    const unknown = await cqlThroughProxy(randomUUID(), appPems);
    expect(unknown.opcode).toBeUndefined();
    expect(unknown.failure).toMatch(/closed|ECONNRESET|socket disconnected/);
    expect(await cqlThroughProxy(hostIds[1] as string, appPems)).toEqual({ opcode: 0x06 });
  });
});

describe('a long-running Node.js client in cloud mode', () => {
  it('survives a node restart, a gateway restart and a bundle rotation', async () => {
    const liveZip = path.join(workDir, 'live', 'secure-connect.zip');
    runStep('mkdir', ['-p', path.dirname(liveZip)]);
    runStep('cp', [appZip, liveZip]);
    const wrapped = resolverNamespaceCommand(dns as DnsResponder, workDir, process.execPath, [
      path.join(repositoryRoot, 'test/e2e/clients/cloud-long-running.mjs'),
      liveZip,
    ]);
    // Its own process group: unshare ignores SIGTERM while it waits, so the group gets the signal.
    const child = spawn(wrapped.command, wrapped.args, {
      env: { ...process.env, NODE_PATH: nodeModules },
      detached: true,
    });
    const events: Array<{ event: string; ok?: boolean; hostId?: string; bundle?: number; error?: string }> =
      [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const failedIn = (from: number, to: number) =>
      events.slice(from, to).filter((event) => event.event === 'query' && event.ok === false).length;
    const okSince = (index: number, predicate: (event: (typeof events)[number]) => boolean = () => true) =>
      events.slice(index).filter((event) => event.event === 'query' && event.ok === true && predicate(event))
        .length;
    const waitUntil = async (done: () => boolean, what: string, timeoutMs = 180_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) {
          const gatewayLines = (gateway?.logs ?? []).filter((line) => line.message !== 'topology').slice(-10);
          throw new Error(
            `timed out waiting for ${what}; last events:\n${JSON.stringify(events.slice(-8))}\n${stderr}\ngateway:\n${JSON.stringify(gatewayLines)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    try {
      await waitUntil(
        () => hostIds.every((id) => okSince(0, (event) => event.hostId === id) > 0),
        'queries on both nodes',
      );

      // Node restart: queries go on through the other node meanwhile, and come back to it.
      const [first, second] = nodes as [Cassandra, Cassandra];
      const secondHostId = upNodes(gateway as GatewayProcess)
        .find((node) => node.includes('=127.0.0.3:'))
        ?.split('=')[0];
      const beforeRestart = events.length;
      await second.restart('none');
      expect(okSince(beforeRestart)).toBeGreaterThan(0);
      const afterRestart = events.length;
      await waitUntil(
        () => okSince(afterRestart, (event) => event.hostId === secondHostId) > 0,
        'a query on the restarted node',
      );
      expect(first.host).toBe('127.0.0.2');

      // Gateway restart on the same ports: the session (fetched metadata once) reconnects.
      const beforeGatewayStop = events.length;
      const code = await (gateway as GatewayProcess).stop();
      expect(code).toBe(0);
      const gatewayDown = events.length;
      gateway = startGateway();
      await gateway.waitForLog(
        (line) => line.message === 'gateway listening',
        'the restarted gateway',
        120_000,
      );
      await waitUntil(
        () =>
          hostIds.every(
            (id) => okSince(gatewayDown, (event) => event.hostId === id && event.bundle === 1) > 0,
          ),
        'queries on both nodes through the restarted gateway, same session',
      );

      // Bundle rotation: a new zip replaces the file; the client moves to a session from it.
      const rotated = issueBundle('cloud-app-v2', clientCa);
      const staged = `${liveZip}.new`;
      runStep('cp', [rotated, staged]);
      renameSync(staged, liveZip);
      const rotatedAt = events.length;
      await waitUntil(
        () => okSince(rotatedAt, (event) => event.bundle === 2) >= 4,
        'queries with the rotated bundle',
      );
      expect(events.slice(rotatedAt).filter((event) => event.event === 'connect-failed')).toEqual([]);
      // The client moves between two queries: the rotation costs none.
      expect(failedIn(rotatedAt, events.length)).toBe(0);
      console.log(
        `[cloud] long-running client: ${okSince(0)} queries ok; failed: ${failedIn(beforeRestart, beforeGatewayStop)} ` +
          `during the node restart, ${failedIn(beforeGatewayStop, rotatedAt)} during the gateway restart, ` +
          `${failedIn(rotatedAt, events.length)} during the rotation`,
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-(child.pid as number), 'SIGTERM');
      await exited;
    }
  }, 900_000);
});

/**
 * The operator's GatewayReady condition against this gateway and these nodes: a control plane and
 * the operator join the running setup (no new Cassandra node). The cluster ref has the operator
 * issue the metadata service's certificate (servingCertificate.managed); the running gateway picks
 * it up from its files without a restart. The operator reaches the proxy's DNS name through
 * --gateway-resolve (like curl --resolve), still vetted by its outbound policy (loopback allowed
 * here). Last in this file: it changes the gateway's serving certificate and freezes a node.
 */
describe('GatewayReady: the operator probes the gateway as drivers use it', () => {
  const namespace = 'e2e-gateway';
  let controlPlane: ControlPlane | undefined;
  let operator: OperatorProcess | undefined;
  let api: ClusterApi;
  let secondHostId: string;

  const gatewayReady = (
    what: string,
    done: (c: ReturnType<typeof condition>) => boolean,
    timeoutMs = 180_000,
  ) =>
    waitFor(
      () => api.getClusterRef(namespace, 'cloud-cluster'),
      (cluster) => done(condition(cluster, 'GatewayReady')),
      what,
      timeoutMs,
    ).then((cluster) => condition(cluster, 'GatewayReady'));

  beforeAll(async () => {
    controlPlane = await startControlPlane({ log: (message) => console.log(`[control plane] ${message}`) });
    api = clusterApi(controlPlane.adminKubeConfig());
    await api.core().createNamespace({ body: { metadata: { name: namespace } } });
    operator = startOperatorProcess({
      kubeconfig: await controlPlane.kubeconfigFor('scb-operator-e2e', ['system:masters']),
      namespace,
      extraArgs: [
        '--gateway-resolve',
        `${proxyName}:${metadataPort}:127.0.0.1,${proxyName}:${sniPort}:127.0.0.1`,
        '--gateway-probe-interval',
        '5',
      ],
    });
    await api.createServerCaConfigMap(namespace, 'node-ca', nodeCa.certificatePem);
    // The client CA the nodes and the gateway already trust, as the cluster's signing CA.
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await api.core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'cloud-client-ca' },
        data: {
          'tls.crt': b64(clientCa.intermediatePem.certificatePem),
          'tls.key': b64(clientCa.intermediatePem.privateKeyPem),
          'ca.crt': b64(clientCa.intermediatePem.chainPem ?? ''),
        },
      },
    });
    await api.createClusterRef(namespace, 'cloud-cluster', {
      connection: {
        contactPoints: ['127.0.0.2', '127.0.0.3'],
        port: nodes[0]?.port,
        localDatacenter: nodes[0]?.datacenter,
      },
      gateway: {
        metadataAddress: `${proxyName}:${metadataPort}`,
        sniProxyAddress: `${proxyName}:${sniPort}`,
        servingCertificate: { managed: {} },
      },
      serverCA: { configMapRef: { name: 'node-ca' } },
      clientCA: { secretRef: { name: 'cloud-client-ca' } },
    });
    // The operator-issued certificate, written where the running gateway reads its own.
    const served = await waitFor(
      () => api.getSecret(namespace, 'cloud-cluster-gateway-tls'),
      (secret) => secret !== undefined,
      'the operator-issued serving certificate',
      120_000,
    );
    const reloads = (gateway as GatewayProcess).logs.filter(
      (line) => line.message === 'metadata service TLS material reloaded',
    ).length;
    for (const [name, key] of [
      ['serving.key', 'tls.key'],
      ['serving.crt', 'tls.crt'],
    ] as const) {
      file(`${name}.new`, secretFile(served, key).toString('utf8'));
      renameSync(path.join(workDir, `${name}.new`), path.join(workDir, name));
    }
    await (gateway as GatewayProcess).waitForLog(
      () =>
        (gateway as GatewayProcess).logs.filter(
          (line) => line.message === 'metadata service TLS material reloaded',
        ).length > reloads,
      'the gateway to reload its serving certificate',
      60_000,
    );
    secondHostId = upNodes(gateway as GatewayProcess)
      .find((node) => node.includes('=127.0.0.3:'))
      ?.split('=')[0] as string;
    expect(hostIds).toContain(secondHostId);
  }, setupTimeoutMs);

  afterAll(async () => {
    nodes[1]?.freeze(false);
    await stopOperator(operator);
    await controlPlane?.stop();
  }, 60_000);

  it('is True once the metadata service (operator-issued certificate) and both nodes answer a bundle identity', async () => {
    const ready = await gatewayReady(
      'GatewayReady True with both nodes',
      (c) => c?.status === 'True' && hostIds.every((id) => c.message.includes(id)),
    );
    expect(ready).toMatchObject({ reason: 'GatewayReachable' });
    const cluster = await api.getClusterRef(namespace, 'cloud-cluster');
    expect(cluster.status?.gateway?.servingCertificate?.secretName).toBe('cloud-cluster-gateway-tls');
    expect(condition(cluster, 'Ready')?.status).toBe('True');
  }, 240_000);

  it('turns False naming the node whose certificate lacks the proxy name, and True when it has it again', async () => {
    const second = nodes[1] as Cassandra;
    const unnamed = await nodeCa.issueServingCertificate(['127.0.0.3'], []);
    await second.reloadServerCertificate(unnamed.certificatePem, unnamed.privateKeyPem);
    const failing = await gatewayReady(
      'GatewayReady False (NodeCertificateName)',
      (c) => c?.reason === 'NodeCertificateName',
    );
    expect(failing?.status).toBe('False');
    expect(failing?.message).toContain(`node ${secondHostId}`);
    expect(failing?.message).toContain(proxyName);

    const named = await nodeCa.issueServingCertificate(['127.0.0.3'], [proxyName]);
    await second.reloadServerCertificate(named.certificatePem, named.privateKeyPem);
    await gatewayReady('GatewayReady True again', (c) => c?.status === 'True');
  }, 400_000);

  it('turns False naming a node that stops answering while the gateway still lists it', async () => {
    const second = nodes[1] as Cassandra;
    second.freeze(true);
    try {
      const failing = await gatewayReady(
        'GatewayReady False (NodeUnreachable)',
        (c) => c?.reason === 'NodeUnreachable',
      );
      expect(failing?.status).toBe('False');
      expect(failing?.message).toContain(`node ${secondHostId}`);
    } finally {
      second.freeze(false);
    }
    await gatewayReady('GatewayReady True once the node answers again', (c) => c?.status === 'True', 300_000);
  }, 500_000);
});
