import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { InvalidInputError } from '../../../src/errors.js';
import { DEFAULT_ZIP_READ_LIMITS, readZip, ZipRefusedError } from '../../../src/bundle/zip-reader.js';
import { writeZip, type ZipEntry } from '../../../src/bundle/zip.js';
import {
  assemble,
  CENTRAL,
  END,
  endRecordAt,
  LOCAL,
  takeApart,
  withUInt16,
  withUInt32,
} from '../../support/zip-surgery.js';

const at = new Date('2030-05-06T07:08:10Z');
const MiB = 1024 * 1024;
const entries: ZipEntry[] = [
  { path: 'config.json', content: Buffer.from('{"host":"a"}\n') },
  { path: 'platforms/python/connect.py', content: Buffer.from('print("hi")\n'.repeat(50)) },
  { path: 'empty', content: Buffer.alloc(0) },
];
const zip = writeZip(entries, at);

/** The reason readZip refused with, or 'read' when it read the zip. Any other throw fails the test. */
function outcome(bytes: Buffer, limits = DEFAULT_ZIP_READ_LIMITS): string {
  try {
    readZip(bytes, 'hostile.zip', limits);
    return 'read';
  } catch (error) {
    if (error instanceof ZipRefusedError) return error.reason;
    throw error;
  }
}

/** Applies `change` to the first local header and to the first central record alike. */
function bothHeaders(
  source: Buffer,
  change: (header: Buffer, offsets: typeof LOCAL | typeof CENTRAL) => Buffer,
): Buffer {
  const parts = takeApart(source);
  const [first, ...rest] = parts.records as [Buffer, ...Buffer[]];
  return assemble({ body: change(parts.body, LOCAL), records: [change(first, CENTRAL), ...rest] });
}

/** One entry whose local header carries `flags` and a data descriptor after the data. */
function withDataDescriptor(
  content: Buffer,
  descriptor: (crc: number, compressed: number) => Buffer,
): Buffer {
  const { body, records } = takeApart(writeZip([{ path: 'streamed.txt', content }], at));
  const compressed = deflateRawSync(content, { level: 1 }).length;
  let local = withUInt16(body, LOCAL.flags, 0x0808);
  for (const field of [LOCAL.crc, LOCAL.compressedSize, LOCAL.size]) local = withUInt32(local, field, 0);
  const central = withUInt16(records[0] as Buffer, CENTRAL.flags, 0x0808);
  return assemble({
    body: Buffer.concat([local, descriptor(crc32(content), compressed)]),
    records: [central],
  });
}

function descriptorBytes(...fields: number[]): Buffer {
  const bytes = Buffer.alloc(fields.length * 4);
  fields.forEach((value, i) => bytes.writeUInt32LE(value >>> 0, i * 4));
  return bytes;
}

describe('readZip: well-formed zips', () => {
  it('round-trips entries in order', () => {
    expect(readZip(zip, 'test.zip')).toEqual(entries);
  });

  it('keeps duplicate names visible, so verify can report a smuggled second config.json', () => {
    const twice = writeZip([entries[0]!, entries[0]!], at);
    expect(readZip(twice, 'x').map((e) => e.path)).toEqual(['config.json', 'config.json']);
  });

  it('reads what Info-ZIP writes, to a file and streamed (data descriptors), skipping folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scb-zip-reader-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'hello hello hello\n'.repeat(50));
      execFileSync('mkdir', ['d'], { cwd: dir });
      writeFileSync(join(dir, 'd/b.txt'), 'hi\n');
      execFileSync('zip', ['-q', '-r', 'file.zip', 'a.txt', 'd'], { cwd: dir });
      const streamed = execFileSync('zip', ['-q', '-', 'a.txt', 'd/b.txt'], { cwd: dir });
      for (const made of [readFileSync(join(dir, 'file.zip')), streamed]) {
        expect(readZip(made, 'info-zip').map((e) => [e.path, e.content.toString()])).toEqual([
          ['a.txt', 'hello hello hello\n'.repeat(50)],
          ['d/b.txt', 'hi\n'],
        ]);
      }
      expect(streamed.readUInt16LE(LOCAL.flags) & 0x0008).toBe(0x0008);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads data descriptors with and without their signature', () => {
    const content = Buffer.from('streamed '.repeat(40));
    const size = content.length;
    const signed = withDataDescriptor(content, (crc, csize) => descriptorBytes(0x08074b50, crc, csize, size));
    const unsigned = withDataDescriptor(content, (crc, csize) => descriptorBytes(crc, csize, size));
    expect(readZip(signed, 's')).toEqual([{ path: 'streamed.txt', content }]);
    expect(readZip(unsigned, 'u')).toEqual([{ path: 'streamed.txt', content }]);
  });

  it('finds the end record past a comment that contains an end-record signature', () => {
    const comment = Buffer.concat([
      Buffer.from('note '),
      Buffer.from([0x50, 0x4b, 0x05, 0x06]),
      Buffer.alloc(30),
    ]);
    const commented = Buffer.concat([withUInt16(zip, endRecordAt(zip) + 20, comment.length), comment]);
    expect(readZip(commented, 'c')).toEqual(entries);
  });

  it('reads the largest real-size bundle well inside the default limits', () => {
    // 42 entries, 72 KB, largest 13 KB: a full RSA-4096 bundle (README "Benchmarks").
    const big = writeZip(
      Array.from({ length: 42 }, (_, i) => ({ path: `f${i}`, content: Buffer.alloc(13 * 1024, i) })),
      at,
    );
    expect(readZip(big, 'big')).toHaveLength(42);
  });
});

