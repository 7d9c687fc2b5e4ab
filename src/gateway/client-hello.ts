/**
 * Reads the server_name (SNI) of a TLS ClientHello from the first bytes a client sends, without
 * decrypting or answering anything: the proxy routes on it and then passes the bytes through.
 * The ClientHello may span several TLS records (RFC 8446 §5.1 allows a handshake message to be
 * fragmented), so the handshake bytes of consecutive records are joined before parsing. Every
 * length is checked against what is left, and the message against a size bound, so hostile
 * bytes end in `invalid`, never in an exception or an unbounded wait.
 */

export type ClientHelloResult =
  /** More bytes are needed. */
  | { state: 'incomplete' }
  /** A whole ClientHello; `serverName` is absent when it carries no host_name. */
  | { state: 'complete'; serverName: string | undefined }
  | { state: 'invalid'; reason: string };

const RECORD_HEADER = 5;
const CONTENT_TYPE_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_HEADER = 4;
/** RFC 8446 §5.1: a plaintext record fragment is at most 2^14 bytes. */
const MAX_RECORD_FRAGMENT = 16_384;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;

/** Parses `data` (everything the client has sent so far) from its start. */
export function readClientHello(data: Uint8Array, maxHelloBytes: number): ClientHelloResult {
  const handshake: Uint8Array[] = [];
  let handshakeBytes = 0;
  let offset = 0;
  let expected: number | undefined;
  while (expected === undefined || handshakeBytes < expected) {
    if (data.length - offset < RECORD_HEADER) return { state: 'incomplete' };
    if (data[offset] !== CONTENT_TYPE_HANDSHAKE) return invalid('the first record is not a handshake record');
    if (data[offset + 1] !== 3) return invalid('not a TLS record');
    const fragmentLength = readUint16(data, offset + 3);
    if (fragmentLength === 0 || fragmentLength > MAX_RECORD_FRAGMENT) return invalid('bad record length');
    // A partial record still counts for the header check, so an oversized hello is refused early.
    const available = Math.min(fragmentLength, data.length - offset - RECORD_HEADER);
    handshake.push(data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + available));
    handshakeBytes += available;
    offset += RECORD_HEADER + available;
    if (expected === undefined && handshakeBytes >= HANDSHAKE_HEADER) {
      const header = concat(handshake, HANDSHAKE_HEADER);
      if (header[0] !== HANDSHAKE_CLIENT_HELLO)
        return invalid('the first handshake message is not a ClientHello');
      const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
      if (length > maxHelloBytes) {
        return invalid(`a ClientHello of ${length} bytes is over the ${maxHelloBytes}-byte bound`);
      }
      expected = HANDSHAKE_HEADER + length;
    }
    if (available < fragmentLength && (expected === undefined || handshakeBytes < expected)) {
      return { state: 'incomplete' };
    }
  }
  const message = concat(handshake, expected);
  return parseClientHelloBody(message.subarray(HANDSHAKE_HEADER));
}

function parseClientHelloBody(body: Uint8Array): ClientHelloResult {
  const reader = new Reader(body);
  reader.skip(2 + 32); // legacy_version, random
  reader.skip(reader.uint8()); // legacy_session_id
  reader.skip(reader.uint16()); // cipher_suites
  reader.skip(reader.uint8()); // legacy_compression_methods
  if (reader.failed) return invalid('truncated ClientHello');
  if (reader.remaining === 0) return { state: 'complete', serverName: undefined };
  const extensions = reader.sub(reader.uint16());
  if (reader.failed) return invalid('truncated extensions');
  while (extensions.remaining > 0) {
    const type = extensions.uint16();
    const data = extensions.sub(extensions.uint16());
    if (extensions.failed) return invalid('truncated extension');
    if (type !== EXTENSION_SERVER_NAME) continue;
    const names = data.sub(data.uint16());
    while (names.remaining > 0) {
      const nameType = names.uint8();
      const name = names.bytes(names.uint16());
      if (names.failed || name === undefined) return invalid('truncated server_name');
      if (nameType === NAME_TYPE_HOST_NAME) return { state: 'complete', serverName: asciiName(name) };
    }
    if (data.failed || names.failed) return invalid('truncated server_name');
    return { state: 'complete', serverName: undefined };
  }
  return { state: 'complete', serverName: undefined };
}

/** A host_name is ASCII (RFC 6066 §3); anything else cannot match a route, so it reads as absent. */
function asciiName(bytes: Uint8Array): string | undefined {
  for (const byte of bytes) if (byte < 0x21 || byte > 0x7e) return undefined;
  return Buffer.from(bytes).toString('latin1');
}

function invalid(reason: string): ClientHelloResult {
  return { state: 'invalid', reason };
}

function readUint16(data: Uint8Array, offset: number): number {
  return (data[offset]! << 8) | data[offset + 1]!;
}

/** The first `length` bytes of the joined parts (the caller knows they are there). */
function concat(parts: Uint8Array[], length: number): Uint8Array {
  const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return joined.subarray(0, length);
}

/** A bounds-checked cursor: reading past the end sets `failed` instead of throwing. */
class Reader {
  private offset = 0;
  failed = false;

  constructor(private readonly data: Uint8Array) {}

  get remaining(): number {
    return this.failed ? 0 : this.data.length - this.offset;
  }

  uint8(): number {
    const value = this.bytes(1);
    return value === undefined ? 0 : value[0]!;
  }

  uint16(): number {
    const value = this.bytes(2);
    return value === undefined ? 0 : readUint16(value, 0);
  }

  skip(length: number): void {
    this.bytes(length);
  }

  bytes(length: number): Uint8Array | undefined {
    if (this.failed || this.data.length - this.offset < length) {
      this.failed = true;
      return undefined;
    }
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  sub(length: number): Reader {
    return new Reader(this.bytes(length) ?? new Uint8Array(0)).withFailure(this.failed);
  }

  private withFailure(failed: boolean): Reader {
    this.failed = failed;
    return this;
  }
}
