import { encodePem, readPemBlocks } from '../../../src/pki/pem.js';

const der = (byte: number) => new Uint8Array([0x30, 0x03, 0x02, 0x01, byte]);

describe('readPemBlocks', () => {
  it('reads every block in order, ignoring text around them, as OpenSSL does', () => {
    const text = `Bag Attributes\n${encodePem('CERTIFICATE', der(1))}comment\n${encodePem('PRIVATE KEY', der(2))}`;
    expect(readPemBlocks(text)).toEqual([
      { label: 'CERTIFICATE', der: Buffer.from(der(1)) },
      { label: 'PRIVATE KEY', der: Buffer.from(der(2)) },
    ]);
  });

  it('pairs a BEGIN with the first END of the same label, skipping unterminated and mismatched ones', () => {
    const good = encodePem('CERTIFICATE', der(3));
    const text = `-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n${good}-----BEGIN RSA PRIVATE KEY-----\nBBBB\n`;
    // The unterminated first BEGIN runs to the good block's END, as the regular-expression
    // reader did; what matters is that the unterminated last one yields nothing.
    const blocks = readPemBlocks(text);
    expect(blocks.map((block) => block.label)).toEqual(['CERTIFICATE']);
    expect(readPemBlocks(`${good}-----BEGIN RSA PRIVATE KEY-----\nBBBB\n`)).toEqual([
      { label: 'CERTIFICATE', der: Buffer.from(der(3)) },
    ]);
  });

  it('reads a megabyte of unterminated BEGIN lines in one pass (the old reader took about 40 s)', () => {
    const hostile = '-----BEGIN CERTIFICATE-----\n'.repeat(40_000);
    expect(hostile.length).toBeGreaterThan(1_000_000);
    // Jest's 5 s test timeout is the bound: a reader that rescans per BEGIN needs minutes.
    expect(readPemBlocks(`${hostile}${encodePem('CERTIFICATE', der(4))}`)).toHaveLength(1);
  });
});
