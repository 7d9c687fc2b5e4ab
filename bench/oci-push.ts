/**
 * OCI push latency per bundle version (issue 16): one `OciPublisher.push` (encrypted zip artifact,
 * signature referrer through the referrers tag schema, tag v<N>, latest moved, tags beyond
 * keepTags deleted) against a real distribution registry on loopback (HTTPS, htpasswd Basic
 * auth), side by side with the object store's `publish` of the same version to a real versitygw
 * (client-side encryption on), the existing channel, as the baseline.
 *
 *   node --import tsx bench/oci-push.ts [--versions 100] [--size-kb 30] [--bcrypt-cost 4]
 *
 * The registry checks the htpasswd bcrypt on every request (about 20 a push); --bcrypt-cost 10
 * (htpasswd's default) shows what that costs a registry set up that way. Wall time per call
 * (process.hrtime) after 10 warm-up versions; the two channels take turns version by version.
 */
import { randomBytes } from 'node:crypto';
import type https from 'node:https';
import { Writable } from 'node:stream';
import { KeyEncryptionKey, ObjectStorePublisher } from '../src/distribution/object-store/index.js';
import { OutboundGuard, parseOutboundPolicy } from '../src/distribution/outbound/index.js';
import { OciPublisher } from '../src/distribution/oci/oci-publisher.js';
import { createLogger } from '../src/observability/logger.js';
import { secretValue } from '../src/observability/secret-value.js';
import { startObjectStore } from '../test/support/object-store.js';
import { startOciRegistry } from '../test/support/oci-registry.js';

const args = new Map<string, string>();
for (let index = 2; index < process.argv.length; index += 2)
  args.set(process.argv[index] ?? '', process.argv[index + 1] ?? '');
const versions = Number(args.get('--versions') ?? 100);
const sizeKb = Number(args.get('--size-kb') ?? 30);
const bcryptCost = Number(args.get('--bcrypt-cost') ?? 4);
const warmup = 10;

const zip = randomBytes(sizeKb * 1024);
const manifest = randomBytes(2048);
const signature = randomBytes(72);
const logger = createLogger({
  level: 'error',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const kek = new KeyEncryptionKey(randomBytes(32));

function summary(name: string, samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const ms = (value: number) => `${value.toFixed(2).padStart(7)} ms`;
  console.log(
    `${name.padEnd(48)} n=${sorted.length}  median ${ms(at(0.5))}  p90 ${ms(at(0.9))}  p99 ${ms(at(0.99))}  min ${ms(sorted[0] ?? NaN)}`,
  );
  return at(0.5);
}

const registry = await startOciRegistry({ bcryptCost });
const store = await startObjectStore();
const guard = new OutboundGuard({ policy: parseOutboundPolicy(['127.0.0.0/8'], []) });
const { httpsAgent } = guard.agents({ keepAlive: true, maxSockets: 4 });
try {
  await store.createBucket('bench');
  const oci = new OciPublisher(
    {
      registry: registry.host,
      repository: 'bench/app-scb',
      namespace: 'bench',
      name: 'app',
      credentials: secretValue({ username: registry.username, password: registry.password }),
      encryptionKey: kek,
      keepTags: 5,
    },
    { logger, agent: httpsAgent as https.Agent, ca: registry.caPem },
  );
  const s3 = new ObjectStorePublisher(
    {
      bucket: 'bench',
      location: { prefix: undefined, namespace: 'bench', name: 'app' },
      endpoint: store.endpoint,
      region: store.region,
      forcePathStyle: true,
      credentials: async () => ({ accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey }),
      encryptionKey: kek,
    },
    { logger, outbound: guard },
  );
  const samples: [number[], number[]] = [[], []];
  for (let version = 1; version <= warmup + versions; version++) {
    let start = process.hrtime.bigint();
    const pushed = await oci.push({ version, zip, manifest, signature, created: new Date() });
    const ociMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (pushed.state !== 'pushed' || pushed.cleanup)
      throw new Error(`v${version}: ${JSON.stringify(pushed)}`);
    start = process.hrtime.bigint();
    const stored = await s3.publish({ version, zip, manifest });
    const s3Ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (stored.state !== 'stored') throw new Error(`v${version}: ${stored.message}`);
    if (version > warmup) {
      samples[0].push(ociMs);
      samples[1].push(s3Ms);
    }
  }
  console.log(`${versions} versions of ${sizeKb} KiB, htpasswd bcrypt cost ${bcryptCost}, keepTags 5`);
  const ociMedian = summary('OCI push (artifact + referrer + tags + cleanup)', samples[0]);
  const s3Median = summary('object store publish, encrypted (baseline)', samples[1]);
  console.log(`ratio OCI / object store (medians): ${(ociMedian / s3Median).toFixed(2)}`);
  s3.close();
} finally {
  httpsAgent.destroy();
  await store.dispose();
  await registry.dispose();
}
