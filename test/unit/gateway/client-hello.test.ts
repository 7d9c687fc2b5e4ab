import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import { readClientHello } from '../../../src/gateway/client-hello.js';

const MAX = 16_384;
const HOST_ID = '5b6962dd-3f90-4c93-8f61-eabfa4a803e2';

/** The first bytes a real Node.js TLS client sends (its ClientHello), caught by a raw TCP server. */
async function realClientHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const received = new Promise<Buffer>((resolve) =>
    server.once('connection', (socket) => {
      socket.once('data', (data: Buffer) => {
        resolve(data);
        socket.destroy();
      });
    }),
  );
  // An IP as servername sends no SNI (RFC 6066 forbids literal addresses), as a client would.
  const client = tls.connect({
    host: '127.0.0.1',
    port,
    servername: servername ?? '',
    rejectUnauthorized: false,
  });
  client.on('error', () => {});
  const hello = await received;
  client.destroy();
  server.close();
  return hello;
}

/** The same handshake bytes cut into records of `size` bytes each. */
function refragment(hello: Buffer, size: number): Buffer {
  const handshake = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let offset = 0; offset < handshake.length; offset += size) {
    const fragment = handshake.subarray(offset, offset + size);
    const header = Buffer.from([22, 3, 1, 0, 0]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

describe('readClientHello', () => {
  let withSni: Buffer;
  let withoutSni: Buffer;

  beforeAll(async () => {
    withSni = await realClientHello(HOST_ID);
    withoutSni = await realClientHello(undefined);
  });

  it('reads the host_id a real client sends as SNI', () => {
    expect(readClientHello(withSni, MAX)).toEqual({ state: 'complete', serverName: HOST_ID });
  });

  it('reads a ClientHello without SNI as complete with no name', () => {
    expect(readClientHello(withoutSni, MAX)).toEqual({ state: 'complete', serverName: undefined });
  });

  it('asks for more bytes at every prefix of the ClientHello', () => {
    for (let length = 0; length < withSni.length; length++) {
      expect(readClientHello(withSni.subarray(0, length), MAX)).toEqual({ state: 'incomplete' });
    }
  });

  it('joins a ClientHello that spans records, for every fragment size', () => {
    for (const size of [1, 2, 3, 4, 5, 17, 64, 200]) {
      const fragmented = refragment(withSni, size);
      expect(readClientHello(fragmented, MAX)).toEqual({ state: 'complete', serverName: HOST_ID });
      expect(readClientHello(fragmented.subarray(0, fragmented.length - 1), MAX)).toEqual({
        state: 'incomplete',
      });
    }
  });

  it('ignores bytes after the ClientHello (the client may send more before an answer)', () => {
    const followed = Buffer.concat([withSni, Buffer.from([23, 3, 3, 0, 1, 0])]);
    expect(readClientHello(followed, MAX)).toEqual({ state: 'complete', serverName: HOST_ID });
  });

  it('refuses a ClientHello over the size bound before it has arrived', () => {
    const declared = withSni.readUIntBE(6, 3);
    const header = withSni.subarray(0, 9);
    expect(readClientHello(header, declared - 1)).toMatchObject({ state: 'invalid' });
    expect(readClientHello(header, declared)).toEqual({ state: 'incomplete' });
  });

  it('refuses what is not a TLS handshake', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n'), MAX)).toMatchObject({ state: 'invalid' });
    // A CQL startup frame sent in clear to the TLS port.
    expect(readClientHello(Buffer.from([0x05, 0, 0, 1, 1, 0, 0, 0, 0]), MAX)).toMatchObject({
      state: 'invalid',
    });
    const notHello = Buffer.from(withSni);
    notHello[5] = 2; // ServerHello
    expect(readClientHello(notHello, MAX)).toMatchObject({ state: 'invalid' });
    const emptyRecord = Buffer.from([22, 3, 1, 0, 0]);
    expect(readClientHello(emptyRecord, MAX)).toMatchObject({ state: 'invalid' });
  });

  it('refuses a ClientHello whose inner lengths point past its end', () => {
    const body = Buffer.from(withSni);
    // legacy_session_id length (after 5 + 4 + 2 + 32 bytes) claims more than the message holds.
    body[5 + 4 + 34] = 0xff;
    const result = readClientHello(body, MAX);
    // Either the cursor runs out or the extensions no longer line up; never a name.
    expect(result.state).toBe('invalid');
  });

  it('never throws and never reads a name from random or mutated bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = readClientHello(bytes, MAX);
        expect(['incomplete', 'complete', 'invalid']).toContain(result.state);
      }),
    );
    fc.assert(
      fc.property(fc.nat(withSni.length - 1), fc.integer({ min: 0, max: 255 }), (index, value) => {
        const mutated = Buffer.from(withSni);
        mutated[index] = value;
        const result = readClientHello(mutated, MAX);
        if (result.state === 'complete' && result.serverName !== undefined) {
          expect(result.serverName).toMatch(/^[\x21-\x7e]+$/);
        }
      }),
    );
  });
});
