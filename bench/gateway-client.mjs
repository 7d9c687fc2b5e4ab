/* global process, console */
/**
 * The Node.js driver's side of bench/gateway.ts: runs `SELECT release_version FROM system.local`
 * with N requests in flight for S seconds, through the gateway (cloud mode, only the zip) or
 * directly (ordinary TLS to the nodes, from the same bundle's files), and prints one JSON line.
 *   node gateway-client.mjs cloud <zip> <seconds> <concurrency>
 *   node gateway-client.mjs direct <bundle-dir> <seconds> <concurrency>
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const cassandra = createRequire(import.meta.url)('cassandra-driver');
const [mode, source, secondsText, concurrencyText] = process.argv.slice(2);
const seconds = Number(secondsText);
const concurrency = Number(concurrencyText);

function client() {
  if (mode === 'cloud') return new cassandra.Client({ cloud: { secureConnectBundle: source } });
  const read = (name) => fs.readFileSync(path.join(source, name), 'utf8');
  const config = JSON.parse(read('config.json'));
  return new cassandra.Client({
    contactPoints: config.contactPoints,
    localDataCenter: config.localDC,
    protocolOptions: { port: config.cql_port },
    sslOptions: {
      ca: [read('ca.crt')],
      cert: read('cert'),
      key: read('key'),
      checkServerIdentity: () => undefined,
    },
  });
}

const session = client();
await session.connect();
const query = 'SELECT release_version FROM system.local';
// Warm-up: connections open, the statement prepared on every node.
for (let i = 0; i < 200; i++) await session.execute(query, [], { prepare: true });
const latencies = [];
const end = process.hrtime.bigint() + BigInt(seconds * 1e9);
const started = process.hrtime.bigint();
async function worker() {
  while (process.hrtime.bigint() < end) {
    const at = process.hrtime.bigint();
    await session.execute(query, [], { prepare: true });
    latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(
  JSON.stringify({
    mode,
    queries: latencies.length,
    qps: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  }),
);
await session.shutdown();
