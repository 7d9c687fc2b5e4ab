/**
 * `scbctl generate` as a whole process (issue 17): what a pipeline step pays, start-up included.
 *
 *   node --import tsx bench/cli-generate.ts [--pairs 15] [--batch 100] [--batch-runs 5] [--keep-env]
 *     [--also dist/cli/scbctl.js] [--json FILE]
 *
 * 1. Pairs: in each round, `scbctl generate` (ECDSA P-256, all platforms: package.json's `bin`, as
 *    npm installs it, on this node), the openssl + keytool + zip script (handmade-bundle.sh: client key, certificate
 *    signed by the same CA, PKCS#12, JKS truststore, signed manifest, zip) and `node -e 0`, in an
 *    order that rotates every round so neither side always runs on a warmer cache. Wall time of
 *    each process, and its user + system CPU and max RSS from /usr/bin/time.
 * 2. Batch: one `scbctl generate --out-dir` over a folder of `--batch` manifests, `--batch-runs`
 *    times; every zip is checked to exist.
 * Medians throughout; the load average before and after is printed, since the machine is shared.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKey, signingKeyPem } from '../src/bundle/signing.js';
import { createManagedCaHierarchy } from '../src/pki/certificate-authority.js';
import { systemClock } from '../src/time/clock.js';
import { ensureBuilt } from './built-dist.js';

const options = parseArgs(process.argv.slice(2));
/** What `npm install` links as `scbctl`: the benchmark times the file users run. */
const scbctl = ensureBuilt(
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      bin: { scbctl: string };
    }
  ).bin.scbctl,
);
/** Another entry point timed in the same rounds, e.g. the unbundled `dist/cli/scbctl.js` for a before/after. */
const also = options.also === undefined ? undefined : ensureBuilt(options.also);
const handmade = path.join(import.meta.dirname, 'handmade-bundle.sh');
const timeBinary = '/usr/bin/time';
const work = mkdtempSync(path.join(os.tmpdir(), 'scb-cli-bench-'));
const file = (name: string): string => path.join(work, name);
/**
 * NODE_EXTRA_CA_CERTS makes every node process read and parse that file at start-up (50 ms on a
 * sandbox that sets it), which is no part of scbctl: it is left out for the processes timed here
 * unless `--keep-env`, and the output says whether it was set.
 */
const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS !== undefined;
const childEnv = options.keepEnv
  ? process.env
  : Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_EXTRA_CA_CERTS'));

interface Sample {
  wallMs: number;
  cpuMs?: number;
  maxRssMiB?: number;
}

