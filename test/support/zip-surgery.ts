/**
 * Takes a well-formed zip (from writeZip) apart and puts it back together, so tests can forge
 * hostile zips out of real ones: records pointed elsewhere, duplicated, fields rewritten.
 */
export interface ZipParts {
  /** Everything before the central directory: local headers and data. */
  body: Buffer;
  /** The central-directory records, one Buffer each. */
  records: Buffer[];
}

/** Field offsets within a central record and a local header. */
export const CENTRAL = {
  flags: 8,
  method: 10,
  crc: 16,
  compressedSize: 20,
  size: 24,
  diskStart: 34,
  localAt: 42,
};
export const LOCAL = { flags: 6, method: 8, crc: 14, compressedSize: 18, size: 22, nameLength: 26 };
/** Offsets within the end-of-central-directory record. */
export const END = { disk: 4, directoryDisk: 6, entriesOnDisk: 8, count: 10, size: 12, offset: 16 };

export function takeApart(zip: Buffer): ZipParts {
  const end = zip.length - 22;
  const count = zip.readUInt16LE(end + END.count);
  const offset = zip.readUInt32LE(end + END.offset);
  const records: Buffer[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const length = 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    records.push(Buffer.from(zip.subarray(at, at + length)));
    at += length;
  }
  return { body: Buffer.from(zip.subarray(0, offset)), records };
}

/** A fresh end record that counts `records` and places them right after `body`. */
export function assemble({ body, records }: ZipParts): Buffer {
  const directory = Buffer.concat(records);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, END.entriesOnDisk);
  end.writeUInt16LE(records.length, END.count);
  end.writeUInt32LE(directory.length, END.size);
  end.writeUInt32LE(body.length, END.offset);
  return Buffer.concat([body, directory, end]);
}

export function withUInt32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(value >>> 0, at);
  return copy;
}

export function withUInt16(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16LE(value & 0xffff, at);
  return copy;
}

/** Where the end-of-central-directory record of a writeZip zip (no comment) starts. */
export function endRecordAt(zip: Buffer): number {
  return zip.length - 22;
}
