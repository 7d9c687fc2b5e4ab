import fc from 'fast-check';
import { buildBundle } from '../../../src/bundle/build-bundle.js';
import { packBundle } from '../../../src/bundle/layout.js';
import { PLATFORMS } from '../../../src/bundle/platforms/index.js';
import {
  DEFAULT_ZIP_READ_LIMITS,
  readZip,
  ZIP_REFUSALS,
  ZipRefusedError,
} from '../../../src/bundle/zip-reader.js';
import type { ZipEntry } from '../../../src/bundle/zip.js';
import { systemClock } from '../../../src/time/clock.js';
import { bundleRequest, createMaterial } from './bundle-fixtures.js';
import { assemble, CENTRAL, END, LOCAL, takeApart, type ZipParts } from '../../support/zip-surgery.js';

/**
 * Property: whatever is done to the bytes of a real bundle, readZip either returns genuine entries
 * of that bundle (so their content matched the CRC and size the zip declared) or throws a
 * ZipRefusedError with one of the named reasons; never another exception, and it never holds
 * more memory than its limits allow.
 *
 * A fixed seed keeps failures reproducible (fast-check prints the seed and path to replay); 1000
 * runs take about 3 s on a busy 2-core machine. For a longer hunt (20,000 runs: about a minute),
 * with a count of the outcomes printed:
 *   SCB_ZIP_FUZZ_RUNS=20000 SCB_ZIP_FUZZ_SEED=$RANDOM SCB_ZIP_FUZZ_REPORT=1 node --experimental-vm-modules \
 *     node_modules/jest/bin/jest.js test/unit/bundle/zip-reader-fuzz --selectProjects unit
 */
const RUNS = Number(process.env.SCB_ZIP_FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.SCB_ZIP_FUZZ_SEED ?? 20261203);
const MiB = 1024 * 1024;
/**
 * Inflating can briefly hold its output twice (chunks, then their concatenation), and the stored
 * entries are copies of the input: what readZip may add to the ArrayBuffer memory.
 */
const memoryBound = (input: Buffer): number =>
  2 * DEFAULT_ZIP_READ_LIMITS.maxTotalBytes + 2 * input.length + MiB;

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'splice'; at: number; remove: number; insert: Uint8Array }
  | {
      kind: 'setField';
      record: number;
      field: HeaderField;
      where: 'central' | 'local' | 'both';
      value: number;
    }
  | { kind: 'setLocalAt'; record: number; value: number }
  | { kind: 'setEndField'; field: keyof typeof END; value: number }
  | { kind: 'duplicateRecord'; record: number }
  | { kind: 'pointRecordsAt'; target: number | 'largest'; copies: number }
  | { kind: 'retarget'; record: number; target: number }
  | { kind: 'dropRecord'; record: number }
  | { kind: 'duplicateEntry'; record: number };
type HeaderField = 'flags' | 'method' | 'crc' | 'compressedSize' | 'size';

const index = fc.nat({ max: 1 << 20 });
const u32 = fc.oneof(
  fc.constantFrom(0, 1, 13, 0xffff, 0x7fffffff, 0xfffffffe, 0xffffffff, 2 * MiB + 1, 8 * MiB, 64 * MiB),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: index, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: index }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: index,
    remove: fc.nat({ max: 64 }),
    insert: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant('setField' as const),
    record: index,
    field: fc.constantFrom<HeaderField>('flags', 'method', 'crc', 'compressedSize', 'size'),
    where: fc.constantFrom('central' as const, 'local' as const, 'both' as const),
    value: u32,
  }),
  fc.record({ kind: fc.constant('setLocalAt' as const), record: index, value: u32 }),
  fc.record({
    kind: fc.constant('setEndField' as const),
    field: fc.constantFrom<keyof typeof END>(
      'disk',
      'directoryDisk',
      'entriesOnDisk',
      'count',
      'size',
      'offset',
    ),
    value: u32,
  }),
  fc.record({ kind: fc.constant('duplicateRecord' as const), record: index }),
  fc.record({
    kind: fc.constant('pointRecordsAt' as const),
    target: fc.oneof(index, fc.constant('largest' as const)),
    copies: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('retarget' as const), record: index, target: index }),
  fc.record({ kind: fc.constant('dropRecord' as const), record: index }),
  fc.record({ kind: fc.constant('duplicateEntry' as const), record: index }),
);

function mutate(zip: Buffer, change: Mutation): Buffer {
  switch (change.kind) {
    case 'flip': {
      if (zip.length === 0) return zip;
      const copy = Buffer.from(zip);
      const at = change.at % copy.length;
      copy[at] = (copy[at] ?? 0) ^ change.mask;
      return copy;
    }
    case 'truncate':
      return zip.subarray(0, change.keep % (zip.length + 1));
    case 'splice': {
      const at = change.at % (zip.length + 1);
      return Buffer.concat([zip.subarray(0, at), change.insert, zip.subarray(at + change.remove)]);
    }
    case 'setEndField': {
      if (zip.length < 22) return zip;
      const copy = Buffer.from(zip);
      const at = copy.length - 22 + END[change.field];
      if (change.field === 'size' || change.field === 'offset') copy.writeUInt32LE(change.value, at);
      else copy.writeUInt16LE(change.value & 0xffff, at);
      return copy;
    }
    default:
      return restructure(zip, change);
  }
}

