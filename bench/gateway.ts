/**
 * Cloud-mode gateway benchmark (issue 13): the Node.js driver through the gateway (cloud mode,
 * only the zip: metadata service + SNI pass-through proxy) against the same driver connecting
 * directly to the node, in the same run, alternating rounds. Reports queries per second, p50/p99
 * latency and their ratios, client connections the proxy held, and the gateway's CPU time per
 * 10,000 queries (from /proc, user + system). One unmeasured warm-up round first (the node's JIT
 * and caches); measured rounds alternate which path goes first.
 *
 *   node --import tsx bench/gateway.ts [--seconds 10] [--concurrency 16] [--rounds 3] [--gateway-cpu N]
 *
 * --gateway-cpu N pins the gateway to CPU N and the node and clients to the other CPUs (taskset),
 * as in a cluster where the gateway runs on cores of its own; without it all three share them.
 *
 * Needs root (the client runs in a mount namespace whose resolv.conf names a DNS responder on
 * 127.0.0.154:53, as in test/e2e/cloud-gateway.test.ts). One real Cassandra 5 node on 127.0.0.2;
 * client, gateway and node share this machine's cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { startCassandra } from '../test/support/cassandra.js';
import { nodeDriverModules } from '../test/support/cassandra-install.js';
import { repositoryRoot } from '../test/support/control-plane-binaries.js';
import { createCertificateAuthority } from '../test/support/control-plane-pki.js';
import { resolverNamespaceCommand, startDnsResponder } from '../test/support/dns-responder.js';
import { createClientCa, runStep } from '../test/support/drivers.js';
import { startGatewayProcess } from '../test/support/gateway-process.js';
import { freeLoopbackPorts } from '../test/support/local-processes.js';

interface RunResult {
  mode: string;
  queries: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const seconds = flag('seconds', 10);
const concurrency = flag('concurrency', 16);
const rounds = flag('rounds', 3);
const gatewayCpu = args.includes('--gateway-cpu') ? flag('gateway-cpu', 0) : undefined;
const otherCpus =
  gatewayCpu === undefined
    ? undefined
    : os
        .cpus()
        .map((_, cpu) => cpu)
        .filter((cpu) => cpu !== gatewayCpu)
        .join(',');
/** Pins every thread of a running process to the given CPU list. */
const pin = (pid: number, cpus: string): void => {
  runStep('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
};
const proxyName = 'cql-gw.scb-bench.test';

if (process.getuid?.() !== 0) throw new Error('bench/gateway.ts needs root (unshare, mount, port 53)');
const nodeModules = nodeDriverModules();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-bench-gw-'));
const file = (name: string, content: string): string => {
  const target = path.join(workDir, name);
  writeFileSync(target, content, { mode: 0o600 });
  return target;
};
const scbctl = (...rest: string[]) => runStep('node', ['--import', 'tsx', 'src/cli/scbctl.ts', ...rest]);

const nodeCa = await createCertificateAuthority('bench node CA');
const gatewayCa = await createCertificateAuthority('bench gateway CA');
const clientCa = await createClientCa('bench');
const serving = await nodeCa.issueServingCertificate(['127.0.0.2'], [proxyName]);
const node = await startCassandra({
  address: '127.0.0.2',
  serverCertPem: serving.certificatePem,
  serverKeyPem: serving.privateKeyPem,
  clientCaTrustPem: clientCa.rootPem.certificatePem,
  log: (line) => {
    console.error(`[cassandra] ${line}`);
    const pid = /starting \(pid (\d+)\)/.exec(line)?.[1];
    if (pid !== undefined && otherCpus !== undefined) pin(Number(pid), otherCpus);
  },
});
const dns = await startDnsResponder('127.0.0.154', { [proxyName]: '127.0.0.1' });
try {
  const [metadataPort, sniPort] = (await freeLoopbackPorts(2)) as [number, number];
  file(
    'cluster.yaml',
    yaml.dump({
      kind: 'CassandraClusterRef',
      metadata: { name: 'bench' },
      spec: {
        connection: { contactPoints: [node.host], port: node.port, localDatacenter: node.datacenter },
        gateway: {
          metadataAddress: `${proxyName}:${metadataPort}`,
          sniProxyAddress: `${proxyName}:${sniPort}`,
        },
      },
    }),
  );
  scbctl('signing-key', 'generate', '--out', path.join(workDir, 'signing.key'));
  const issue = (name: string): { zip: string; dir: string } => {
    const zip = path.join(workDir, `${name}.zip`);
    scbctl(
      'generate',
      ...['--cluster', path.join(workDir, 'cluster.yaml'), '--name', name],
      ...[
        '--server-ca',
        file('node-ca.crt', nodeCa.certificatePem),
        '--gateway-ca',
        file('gw-ca.crt', gatewayCa.certificatePem),
      ],
      ...['--client-ca-cert', file('ca.crt', clientCa.intermediatePem.certificatePem)],
      ...['--client-ca-key', file('ca.key', clientCa.intermediatePem.privateKeyPem)],
      ...['--client-ca-chain', file('ca-chain.crt', clientCa.intermediatePem.chainPem ?? '')],
      ...['--signing-key', path.join(workDir, 'signing.key'), '--platform', 'nodejs', '--out', zip],
    );
    const dir = path.join(workDir, name);
    scbctl('unpack', zip, '--out', dir);
    return { zip, dir };
  };
  const app = issue('bench-app');
  const identity = issue('bench-gateway');
  const metadataCert = await gatewayCa.issueServingCertificate([], [proxyName]);
  const gateway = startGatewayProcess([
    ...['--bind', '127.0.0.1', '--metadata-port', String(metadataPort), '--sni-port', String(sniPort)],
    ...['--health-port', '0', '--sni-proxy-address', `${proxyName}:${sniPort}`],
    ...['--local-dc', node.datacenter, '--contact-points', node.host, '--cql-port', String(node.port)],
    ...[
      '--serving-cert',
      file('m.crt', metadataCert.certificatePem),
      '--serving-key',
      file('m.key', metadataCert.privateKeyPem),
    ],
    ...['--client-ca', file('trust.crt', clientCa.rootPem.certificatePem)],
    ...['--gateway-cert', path.join(identity.dir, 'cert'), '--gateway-key', path.join(identity.dir, 'key')],
    ...['--server-ca', path.join(workDir, 'node-ca.crt'), '--log-level', 'info'],
  ]);
  const listening = await gateway.waitForLog(
    (line) => line.message === 'gateway listening',
    'the gateway',
    120_000,
  );
  const healthPort = Number(listening['healthPort']);
  if (gatewayCpu !== undefined) pin(gateway.pid, String(gatewayCpu));

  const cpuSeconds = (): number => {
    const fields = readFileSync(`/proc/${gateway.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the comm field), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const activeConnections = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    return Number(/^scb_gateway_active_connections (\d+)/m.exec(text)?.[1] ?? NaN);
  };
  const run = (mode: 'cloud' | 'direct', runSeconds = seconds): Promise<RunResult> => {
    const inNamespace = resolverNamespaceCommand(dns, workDir, process.execPath, [
      path.join(repositoryRoot, 'bench/gateway-client.mjs'),
      mode,
      mode === 'cloud' ? app.zip : app.dir,
      String(runSeconds),
      String(concurrency),
    ]);
    const command =
      otherCpus === undefined
        ? inNamespace
        : { command: 'taskset', args: ['-c', otherCpus, inNamespace.command, ...inNamespace.args] };
    return new Promise((resolve, reject) => {
      const child = spawn(command.command, command.args, { env: { ...process.env, NODE_PATH: nodeModules } });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim()) as RunResult)
          : reject(new Error(`${mode} client failed:\n${err}`)),
      );
    });
  };

  const direct: RunResult[] = [];
  const cloud: RunResult[] = [];
  const cpuPer10k: number[] = [];
  const held: number[] = [];
  const measureCloud = async (): Promise<void> => {
    const cpuBefore = cpuSeconds();
    const cloudRun = run('cloud');
    await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2 + 2000));
    held.push(await activeConnections());
    const result = await cloudRun;
    cloud.push(result);
    cpuPer10k.push(((cpuSeconds() - cpuBefore) / result.queries) * 10_000);
  };
  console.error(
    `[warm-up] ${JSON.stringify(await run('direct', 5))} ${JSON.stringify(await run('cloud', 5))}`,
  );
  for (let round = 1; round <= rounds; round++) {
    if (round % 2 === 1) {
      direct.push(await run('direct'));
      await measureCloud();
    } else {
      await measureCloud();
      direct.push(await run('direct'));
    }
    console.error(
      `[round ${round}] direct ${JSON.stringify(direct.at(-1))} cloud ${JSON.stringify(cloud.at(-1))}`,
    );
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  const m = (results: RunResult[], key: 'qps' | 'p50Ms' | 'p99Ms') =>
    median(results.map((result) => result[key]));
  console.log(
    `Node.js cassandra-driver, ${concurrency} in flight, ${seconds} s per run, median of ${rounds} rounds`,
  );
  console.log('| path | queries/s | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(
    `| direct | ${m(direct, 'qps').toFixed(0)} | ${m(direct, 'p50Ms').toFixed(2)} | ${m(direct, 'p99Ms').toFixed(2)} |`,
  );
  console.log(
    `| through the gateway | ${m(cloud, 'qps').toFixed(0)} | ${m(cloud, 'p50Ms').toFixed(2)} | ${m(cloud, 'p99Ms').toFixed(2)} |`,
  );
  console.log(
    `| ratio / overhead | ${((m(cloud, 'qps') / m(direct, 'qps')) * 100).toFixed(1)} % | +${(m(cloud, 'p50Ms') - m(direct, 'p50Ms')).toFixed(2)} ms | +${(m(cloud, 'p99Ms') - m(direct, 'p99Ms')).toFixed(2)} ms |`,
  );
  const paired = (pick: (d: RunResult, c: RunResult) => number): number =>
    median(direct.map((d, round) => pick(d, cloud[round] as RunResult)));
  console.log(
    `paired per round, median: throughput ${(paired((d, c) => c.qps / d.qps) * 100).toFixed(1)} %, p99 overhead ${paired((d, c) => c.p99Ms - d.p99Ms).toFixed(2)} ms`,
  );
  console.log(`client connections the proxy held: ${held.join(', ')}`);
  console.log(
    `gateway CPU per 10,000 queries: ${median(cpuPer10k).toFixed(3)} s (each round: ${cpuPer10k.map((v) => v.toFixed(3)).join(', ')})`,
  );
  await gateway.stop();
} finally {
  // The node's process is unref'd (tests): keep the loop alive until it is gone.
  const keepAlive = setInterval(() => {}, 1000);
  await dns.close();
  await node.stop();
  clearInterval(keepAlive);
  rmSync(workDir, { recursive: true, force: true });
}
