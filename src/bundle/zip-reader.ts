import { crc32, inflateRawSync } from 'node:zlib';
import { InvalidInputError } from '../errors.js';
import {
  CENTRAL_HEADER,
  DEFLATE,
  END_OF_CENTRAL_DIRECTORY,
  LOCAL_HEADER,
  STORED,
  type ZipEntry,
} from './zip.js';

/**
 * Why a zip was refused. Stable words: they become condition reasons and tests match on them.
 * A reader of untrusted bytes must end in one of these or in entries whose content matches the
 * directory; the fuzz test in test/unit/bundle/zip-reader-fuzz.test.ts holds it to that.
 */
export const ZIP_REFUSALS = [
  'ZipCorrupt',
  'ZipTooManyEntries',
  'ZipEntryTooLarge',
  'ZipTooLarge',
  'ZipOverlappingEntries',
  'ZipHeaderMismatch',
  'ZipChecksumMismatch',
  'ZipEncrypted',
  'ZipUnsupportedMethod',
  'ZipUnsupportedFormat',
] as const;
export type ZipRefusal = (typeof ZIP_REFUSALS)[number];

export class ZipRefusedError extends InvalidInputError {
  constructor(
    override readonly reason: ZipRefusal,
    what: string,
    why: string,
  ) {
    super(reason, `${what}: not a readable bundle zip (${why})`, what);
  }
}

/**
 * A bundle with all 13 platforms and an RSA-4096 key has 42 entries, 72 KB uncompressed, the
 * largest (README.md) 13 KB. The defaults leave two orders of magnitude of room and keep what a
 * forged zip can make the operator (4 reconciles at once, 150 MB budget) allocate to 32 MiB.
 * No compression-ratio limit: every inflation is capped at its declared size, and the declared
 * sizes are capped before anything is inflated, so a ratio would bound nothing more.
 */
export interface ZipReadLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_READ_LIMITS: Readonly<ZipReadLimits> = {
  maxEntries: 1024,
  maxEntryBytes: 2 * 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024,
};

const DATA_DESCRIPTOR = 0x08074b50;
const ZIP64_LOCATOR = 0x07064b50;
const END_RECORD_BYTES = 22;
const CENTRAL_RECORD_BYTES = 46;
const LOCAL_HEADER_BYTES = 30;
const ENCRYPTED = 0x0001;
const HAS_DATA_DESCRIPTOR = 0x0008;
const STRONG_ENCRYPTION = 0x0040;
const MASKED_LOCAL_HEADERS = 0x2000;
const AES_ENCRYPTION_METHOD = 99;

const SIZE_FIELDS = ['crc', 'compressedSize', 'size'] as const;
const FIELD_NAMES = { crc: 'CRC', compressedSize: 'compressed size', size: 'size' } as const;

type Refuse = (reason: ZipRefusal, why: string) => ZipRefusedError;

interface CentralDirectory {
  offset: number;
  end: number;
  count: number;
}

interface CentralRecord {
  index: number;
  rawName: Buffer;
  path: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localAt: number;
}

/** Where an entry's bytes lie: its local header, data and data descriptor. */
interface LocalSpan {
  record: CentralRecord;
  dataAt: number;
  end: number;
}

/**
 * Reads every entry, in central-directory order, duplicates included (verify reports them).
 * Directory entries (names ending in `/`) are skipped. Everything is checked before anything is
 * inflated: the entry count and declared sizes against `limits`, each local header against its
 * central record, and that no two entries share bytes (one entry listed twenty times would
 * otherwise inflate twenty times). Each inflation stops at the entry's declared size. Throws
 * ZipRefusedError, an InvalidInputError whose reason is one of ZIP_REFUSALS; `what` names the
 * source in the message.
 */
export function readZip(
  zip: Buffer,
  what: string,
  limits: ZipReadLimits = DEFAULT_ZIP_READ_LIMITS,
): ZipEntry[] {
  const refuse: Refuse = (reason, why) => new ZipRefusedError(reason, what, why);
  const directory = readCentralDirectory(zip, limits, refuse);
  const records = readCentralRecords(zip, directory, limits, refuse);
  const spans = records.map((record) => readLocalSpan(zip, record, directory.offset, refuse));
  refuseOverlaps(spans, refuse);
  return spans
    .filter((span) => !span.record.path.endsWith('/'))
    .map((span) => ({ path: span.record.path, content: extract(zip, span, refuse) }));
}