/** Mutations that take the zip apart first; bytes too damaged to take apart stay as they are. */
function restructure(zip: Buffer, change: Mutation): Buffer {
  let parts: ZipParts;
  try {
    parts = takeApart(zip);
  } catch {
    return zip;
  }
  const { body, records } = parts;
  if (records.length === 0) return zip;
  const pick = (i: number): Buffer => records[i % records.length] as Buffer;
  try {
    switch (change.kind) {
      case 'setField': {
        const record = Buffer.from(pick(change.record));
        const local = Buffer.from(body);
        const write = (bytes: Buffer, at: number): void => {
          if (change.field === 'flags' || change.field === 'method')
            bytes.writeUInt16LE(change.value & 0xffff, at);
          else bytes.writeUInt32LE(change.value, at);
        };
        if (change.where !== 'local') write(record, CENTRAL[change.field]);
        if (change.where !== 'central')
          write(local, record.readUInt32LE(CENTRAL.localAt) + LOCAL[change.field]);
        return assemble({
          body: local,
          records: records.map((r, i) => (i === change.record % records.length ? record : r)),
        });
      }
      case 'setLocalAt': {
        const record = Buffer.from(pick(change.record));
        record.writeUInt32LE(change.value, CENTRAL.localAt);
        return assemble({
          body,
          records: records.map((r, i) => (i === change.record % records.length ? record : r)),
        });
      }
      case 'duplicateRecord':
        return assemble({ body, records: [...records, pick(change.record)] });
      case 'pointRecordsAt': {
        // 'largest': the entry that declares the most bytes, the one a zip bomb would repeat.
        const largestFirst = [...records].sort(
          (a, b) => b.readUInt32LE(CENTRAL.size) - a.readUInt32LE(CENTRAL.size),
        );
        const target = change.target === 'largest' ? (largestFirst[0] as Buffer) : pick(change.target);
        return assemble({
          body,
          records: [...records, ...Array.from({ length: change.copies }, () => target)],
        });
      }
      case 'retarget': {
        const record = Buffer.from(pick(change.record));
        record.writeUInt32LE(pick(change.target).readUInt32LE(CENTRAL.localAt), CENTRAL.localAt);
        return assemble({
          body,
          records: records.map((r, i) => (i === change.record % records.length ? record : r)),
        });
      }
      case 'dropRecord':
        return assemble({ body, records: records.filter((_, i) => i !== change.record % records.length) });
      case 'duplicateEntry': {
        // A second, complete copy of one entry (local header, data and record): a valid zip.
        const record = Buffer.from(pick(change.record));
        const localAt = record.readUInt32LE(CENTRAL.localAt);
        const length =
          30 +
          body.readUInt16LE(localAt + LOCAL.nameLength) +
          body.readUInt16LE(localAt + LOCAL.nameLength + 2) +
          body.readUInt32LE(localAt + LOCAL.compressedSize);
        record.writeUInt32LE(body.length, CENTRAL.localAt);
        const copy = body.subarray(localAt, localAt + length);
        return assemble({ body: Buffer.concat([body, copy]), records: [...records, record] });
      }
      default:
        return zip;
    }
  } catch {
    return zip; // a field offset past the end of damaged bytes
  }
}

/** Every read entry must be one of the bundle's own, byte for byte. */
function isGenuine(entry: ZipEntry, originals: readonly ZipEntry[]): boolean {
  return originals.some((original) => original.path === entry.path && original.content.equals(entry.content));
}

interface Seed {
  name: string;
  zip: Buffer;
  entries: ZipEntry[];
}
let seeds: Seed[];

beforeAll(async () => {
  const material = await createMaterial();
  const full = await buildBundle(bundleRequest(material), { clock: systemClock, platforms: PLATFORMS });
  const astraOnly = await buildBundle(bundleRequest(material, { platforms: [] }), {
    clock: systemClock,
    platforms: PLATFORMS,
  });
  // The full bundle plus 1 MiB of zeros (1 KB deflated): something for size rewrites and
  // repointed records to multiply, as a zip bomb would.
  const padded = packBundle([...full.files, { path: 'padding', content: Buffer.alloc(MiB) }], new Date());
  seeds = [
    { name: 'full', zip: full.zip },
    { name: 'astra-only', zip: astraOnly.zip },
    { name: 'padded', zip: padded },
  ].map((seed) => ({ ...seed, entries: readZip(seed.zip, seed.name) }));
}, 60_000);

it(
  'reads mutated real bundles into genuine entries or a named refusal, within bounded memory',
  () => {
    expect(seeds.map((seed) => seed.entries.length)).toEqual([42, 11, 43]);
    const outcomes = new Map<string, number>();
    let largestGrowth = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (which, changes) => {
          const seed = seeds[which] as Seed;
          const bytes = changes.reduce(mutate, seed.zip);
          const before = process.memoryUsage().arrayBuffers;
          let entries: ZipEntry[];
          try {
            entries = readZip(bytes, 'fuzz.zip');
          } catch (error) {
            if (!(error instanceof ZipRefusedError)) throw error;
            expect(ZIP_REFUSALS).toContain(error.reason);
            outcomes.set(error.reason, (outcomes.get(error.reason) ?? 0) + 1);
            return;
          } finally {
            const growth = process.memoryUsage().arrayBuffers - before;
            largestGrowth = Math.max(largestGrowth, growth);
            expect(growth).toBeLessThanOrEqual(memoryBound(bytes));
          }
          outcomes.set('read', (outcomes.get('read') ?? 0) + 1);
          expect(entries.every((entry) => isGenuine(entry, seed.entries))).toBe(true);
          expect(entries.reduce((sum, entry) => sum + entry.content.length, 0)).toBeLessThanOrEqual(
            DEFAULT_ZIP_READ_LIMITS.maxTotalBytes,
          );
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    if (process.env.SCB_ZIP_FUZZ_REPORT) console.log({ runs: RUNS, seed: SEED, largestGrowth, outcomes });
    // The mutations reach both sides: zips still read, and refusals of several kinds.
    expect(outcomes.get('read')).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(5);
  },
  Math.max(120_000, RUNS * 10),
);