/** One process, timed from spawn to exit; CPU and RSS from /usr/bin/time when it is there. */
function run(command: string, args: string[]): Sample {
  const timed = existsSync(timeBinary);
  const start = process.hrtime.bigint();
  const result = timed
    ? spawnSync(timeBinary, ['-f', 'scb-bench %U %S %M', command, ...args], {
        cwd: work,
        env: childEnv,
        encoding: 'utf8',
      })
    : spawnSync(command, args, { cwd: work, env: childEnv, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`,
    );
  }
  const times = /scb-bench ([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr ?? '');
  if (!times) return { wallMs };
  return {
    wallMs,
    cpuMs: (Number(times[1]) + Number(times[2])) * 1000,
    maxRssMiB: Number(times[3]) / 1024,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const load = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

try {
  const ca = await createManagedCaHierarchy(
    {
      commonName: 'bench client',
      rootDurationSeconds: 10 * 8760 * 3600,
      intermediateDurationSeconds: 8760 * 3600,
    },
    systemClock,
  );
  const server = await createManagedCaHierarchy(
    {
      commonName: 'bench server',
      rootDurationSeconds: 10 * 8760 * 3600,
      intermediateDurationSeconds: 8760 * 3600,
    },
    systemClock,
  );
  writeFileSync(file('client-ca.crt'), ca.intermediatePem.certificatePem);
  writeFileSync(file('client-ca.key'), ca.intermediatePem.privateKeyPem, { mode: 0o600 });
  writeFileSync(file('client-ca-chain.crt'), ca.rootPem.certificatePem);
  writeFileSync(file('server-ca.crt'), server.rootPem.certificatePem);
  writeFileSync(file('signing.key'), signingKeyPem(generateSigningKey()), { mode: 0o600 });
  writeFileSync(
    file('cluster.yaml'),
    [
      'apiVersion: scb-operator.io/v1alpha1',
      'kind: CassandraClusterRef',
      'metadata: {name: bench-cluster, namespace: cassandra}',
      'spec:',
      '  connection:',
      '    contactPoints: [cassandra-0.db.svc, cassandra-1.db.svc, cassandra-2.db.svc]',
      '    localDatacenter: dc1',
      '    keyspace: orders',
      '  serverCA: {configMapRef: {name: server-ca}}',
      '  clientCA: {secretRef: {name: client-ca}}',
      '  identity: {trustDomain: bench.example}',
      '',
    ].join('\n'),
  );
  const generateArgs = [
    'generate',
    '--cluster',
    'cluster.yaml',
    '--server-ca',
    'server-ca.crt',
    '--client-ca-cert',
    'client-ca.crt',
    '--client-ca-key',
    'client-ca.key',
    '--client-ca-chain',
    'client-ca-chain.crt',
    '--signing-key',
    'signing.key',
  ];

  let round = 0;
  // Every run writes somewhere new: keytool refuses to add to an existing truststore.
  let sequence = 0;
  const contenders: Record<string, () => Sample> = {
    scbctl: () =>
      run(process.execPath, [scbctl, ...generateArgs, '--name', 'app', '--out', `app-${sequence++}.zip`]),
    script: () =>
      run('bash', [
        handmade,
        file('client-ca.crt'),
        file('client-ca.key'),
        file('server-ca.crt'),
        file('signing.key'),
        file(`handmade-${sequence++}`),
        'ec',
      ]),
    'node -e 0': () => run(process.execPath, ['-e', '0']),
    ...(also === undefined
      ? {}
      : {
          [path.basename(also)]: () =>
            run(process.execPath, [also, ...generateArgs, '--name', 'app', '--out', `app-${sequence++}.zip`]),
        }),
  };
  const names = Object.keys(contenders);
  const samples = new Map<string, Sample[]>(names.map((name) => [name, []]));

  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load before ${load()}` +
      (extraCaCerts
        ? `; NODE_EXTRA_CA_CERTS is set, ${options.keepEnv ? 'kept' : 'cleared'} for the timed processes`
        : ''),
  );
  // One unmeasured round warms the page cache for node, openssl, the JVM and our dist/.
  for (const name of names) contenders[name]?.();
  for (round = 0; round < options.pairs; round++) {
    for (let index = 0; index < names.length; index++) {
      const name = names[(index + round) % names.length] as string;
      samples.get(name)?.push((contenders[name] as () => Sample)());
    }
  }

  const summary: Record<string, { wallMs: number; cpuMs?: number; maxRssMiB?: number }> = {};
  console.log(`\n-- ${options.pairs} rounds, medians --`);
  for (const name of names) {
    const runs = samples.get(name) ?? [];
    const cpu = runs.flatMap((sample) => (sample.cpuMs === undefined ? [] : [sample.cpuMs]));
    const rss = runs.flatMap((sample) => (sample.maxRssMiB === undefined ? [] : [sample.maxRssMiB]));
    summary[name] = {
      wallMs: median(runs.map((sample) => sample.wallMs)),
      ...(cpu.length > 0 ? { cpuMs: median(cpu) } : {}),
      ...(rss.length > 0 ? { maxRssMiB: median(rss) } : {}),
    };
    const row = summary[name];
    console.log(
      `${name.padEnd(12)} wall ${row.wallMs.toFixed(1).padStart(7)} ms` +
        (row.cpuMs === undefined ? '' : `   cpu ${row.cpuMs.toFixed(0).padStart(5)} ms`) +
        (row.maxRssMiB === undefined ? '' : `   max RSS ${row.maxRssMiB.toFixed(1).padStart(6)} MiB`),
    );
  }
  const pairRatios = (samples.get('script') ?? []).map(
    (script, index) => script.wallMs / (samples.get('scbctl')?.[index]?.wallMs ?? NaN),
  );
  const ratio = median(pairRatios);
  console.log(`script / scbctl wall, median of pairs: ${ratio.toFixed(2)}× (target ≥ 3×)`);
  if (also !== undefined) {
    const alsoRatio = median(
      (samples.get('script') ?? []).map(
        (script, index) => script.wallMs / (samples.get(path.basename(also))?.[index]?.wallMs ?? NaN),
      ),
    );
    console.log(`script / ${path.basename(also)} wall, median of pairs: ${alsoRatio.toFixed(2)}×`);
  }

  // A folder of manifests, as a GitOps repository holds them: one file per bundle.
  const manifests = file('bundles');
  mkdirSync(manifests);
  for (let index = 0; index < options.batch; index++) {
    const name = `app-${String(index).padStart(4, '0')}`;
    writeFileSync(
      path.join(manifests, `${name}.yaml`),
      `apiVersion: scb-operator.io/v1alpha1\nkind: SecureConnectionBundle\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  clusterRef: {name: bench-cluster, namespace: cassandra}\n`,
    );
  }
  const batchRuns: Sample[] = [];
  for (let index = 0; index < options.batchRuns; index++) {
    const out = file(`batch-${index}`);
    batchRuns.push(run(process.execPath, [scbctl, ...generateArgs, '--bundle', manifests, '--out-dir', out]));
    const zips = readdirSync(out).filter((name) => name.endsWith('.zip')).length;
    if (zips !== options.batch)
      throw new Error(`batch run ${index} wrote ${zips} zips, not ${options.batch}`);
  }
  const batch = {
    bundles: options.batch,
    wallMs: median(batchRuns.map((sample) => sample.wallMs)),
    cpuMs: median(batchRuns.flatMap((sample) => (sample.cpuMs === undefined ? [] : [sample.cpuMs]))),
    maxRssMiB: median(
      batchRuns.flatMap((sample) => (sample.maxRssMiB === undefined ? [] : [sample.maxRssMiB])),
    ),
  };
  console.log(
    `\n-- batch: ${options.batch} bundles in one run, ${options.batchRuns} runs, medians --\n` +
      `wall ${batch.wallMs.toFixed(0)} ms (${(batch.wallMs / options.batch).toFixed(1)} ms a bundle; target < 2000 ms)` +
      `   cpu ${batch.cpuMs.toFixed(0)} ms   max RSS ${batch.maxRssMiB.toFixed(1)} MiB`,
  );
  console.log(`\nload after ${load()}`);
  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ when: new Date().toISOString(), load: os.loadavg(), extraCaCerts, options, summary, pairRatios, batch }, null, 2)}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function parseArgs(args: string[]): {
  pairs: number;
  batch: number;
  batchRuns: number;
  keepEnv: boolean;
  also?: string;
  json?: string;
} {
  const whole = (flag: string, fallback: number): number => {
    const index = args.indexOf(flag);
    if (index === -1) return fallback;
    const value = args[index + 1] ?? '';
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} "${value}" must be a whole number above 0`);
    return Number(value);
  };
  const json = args.indexOf('--json');
  const also = args.indexOf('--also');
  return {
    pairs: whole('--pairs', 15),
    batch: whole('--batch', 100),
    batchRuns: whole('--batch-runs', 5),
    keepEnv: args.includes('--keep-env'),
    ...(json === -1 ? {} : { json: path.resolve(args[json + 1] ?? 'cli-generate.json') }),
    ...(also === -1 ? {} : { also: args[also + 1] ?? 'dist/cli/scbctl.js' }),
  };
}