function readCentralDirectory(zip: Buffer, limits: ZipReadLimits, refuse: Refuse): CentralDirectory {
  const end = findEndRecord(zip);
  if (end < 0)
    throw refuse('ZipCorrupt', 'no end-of-central-directory record: the file is cut short or not a zip');
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  const offset = zip.readUInt32LE(end + 16);
  const zip64 = end >= 20 && zip.readUInt32LE(end - 20) === ZIP64_LOCATOR;
  if (zip64 || count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw refuse('ZipUnsupportedFormat', 'ZIP64 is not supported; a bundle is far below its 4 GiB threshold');
  }
  const disk = zip.readUInt16LE(end + 4);
  const directoryDisk = zip.readUInt16LE(end + 6);
  if (disk !== 0 || directoryDisk !== 0 || zip.readUInt16LE(end + 8) !== count) {
    throw refuse('ZipUnsupportedFormat', 'the zip spans several disks; only single-file zips are supported');
  }
  if (count > limits.maxEntries) {
    throw refuse('ZipTooManyEntries', `${count} entries, over the limit of ${limits.maxEntries}`);
  }
  if (offset + size !== end) {
    throw refuse('ZipCorrupt', 'the central directory does not end where the end record begins');
  }
  return { offset, end, count };
}

/**
 * The last end record whose comment runs exactly to the end of the file: a comment that happens to
 * hold the record's signature cannot be mistaken for it.
 */
function findEndRecord(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - END_RECORD_BYTES - 0xffff);
  for (let at = zip.length - END_RECORD_BYTES; at >= lowest; at--) {
    if (
      zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY &&
      at + END_RECORD_BYTES + zip.readUInt16LE(at + 20) === zip.length
    ) {
      return at;
    }
  }
  return -1;
}

function readCentralRecords(
  zip: Buffer,
  directory: CentralDirectory,
  limits: ZipReadLimits,
  refuse: Refuse,
): CentralRecord[] {
  const records: CentralRecord[] = [];
  let totalBytes = 0;
  let at = directory.offset;
  for (let index = 0; index < directory.count; index++) {
    if (at + CENTRAL_RECORD_BYTES > directory.end || zip.readUInt32LE(at) !== CENTRAL_HEADER) {
      throw refuse('ZipCorrupt', `central directory record ${index} is damaged`);
    }
    const nameLength = zip.readUInt16LE(at + 28);
    const next =
      at + CENTRAL_RECORD_BYTES + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (next > directory.end) throw refuse('ZipCorrupt', `central directory record ${index} is cut short`);
    const rawName = zip.subarray(at + CENTRAL_RECORD_BYTES, at + CENTRAL_RECORD_BYTES + nameLength);
    const record: CentralRecord = {
      index,
      rawName,
      path: rawName.toString('utf8'),
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localAt: zip.readUInt32LE(at + 42),
    };
    const entry = describe(record);
    if (record.compressedSize === 0xffffffff || record.size === 0xffffffff || record.localAt === 0xffffffff) {
      throw refuse('ZipUnsupportedFormat', `${entry} uses ZIP64 fields, which are not supported`);
    }
    if (zip.readUInt16LE(at + 34) !== 0) {
      throw refuse(
        'ZipUnsupportedFormat',
        `${entry} starts on another disk; only single-file zips are supported`,
      );
    }
    const encryptionFlags = ENCRYPTED | STRONG_ENCRYPTION | MASKED_LOCAL_HEADERS;
    if (record.flags & encryptionFlags || record.method === AES_ENCRYPTION_METHOD) {
      throw refuse('ZipEncrypted', `${entry} is encrypted; bundles are never encrypted`);
    }
    if (record.method !== STORED && record.method !== DEFLATE) {
      throw refuse(
        'ZipUnsupportedMethod',
        `${entry} uses compression method ${record.method}; only stored and DEFLATE are read`,
      );
    }
    if (record.method === STORED && record.compressedSize !== record.size) {
      throw refuse(
        'ZipCorrupt',
        `${entry} is stored but declares ${record.compressedSize} bytes stored for ${record.size}`,
      );
    }
    if (record.size > limits.maxEntryBytes) {
      throw refuse(
        'ZipEntryTooLarge',
        `${entry} declares ${record.size} bytes, over the limit of ${limits.maxEntryBytes}`,
      );
    }
    totalBytes += record.size;
    if (totalBytes > limits.maxTotalBytes) {
      throw refuse(
        'ZipTooLarge',
        `the entries declare more than ${limits.maxTotalBytes} bytes in all, the limit`,
      );
    }
    records.push(record);
    at = next;
  }
  if (at !== directory.end) {
    throw refuse('ZipCorrupt', `the central directory holds more than its ${directory.count} records`);
  }
  return records;
}