describe('readZip: hostile zips are refused with a named reason', () => {
  it('refuses the 20-records-at-one-entry bomb at each layer: entry size, total size, overlap', () => {
    const { body, records } = takeApart(writeZip([{ path: 'bomb', content: Buffer.alloc(4 * MiB) }], at));
    const bomb = assemble({ body, records: Array.from({ length: 20 }, () => records[0] as Buffer) });
    expect(bomb.length).toBeLessThan(20 * 1024); // 80 MiB declared in under 20 KB
    expect(() => readZip(bomb, 'bomb.zip')).toThrow(
      'bomb.zip: not a readable bundle zip (entry 0 "bomb" declares 4194304 bytes, over the limit of 2097152)',
    );
    const roomyEntries = { ...DEFAULT_ZIP_READ_LIMITS, maxEntryBytes: 100 * MiB };
    expect(() => readZip(bomb, 'bomb.zip', roomyEntries)).toThrow(
      'bomb.zip: not a readable bundle zip (the entries declare more than 8388608 bytes in all, the limit)',
    );
    const roomy = { maxEntries: 100, maxEntryBytes: 100 * MiB, maxTotalBytes: 100 * MiB };
    expect(() => readZip(bomb, 'bomb.zip', roomy)).toThrow(
      'bomb.zip: not a readable bundle zip (entry 1 "bomb" and entry 0 "bomb" share bytes; each entry must have its own)',
    );
  });

  it('refuses an entry hidden inside another entry’s stored data (an overlapped bomb)', () => {
    // Entry "outer" is stored and its data is a complete local entry "inner", listed on its own too.
    const inner = takeApart(writeZip([{ path: 'inner', content: Buffer.from('x'.repeat(1000)) }], at));
    const outer = takeApart(writeZip([{ path: 'outer', content: inner.body }], at));
    let outerRecord = withUInt16(outer.records[0] as Buffer, CENTRAL.method, 0);
    outerRecord = withUInt32(outerRecord, CENTRAL.compressedSize, inner.body.length);
    let outerLocal = withUInt16(outer.body.subarray(0, 35), LOCAL.method, 0);
    outerLocal = withUInt32(outerLocal, LOCAL.compressedSize, inner.body.length);
    const innerRecord = withUInt32(inner.records[0] as Buffer, CENTRAL.localAt, 35);
    const overlapped = assemble({
      body: Buffer.concat([outerLocal, inner.body]),
      records: [outerRecord, innerRecord],
    });
    expect(outcome(overlapped)).toBe('ZipOverlappingEntries');
    // Control: the same two entries side by side are a valid zip.
    const apart = assemble({
      body: Buffer.concat([outerLocal, inner.body, inner.body]),
      records: [outerRecord, withUInt32(innerRecord, CENTRAL.localAt, 35 + inner.body.length)],
    });
    expect(readZip(apart, 'apart').map((e) => e.path)).toEqual(['outer', 'inner']);
  });

  it('refuses a record that points into the central directory', () => {
    const parts = takeApart(zip);
    const records = [...parts.records];
    records[2] = withUInt32(records[2] as Buffer, CENTRAL.localAt, parts.body.length);
    expect(outcome(assemble({ body: parts.body, records }))).toBe('ZipOverlappingEntries');
  });

  it('refuses too many entries, an oversized entry and an oversized total (default limits)', () => {
    const many = writeZip(
      Array.from({ length: DEFAULT_ZIP_READ_LIMITS.maxEntries + 1 }, (_, i) => ({
        path: `f${i}`,
        content: Buffer.from('x'),
      })),
      at,
    );
    expect(() => readZip(many, 'many.zip')).toThrow('1025 entries, over the limit of 1024');
    const large = writeZip([{ path: 'large', content: Buffer.alloc(3 * MiB) }], at);
    expect(() => readZip(large, 'large.zip')).toThrow(
      'large.zip: not a readable bundle zip (entry 0 "large" declares 3145728 bytes, over the limit of 2097152)',
    );
    const total = writeZip(
      Array.from({ length: 5 }, (_, i) => ({ path: `part${i}`, content: Buffer.alloc(2 * MiB) })),
      at,
    );
    expect(outcome(total)).toBe('ZipTooLarge');
    expect(outcome(many, { ...DEFAULT_ZIP_READ_LIMITS, maxEntries: 1025 })).toBe('read');
  });

  it.each([
    [
      'name',
      (h: Buffer, o: typeof LOCAL | typeof CENTRAL) => (o === LOCAL ? withUInt16(h, 30 + 9, 0x4e6f) : h),
    ],
    ['flags', (h: Buffer, o: typeof LOCAL | typeof CENTRAL) => (o === LOCAL ? withUInt16(h, o.flags, 0) : h)],
    [
      'compression method',
      (h: Buffer, o: typeof LOCAL | typeof CENTRAL) => (o === LOCAL ? withUInt16(h, o.method, 0) : h),
    ],
    ['CRC', (h: Buffer, o: typeof LOCAL | typeof CENTRAL) => (o === CENTRAL ? withUInt32(h, o.crc, 1) : h)],
    [
      'compressed size',
      (h: Buffer, o: typeof LOCAL | typeof CENTRAL) =>
        o === CENTRAL ? withUInt32(h, o.compressedSize, 5) : h,
    ],
    ['size', (h: Buffer, o: typeof LOCAL | typeof CENTRAL) => (o === LOCAL ? withUInt32(h, o.size, 99) : h)],
  ])('refuses a local header that disagrees with its central record on the %s', (field, change) => {
    expect(() => readZip(bothHeaders(zip, change), 'm.zip')).toThrow(
      `m.zip: not a readable bundle zip (entry 0 "config.json": its local header and central record disagree on the ${field})`,
    );
  });

  it('refuses a data descriptor that disagrees with the central record', () => {
    const content = Buffer.from('streamed '.repeat(40));
    const wrongSize = withDataDescriptor(content, (crc, csize) => descriptorBytes(0x08074b50, crc, csize, 7));
    const missing = withDataDescriptor(content, () => Buffer.alloc(0));
    expect(outcome(wrongSize)).toBe('ZipHeaderMismatch');
    expect(outcome(missing)).toBe('ZipHeaderMismatch');
  });

  it('refuses content that does not match its declared size or CRC, inflating no further than declared', () => {
    const big = writeZip([{ path: 'bomb', content: Buffer.alloc(4 * MiB) }], at);
    const lyingSmall = bothHeaders(big, (h, o) => withUInt32(h, o.size, 100));
    expect(() => readZip(lyingSmall, 'bomb.zip')).toThrow(
      'bomb.zip: not a readable bundle zip (entry 0 "bomb" inflates past its declared 100 bytes)',
    );
    const lyingLarge = bothHeaders(zip, (h, o) => withUInt32(h, o.size, 14));
    expect(() => readZip(lyingLarge, 'x.zip')).toThrow(
      'entry 0 "config.json" holds 13 bytes, not its declared 14',
    );
    const wrongCrc = bothHeaders(zip, (h, o) => withUInt32(h, o.crc, 12345));
    expect(() => readZip(wrongCrc, 'x.zip')).toThrow('entry 0 "config.json" fails its CRC check');
  });

  it('refuses damaged compressed data', () => {
    const damaged = Buffer.from(zip);
    damaged.fill(0xff, 30 + 'config.json'.length, 30 + 'config.json'.length + 4);
    expect(outcome(damaged)).toBe('ZipCorrupt');
  });

  it('refuses bytes that are not a zip, a cut-short zip and bytes after the end record', () => {
    expect(() => readZip(Buffer.from('not a zip at all, just text'), 'upload.zip')).toThrow(
      'upload.zip: not a readable bundle zip (no end-of-central-directory record: the file is cut short or not a zip)',
    );
    expect(outcome(Buffer.alloc(0))).toBe('ZipCorrupt');
    for (const cut of [1, 22, 60, zip.length - 40])
      expect(outcome(zip.subarray(0, zip.length - cut))).toBe('ZipCorrupt');
    expect(outcome(Buffer.concat([zip, Buffer.from('trailer')]))).toBe('ZipCorrupt');
  });

  it('refuses a central directory that holds more or fewer records than the end record says', () => {
    const end = endRecordAt(zip);
    const fewer = withUInt16(withUInt16(zip, end + END.count, 2), end + END.entriesOnDisk, 2);
    const more = withUInt16(withUInt16(zip, end + END.count, 4), end + END.entriesOnDisk, 4);
    expect(() => readZip(fewer, 'x')).toThrow('the central directory holds more than its 2 records');
    expect(outcome(more)).toBe('ZipCorrupt');
  });

  it('refuses ZIP64 and multi-disk zips as unsupported', () => {
    const end = endRecordAt(zip);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    const parts = takeApart(zip);
    const withLocator = Buffer.concat([zip.subarray(0, end), locator, zip.subarray(end)]);
    const cases: Buffer[] = [
      withUInt16(withUInt16(zip, end + END.count, 0xffff), end + END.entriesOnDisk, 0xffff),
      withUInt32(zip, end + END.offset, 0xffffffff),
      withLocator,
      bothHeaders(zip, (h, o) => withUInt32(h, o.size, 0xffffffff)),
      withUInt16(zip, end + END.disk, 1),
      withUInt16(zip, end + END.entriesOnDisk, 2),
      assemble({
        body: parts.body,
        records: [withUInt16(parts.records[0] as Buffer, CENTRAL.diskStart, 1), ...parts.records.slice(1)],
      }),
    ];
    expect(cases.map((bytes) => outcome(bytes))).toEqual(cases.map(() => 'ZipUnsupportedFormat'));
  });

  it('refuses encrypted entries and compression methods other than stored and DEFLATE', () => {
    const flagged = (bits: number): Buffer =>
      bothHeaders(zip, (h, o) => withUInt16(h, o.flags, 0x0800 | bits));
    const method = (m: number): Buffer => bothHeaders(zip, (h, o) => withUInt16(h, o.method, m));
    expect([flagged(0x0001), flagged(0x0040), flagged(0x2000), method(99)].map((b) => outcome(b))).toEqual([
      'ZipEncrypted',
      'ZipEncrypted',
      'ZipEncrypted',
      'ZipEncrypted',
    ]);
    expect(() => readZip(method(12), 'x')).toThrow(
      'entry 0 "config.json" uses compression method 12; only stored and DEFLATE are read',
    );
    expect(outcome(method(14))).toBe('ZipUnsupportedMethod');
  });

  it('refuses a stored entry whose two sizes differ', () => {
    const stored = bothHeaders(zip, (h, o) => withUInt16(h, o.method, 0));
    expect(outcome(stored)).toBe('ZipCorrupt');
  });

  it('quotes, escapes and shortens a hostile entry name in its message, and is an InvalidInputError for callers', () => {
    const name = `\u001b[31m${'a'.repeat(500)}`;
    const hostile = bothHeaders(writeZip([{ path: name, content: Buffer.from('x') }], at), (h, o) =>
      withUInt32(h, o.crc, 1),
    );
    let caught: unknown;
    try {
      readZip(hostile, 'x.zip');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const message = (caught as Error).message;
    expect(message).toBe(
      `x.zip: not a readable bundle zip (entry 0 "\\u001b[31m${'a'.repeat(75)}…" fails its CRC check)`,
    );
    expect((caught as InvalidInputError).field).toBe('x.zip');
  });
});
