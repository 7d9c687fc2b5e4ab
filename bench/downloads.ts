/**
 * Download API benchmark (issue 5): authenticated downloads per second on loopback, against a
 * real control plane, with the TokenReview/SubjectAccessReview cache on (10 s) and off, and
 * through a signed link (no review at all). Each phase runs `--seconds` with `--concurrency`
 * keep-alive clients, checks every answer is 200 with the zip's exact length, and reports
 * downloads/s, latency percentiles and how many reviews reached the apiserver.
 *
 *   node --import tsx bench/downloads.ts [--seconds 10] [--concurrency 8] [--zip-kib 64] [--json FILE]
 *
 * The API, the clients and the control plane share this machine's cores: the numbers are the
 * whole loop's, apiserver and etcd included. Every download also reads the bundle and its Secret
 * from the apiserver (fresh reads, so a new version is served at once), over keep-alive
 * connections as the operator makes them.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { startDownloadApi } from '../src/distribution/download-api/index.js';
import { fromKubeconfigFile } from '../src/kube/client/kube-connection.js';
import { KubeHttp } from '../src/kube/client/kube-http.js';
import { KubeObjects } from '../src/kube/kube-objects.js';
import { createLogger } from '../src/observability/logger.js';
import { OperatorMetrics } from '../src/observability/metrics.js';
import { systemClock } from '../src/time/clock.js';
import { exitOnSignals, startControlPlane } from '../test/support/control-plane.js';
import { controlPlaneConnectionEnv, createTestNamespace } from '../test/support/kube.js';
import { grantDownload, serviceAccountToken } from '../test/integration/distribution/distribution-support.js';
import { createPublishedBundle } from '../test/integration/distribution/published-bundle.js';
import { secretValue } from '../src/observability/secret-value.js';

interface Options {
  seconds: number;
  concurrency: number;
  zipKib: number;
  json?: string;
}

interface PhaseResult {
  phase: string;
  downloads: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  tokenReviews: number;
  accessReviews: number;
}

const options = parseArgs(process.argv.slice(2));
exitOnSignals();
const controlPlane = await startControlPlane({ log: (line) => console.error(`[control-plane] ${line}`) });
try {
  process.env[controlPlaneConnectionEnv] = controlPlane.connectionPath;
  const namespace = await createTestNamespace('bench-downloads');
  const published = await createPublishedBundle(namespace, 'orders', {
    versions: 1,
    certBytes: options.zipKib * 1024,
  });
  const zipBytes = published.zips.get(1)?.length ?? 0;
  const { token } = await serviceAccountToken(namespace, 'reader');
  await grantDownload(namespace, 'reader');

  const results: PhaseResult[] = [];
  for (const phase of ['review cache on (10 s)', 'review cache off', 'signed link'] as const) {
    // As the operator talks to the apiserver: keep-alive connections (src/operator/main.ts).
    const http = new KubeHttp(fromKubeconfigFile(controlPlane.kubeconfigPath, process.env));
    const counted = countingKube(new KubeObjects(http));
    const api = await startDownloadApi({
      kube: counted,
      port: 0,
      host: '127.0.0.1',
      tls: undefined,
      clock: systemClock,
      logger: createLogger({ level: 'warn' }),
      metrics: new OperatorMetrics(new Registry()),
      linkKey: secretValue(randomBytes(32)),
      reviewCacheTtlMs: phase === 'review cache off' ? 0 : 10_000,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: api.certificatePem });
    const base = `https://127.0.0.1:${api.port}/v1/namespaces/${namespace}/bundles/orders`;
    let url = base;
    let bearer: string | undefined = token;
    if (phase === 'signed link') {
      const minted = await get(agent, `${base}/links`, token, 'POST', '{"ttlSeconds": 3600}');
      url = (JSON.parse(minted.body.toString()) as { url: string }).url;
      bearer = undefined;
    }
    // Warm-up: TLS sessions, the first reviews, JIT.
    await run(agent, url, bearer, zipBytes, 1, options.concurrency);
    counted.tokenReviews = 0;
    counted.accessReviews = 0;
    const latencies = await run(agent, url, bearer, zipBytes, options.seconds, options.concurrency);
    latencies.sort((a, b) => a - b);
    results.push({
      phase,
      downloads: latencies.length,
      perSecond: Math.round(latencies.length / options.seconds),
      p50Ms: round(latencies[Math.floor(latencies.length * 0.5)] ?? 0),
      p99Ms: round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
      tokenReviews: counted.tokenReviews,
      accessReviews: counted.accessReviews,
    });
    agent.destroy();
    await api.close();
  }

  const environment = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage1m: round(os.loadavg()[0] ?? 0),
    node: process.version,
    kubernetes: controlPlane.connection.kubernetesVersion,
    zipBytes,
    seconds: options.seconds,
    concurrency: options.concurrency,
  };
  console.log(
    `downloads of a ${zipBytes}-byte zip, ${options.concurrency} keep-alive clients, ${options.seconds} s per phase`,
  );
  console.log(
    `${environment.cpus} CPUs (${environment.cpuModel}), load ${environment.loadAverage1m}, ${environment.node}, ${environment.kubernetes}`,
  );
  console.log('phase                    downloads/s   p50 ms   p99 ms   TokenReviews   SubjectAccessReviews');
  for (const result of results) {
    console.log(
      `${result.phase.padEnd(24)} ${String(result.perSecond).padStart(11)} ${String(result.p50Ms).padStart(8)} ${String(result.p99Ms).padStart(8)} ${String(result.tokenReviews).padStart(14)} ${String(result.accessReviews).padStart(22)}`,
    );
  }
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ environment, results }, null, 2)}\n`);
} finally {
  await controlPlane.stop();
}

/** KubeObjects with the two reviews counted, to show what the cache saves the apiserver. */
function countingKube(kube: KubeObjects) {
  const counted = {
    tokenReviews: 0,
    accessReviews: 0,
    getBundle: kube.getBundle.bind(kube),
    getSecret: kube.getSecret.bind(kube),
    reviewToken: (value: string) => {
      counted.tokenReviews += 1;
      return kube.reviewToken(value);
    },
    reviewAccess: (spec: Parameters<KubeObjects['reviewAccess']>[0]) => {
      counted.accessReviews += 1;
      return kube.reviewAccess(spec);
    },
  };
  return counted;
}

/** `concurrency` clients downloading back to back for `seconds`; the latency of each download. */
async function run(
  agent: Agent,
  url: string,
  bearer: string | undefined,
  zipBytes: number,
  seconds: number,
  concurrency: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const answer = await get(agent, url, bearer);
        if (answer.status !== 200 || answer.body.length !== zipBytes) {
          throw new Error(
            `download failed: HTTP ${answer.status}, ${answer.body.length} bytes: ${answer.body.toString().slice(0, 200)}`,
          );
        }
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

function get(
  agent: Agent,
  url: string,
  bearer: string | undefined,
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method, agent, headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks) }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function parseArgs(args: string[]): Options {
  const text = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index === -1 ? undefined : args[index + 1];
  };
  const whole = (flag: string, fallback: number): number => {
    const value = text(flag);
    if (value === undefined) return fallback;
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} "${value}" must be a whole number above 0`);
    return Number(value);
  };
  const json = text('--json');
  return {
    seconds: whole('--seconds', 10),
    concurrency: whole('--concurrency', 8),
    zipKib: whole('--zip-kib', 64),
    ...(json ? { json: path.resolve(json) } : {}),
  };
}