/** Checks the local header against the central record and finds where the entry's bytes end. */
function readLocalSpan(zip: Buffer, record: CentralRecord, directoryAt: number, refuse: Refuse): LocalSpan {
  const entry = describe(record);
  const outsideData = (): ZipRefusedError =>
    refuse('ZipOverlappingEntries', `${entry} points into the central directory`);
  const at = record.localAt;
  if (at + LOCAL_HEADER_BYTES > directoryAt) throw outsideData();
  if (zip.readUInt32LE(at) !== LOCAL_HEADER) throw refuse('ZipCorrupt', `${entry} has no local header`);
  const nameLength = zip.readUInt16LE(at + 26);
  const dataAt = at + LOCAL_HEADER_BYTES + nameLength + zip.readUInt16LE(at + 28);
  const dataEnd = dataAt + record.compressedSize;
  if (dataEnd > directoryAt) throw outsideData();

  const mismatch = (field: string): ZipRefusedError =>
    refuse('ZipHeaderMismatch', `${entry}: its local header and central record disagree on the ${field}`);
  if (!zip.subarray(at + LOCAL_HEADER_BYTES, at + LOCAL_HEADER_BYTES + nameLength).equals(record.rawName)) {
    throw mismatch('name');
  }
  if (zip.readUInt16LE(at + 6) !== record.flags) throw mismatch('flags');
  if (zip.readUInt16LE(at + 8) !== record.method) throw mismatch('compression method');
  const declared = { crc: record.crc, compressedSize: record.compressedSize, size: record.size };
  const local = {
    crc: zip.readUInt32LE(at + 14),
    compressedSize: zip.readUInt32LE(at + 18),
    size: zip.readUInt32LE(at + 22),
  };
  // Streaming writers leave zeros in the local header and put the real values in a data
  // descriptor after the data, with or without its signature.
  const streamed = (record.flags & HAS_DATA_DESCRIPTOR) !== 0;
  for (const field of SIZE_FIELDS) {
    if (local[field] !== declared[field] && !(streamed && local[field] === 0))
      throw mismatch(FIELD_NAMES[field]);
  }
  if (!streamed) return { record, dataAt, end: dataEnd };
  const descriptorMatches = (fieldsAt: number): boolean =>
    fieldsAt + 12 <= directoryAt &&
    zip.readUInt32LE(fieldsAt) === declared.crc &&
    zip.readUInt32LE(fieldsAt + 4) === declared.compressedSize &&
    zip.readUInt32LE(fieldsAt + 8) === declared.size;
  if (
    dataEnd + 4 <= directoryAt &&
    zip.readUInt32LE(dataEnd) === DATA_DESCRIPTOR &&
    descriptorMatches(dataEnd + 4)
  ) {
    return { record, dataAt, end: dataEnd + 16 };
  }
  if (descriptorMatches(dataEnd)) return { record, dataAt, end: dataEnd + 12 };
  throw mismatch('data descriptor');
}

function refuseOverlaps(spans: readonly LocalSpan[], refuse: Refuse): void {
  const ordered = [...spans].sort((a, b) => a.record.localAt - b.record.localAt);
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1] as LocalSpan;
    const after = ordered[i] as LocalSpan;
    if (after.record.localAt < before.end) {
      throw refuse(
        'ZipOverlappingEntries',
        `${describe(after.record)} and ${describe(before.record)} share bytes; each entry must have its own`,
      );
    }
  }
}

function extract(zip: Buffer, span: LocalSpan, refuse: Refuse): Buffer {
  const { record } = span;
  const data = zip.subarray(span.dataAt, span.dataAt + record.compressedSize);
  let content: Buffer;
  if (record.method === STORED) content = Buffer.from(data);
  else {
    try {
      // The cap is the declared size, already within the limits: memory is bounded before the
      // size and CRC checks below can run.
      content = inflateRawSync(data, { maxOutputLength: Math.max(record.size, 1) });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw refuse(
          'ZipChecksumMismatch',
          `${describe(record)} inflates past its declared ${record.size} bytes`,
        );
      }
      throw refuse('ZipCorrupt', `${describe(record)} has damaged compressed data`);
    }
  }
  if (content.length !== record.size) {
    throw refuse(
      'ZipChecksumMismatch',
      `${describe(record)} holds ${content.length} bytes, not its declared ${record.size}`,
    );
  }
  if (crc32(content) !== record.crc)
    throw refuse('ZipChecksumMismatch', `${describe(record)} fails its CRC check`);
  return content;
}

/** Entry names are written by whoever made the zip: quoted, escaped and shortened in messages. */
function describe(record: CentralRecord): string {
  const name = record.path.length > 80 ? `${record.path.slice(0, 80)}…` : record.path;
  return `entry ${record.index} ${JSON.stringify(name)}`;
}
