/**
 * Bundle generation benchmark (issue bundle-engine): latency per key type, bundle size, the bare
 * crypto primitives as a floor, and the hand-scripted openssl + keytool + zip sequence as a
 * baseline — all in one run, on the same machine state.
 *
 *   node --import tsx bench/bundle-generation.ts [--bundles 200] [--slow-rsa 20] [--baseline 10] [--json FILE]
 *
 * Every number is wall time in milliseconds measured with process.hrtime around one in-process
 * call (or one shell run for the baseline), after a warm-up.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, pbkdf2Sync, randomBytes, sign, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle, type BuildBundleRequest } from '../src/bundle/build-bundle.js';
import { readGeneratorInfo } from '../src/bundle/generator.js';
import { PLATFORMS } from '../src/bundle/platforms/index.js';
import { generateSigningKey } from '../src/bundle/signing.js';
import { pkcs12Kdf, Pkcs12KeyPurpose } from '../src/keystore/pkcs12-kdf.js';
import { createManagedCaHierarchy } from '../src/pki/certificate-authority.js';
import type { PrivateKeySpec } from '../src/pki/private-key.js';
import { systemClock } from '../src/time/clock.js';

const options = parseArgs(process.argv.slice(2));
const work = mkdtempSync(path.join(os.tmpdir(), 'scb-bench-'));

interface Row {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  min: number;
}
const rows: Row[] = [];

function summarize(name: string, samples: number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const row = { name, runs: samples.length, p50: at(0.5), p95: at(0.95), min: sorted[0] ?? NaN };
  rows.push(row);
  console.log(
    `${name.padEnd(52)} n=${String(row.runs).padStart(4)}  p50 ${fmt(row.p50)}  p95 ${fmt(row.p95)}  min ${fmt(row.min)}`,
  );
  return row;
}

async function time(runs: number, warmup: number, task: () => unknown): Promise<number[]> {
  for (let index = 0; index < warmup; index++) await task();
  const samples: number[] = [];
  for (let index = 0; index < runs; index++) {
    const start = process.hrtime.bigint();
    await task();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

try {
  const hierarchy = await createManagedCaHierarchy(
    {
      commonName: 'bench client CA',
      rootDurationSeconds: 10 * 8760 * 3600,
      intermediateDurationSeconds: 8760 * 3600,
    },
    systemClock,
  );
  const serverCa = await createManagedCaHierarchy(
    {
      commonName: 'bench server CA',
      rootDurationSeconds: 10 * 8760 * 3600,
      intermediateDurationSeconds: 8760 * 3600,
    },
    systemClock,
  );
  const signingKey = generateSigningKey();
  // Read once, as the CLI and the operator do: it is a file read, not part of building a bundle.
  const generator = readGeneratorInfo();
  const request = (
    privateKey: PrivateKeySpec,
    platforms?: BuildBundleRequest['platforms'],
  ): BuildBundleRequest => ({
    name: 'bench-app',
    namespace: 'bench',
    version: 1,
    clusterRef: { name: 'bench-cluster' },
    cluster: {
      contactPoints: ['cassandra-0.db.svc', 'cassandra-1.db.svc', 'cassandra-2.db.svc'],
      port: 9142,
      localDatacenter: 'dc1',
      datacenters: [{ name: 'dc2', contactPoints: ['cassandra-dc2.db.example.com'] }],
      keyspace: 'orders',
      hostnameVerification: true,
    },
    serverCaPem: serverCa.rootPem.certificatePem,
    clientCa: hierarchy.intermediate,
    identity: { commonName: 'bench-app', spiffeId: 'spiffe://bench.example/ns/bench/scb/bench-app' },
    privateKey,
    durationSeconds: 2160 * 3600,
    ...(platforms ? { platforms } : {}),
    signingKey,
    generator,
  });
  const deps = { clock: systemClock, platforms: PLATFORMS };
  const generate = (spec: PrivateKeySpec, platforms?: BuildBundleRequest['platforms']) => () =>
    buildBundle(request(spec, platforms), deps);

  console.log(
    `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('-- floor: bare crypto primitives (node:crypto, native) --');
  summarize(
    'ECDSA P-256 key generation (webcrypto)',
    await time(options.bundles, 20, () =>
      webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']),
    ),
  );
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const tbs = randomBytes(600);
  summarize(
    'ECDSA P-256 SHA-256 signature',
    await time(options.bundles, 20, () => sign('sha256', tbs, ecKey)),
  );
  summarize(
    'PBKDF2-HMAC-SHA256 × 2048 (PKCS#12 key bag)',
    await time(options.bundles, 20, () => pbkdf2Sync('x'.repeat(32), randomBytes(16), 2048, 32, 'sha256')),
  );
  summarize(
    'PKCS#12 KDF SHA-256 × 2048 (PKCS#12 MAC key)',
    await time(options.bundles, 20, () =>
      pkcs12Kdf('sha256', 'x'.repeat(32), randomBytes(16), 2048, Pkcs12KeyPurpose.macKey, 32),
    ),
  );
  summarize(
    'SHA-256 of 30 KB (manifest hashing scale)',
    await time(options.bundles, 20, () => createHash('sha256').update(randomBytes(30_000)).digest()),
  );
  const rsaKeygen = summarize(
    'RSA-2048 key generation (bare, webcrypto)',
    await time(options.bundles, 3, () =>
      webcrypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        true,
        ['sign'],
      ),
    ),
  );

  console.log(
    '\n-- scb-operator: whole bundle in-process (key, certificate, keystores, 13 platforms, manifest, signature, zip) --',
  );
  const ecdsa256 = summarize(
    'bundle ECDSA P-256 (all platforms)',
    await time(options.bundles, 20, generate({ algorithm: 'ECDSA', size: 256 })),
  );
  summarize(
    'bundle ECDSA P-256 (no platforms: Astra files only)',
    await time(options.bundles, 20, generate({ algorithm: 'ECDSA', size: 256 }, [])),
  );
  summarize(
    'bundle ECDSA P-384 (all platforms)',
    await time(options.bundles, 20, generate({ algorithm: 'ECDSA', size: 384 })),
  );
  const rsa2048 = summarize(
    'bundle RSA-2048 (all platforms)',
    await time(options.bundles, 3, generate({ algorithm: 'RSA', size: 2048 })),
  );
  // RSA key generation varies from tens to hundreds of milliseconds, which buries the rest of
  // the bundle in the difference of two p50s; a kept key (rotationPolicy Never) measures
  // everything but key generation directly.
  const keptRsaKey = (await generate({ algorithm: 'RSA', size: 2048 })()).privateKeyPem;
  const rsa2048KeyKept = summarize(
    'bundle RSA-2048, key kept (all but key generation)',
    await time(options.bundles, 20, () =>
      buildBundle({ ...request({ algorithm: 'RSA', size: 2048 }), reusePrivateKeyPem: keptRsaKey }, deps),
    ),
  );
  summarize(
    'bundle RSA-3072 (all platforms)',
    await time(options.slowRsa, 1, generate({ algorithm: 'RSA', size: 3072 })),
  );
  summarize(
    'bundle RSA-4096 (all platforms)',
    await time(options.slowRsa, 1, generate({ algorithm: 'RSA', size: 4096 })),
  );
  summarize(
    'bundle ECDSA P-256, Legacy keystores',
    await time(options.bundles, 5, () =>
      buildBundle({ ...request({ algorithm: 'ECDSA', size: 256 }), keystoreProfile: 'Legacy' }, deps),
    ),
  );

  const full = await generate({ algorithm: 'ECDSA', size: 256 })();
  const bare = await generate({ algorithm: 'ECDSA', size: 256 }, [])();
  const rsaFull = await generate({ algorithm: 'RSA', size: 4096 })();

  console.log(
    '\n-- baseline: openssl + keytool + zip by hand (bench/handmade-bundle.sh, Astra files only) --',
  );
  const pki = path.join(work, 'pki');
  execFileSync('mkdir', ['-p', pki]);
  writeFileSync(path.join(pki, 'ca.crt'), hierarchy.intermediatePem.certificatePem);
  writeFileSync(path.join(pki, 'ca.key'), hierarchy.intermediatePem.privateKeyPem, { mode: 0o600 });
  writeFileSync(path.join(pki, 'server-ca.crt'), serverCa.rootPem.certificatePem);
  writeFileSync(
    path.join(pki, 'signing.key'),
    signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );
  let runIndex = 0;
  const handmade = (keyType: string) => () => {
    const out = path.join(work, `handmade-${runIndex++}`);
    execFileSync(
      'bash',
      [
        path.join(import.meta.dirname, 'handmade-bundle.sh'),
        path.join(pki, 'ca.crt'),
        path.join(pki, 'ca.key'),
        path.join(pki, 'server-ca.crt'),
        path.join(pki, 'signing.key'),
        out,
        keyType,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  };
  const baselineEc = summarize('hand-made ECDSA P-256', await time(options.baseline, 1, handmade('ec')));
  summarize('hand-made RSA-2048', await time(options.baseline, 1, handmade('rsa')));

  console.log('\n-- results --');
  console.log(
    `bundle size, ECDSA P-256, all 13 platforms: ${full.size} bytes (${(full.size / 1024).toFixed(1)} KiB)`,
  );
  console.log(
    `bundle size, ECDSA P-256, Astra files only:  ${bare.size} bytes (${(bare.size / 1024).toFixed(1)} KiB)`,
  );
  console.log(
    `bundle size, RSA-4096, all 13 platforms:     ${rsaFull.size} bytes (${(rsaFull.size / 1024).toFixed(1)} KiB)`,
  );
  console.log(
    `ECDSA P-256 p50 vs hand-made p50: ${fmt(ecdsa256.p50)} vs ${fmt(baselineEc.p50)} = ${(baselineEc.p50 / ecdsa256.p50).toFixed(0)}× faster`,
  );
  console.log(
    `RSA-2048 bundle p50 minus bare RSA-2048 key generation p50: ${fmt(rsa2048.p50 - rsaKeygen.p50)}`,
  );
  console.log(`RSA-2048 bundle with a kept key (all but key generation) p50: ${fmt(rsa2048KeyKept.p50)}`);
  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ when: new Date().toISOString(), rows, sizes: { full: full.size, bare: bare.size, rsa4096: rsaFull.size } }, null, 2)}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function fmt(ms: number): string {
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`.padStart(10);
}

function parseArgs(args: string[]): { bundles: number; slowRsa: number; baseline: number; json?: string } {
  const value = (flag: string, fallback: number): number => {
    const index = args.indexOf(flag);
    return index === -1 ? fallback : Number(args[index + 1]);
  };
  const jsonIndex = args.indexOf('--json');
  return {
    bundles: value('--bundles', 200),
    slowRsa: value('--slow-rsa', 20),
    baseline: value('--baseline', 10),
    ...(jsonIndex === -1 ? {} : { json: args[jsonIndex + 1] as string }),
  };
}
