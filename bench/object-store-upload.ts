/**
 * Object-store upload latency per bundle version (issue 5): one `ObjectStorePublisher.publish`
 * (HEAD + PUT of the zip and of manifest.json, then GET + PUT of latest.json) against a real
 * versitygw on loopback, with and without client-side encryption, plus the encryption alone.
 *
 *   node --import tsx bench/object-store-upload.ts [--versions 200] [--size-kb 30]
 *
 * Wall time in milliseconds per call (process.hrtime), after a warm-up of 10 versions; the two
 * publishers take turns version by version. The bundle
 * is random bytes (a zip is incompressible too) and a 2 KB manifest.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  KeyEncryptionKey,
  ObjectStorePublisher,
  type ObjectStoreSettings,
} from '../src/distribution/object-store/index.js';
import { OutboundGuard, parseOutboundPolicy } from '../src/distribution/outbound/index.js';
import { encryptObject } from '../src/distribution/object-store/client-side-encryption.js';
import { createLogger } from '../src/observability/logger.js';
import { startObjectStore } from '../test/support/object-store.js';

const args = new Map<string, string>();
for (let index = 2; index < process.argv.length; index += 2)
  args.set(process.argv[index] ?? '', process.argv[index + 1] ?? '');
const versions = Number(args.get('--versions') ?? 200);
const sizeKb = Number(args.get('--size-kb') ?? 30);
const warmup = 10;

const zip = randomBytes(sizeKb * 1024);
const manifest = randomBytes(2048);
const logger = createLogger({
  level: 'error',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

function summary(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const ms = (value: number) => `${value.toFixed(2).padStart(7)} ms`;
  console.log(
    `${name.padEnd(44)} n=${sorted.length}  median ${ms(at(0.5))}  p90 ${ms(at(0.9))}  p99 ${ms(at(0.99))}  min ${ms(sorted[0] ?? NaN)}`,
  );
}

/** Publishes versions 1..N to each publisher in turn, so both see the same machine load. */
async function measure(publishers: readonly ObjectStorePublisher[]): Promise<number[][]> {
  const samples = publishers.map((): number[] => []);
  for (let version = 1; version <= warmup + versions; version++) {
    for (const [index, publisher] of publishers.entries()) {
      const start = process.hrtime.bigint();
      const result = await publisher.publish({ version, zip, manifest });
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.state !== 'stored') throw new Error(`v${version}: ${result.message}`);
      if (version > warmup) samples[index]?.push(elapsed);
    }
  }
  return samples;
}

const server = await startObjectStore();
// versitygw listens on loopback, which the operator refuses unless allow-listed.
const outbound = new OutboundGuard({ policy: parseOutboundPolicy(['127.0.0.0/8'], []) });
try {
  const settings = (bucket: string, encryptionKey?: KeyEncryptionKey): ObjectStoreSettings => ({
    bucket,
    location: { prefix: 'bench', namespace: 'shop', name: 'orders-api' },
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: async () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
    ...(encryptionKey ? { encryptionKey } : {}),
  });
  console.log(
    `versitygw on ${server.endpoint}; bundle ${sizeKb} KB + 2 KB manifest; node ${process.version}`,
  );
  const kek = new KeyEncryptionKey(randomBytes(32));
  await server.createBucket('bench-plain');
  await server.createBucket('bench-encrypted');
  const plain = new ObjectStorePublisher(settings('bench-plain'), { logger, outbound });
  const encrypted = new ObjectStorePublisher(settings('bench-encrypted', kek), { logger, outbound });
  const [plainSamples = [], encryptedSamples = []] = await measure([plain, encrypted]);
  summary('publish, plaintext', plainSamples);
  summary('publish, client-side encrypted', encryptedSamples);
  plain.close();
  encrypted.close();
  const encryptOnly: number[] = [];
  for (let index = 0; index < warmup + versions; index++) {
    const start = process.hrtime.bigint();
    encryptObject(zip, kek, 'shop/orders-api/v1/secure-connect-orders-api.zip');
    encryptObject(manifest, kek, 'shop/orders-api/v1/manifest.json');
    if (index >= warmup) encryptOnly.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  summary('encryption alone (zip + manifest)', encryptOnly);
} finally {
  await server.dispose();
}
