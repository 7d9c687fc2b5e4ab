import { AsnConvert, AsnIntegerConverter, AsnObjectIdentifierConverter } from '@peculiar/asn1-schema';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derImplicitPrimitive,
  derInteger,
  DER_NULL,
  derObjectIdentifier,
  derObjectIdentifiers,
  derOctetString,
  derSequence,
  derSetOf,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  readDerChildren,
  readDerElement,
  readDerTime,
} from '../../../src/asn1/der.js';
import { makeScratchDir, runToolOk, type ScratchDir } from '../pki/external-tools.js';

let scratch: ScratchDir;
beforeAll(() => {
  scratch = makeScratchDir('der');
});
afterAll(() => scratch.remove());

/** openssl's own reading of our bytes, one line per element with offsets stripped. */
function asn1parse(der: Buffer): string[] {
  const file = scratch.write(`value-${Math.random().toString(36).slice(2)}.der`, der);
  return runToolOk('openssl', ['asn1parse', '-inform', 'DER', '-in', file, '-i'])
    .trim()
    .split('\n')
    .map((line) => line.replace(/^\s*\d+:d=\d+\s+hl=\d+\s+l=\s*\d+\s+/, '').trimEnd());
}

describe('DER writer, read back by openssl asn1parse', () => {
  it('encodes every element kind as openssl reads it', () => {
    const value = derSequence(
      derInteger(0),
      derInteger(2048),
      derUnsignedInteger(Buffer.from('00ff01', 'hex')),
      derObjectIdentifier('1.2.840.10045.4.3.2'),
      DER_NULL,
      derBoolean(true),
      derOctetString(Buffer.from('cafe', 'hex')),
      derBitString(Buffer.from('80', 'hex'), 7),
      derUtf8String('Zürich'),
      derIa5String('spiffe://td/x'),
      derSetOf(derInteger(2), derInteger(1)),
      derExplicit(3, derInteger(5)),
      derImplicitPrimitive(2, Buffer.from('a.b', 'ascii')),
      derTime(new Date('2049-12-31T23:59:59Z')),
      derTime(new Date('2050-01-01T00:00:00Z')),
    );
    expect(asn1parse(value)).toEqual([
      'cons: SEQUENCE',
      'prim:  INTEGER           :00',
      'prim:  INTEGER           :0800',
      'prim:  INTEGER           :FF01',
      'prim:  OBJECT            :ecdsa-with-SHA256',
      'prim:  NULL',
      'prim:  BOOLEAN           :255',
      'prim:  OCTET STRING      [HEX DUMP]:CAFE',
      'prim:  BIT STRING',
      'prim:  UTF8STRING        :Zürich',
      'prim:  IA5STRING         :spiffe://td/x',
      'cons:  SET',
      'prim:   INTEGER           :01',
      'prim:   INTEGER           :02',
      'cons:  cont [ 3 ]',
      'prim:   INTEGER           :05',
      'prim:  cont [ 2 ]',
      'prim:  UTCTIME           :491231235959Z',
      'prim:  GENERALIZEDTIME   :20500101000000Z',
    ]);
  });

  it('uses long-form lengths above 127 bytes', () => {
    const big = derOctetString(Buffer.alloc(300, 1));
    expect(big.subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
    expect(asn1parse(big)[0]).toMatch(/^prim: OCTET STRING/);
  });

  it('keeps INTEGERs minimal and positive', () => {
    expect(derUnsignedInteger(Buffer.from('000000017f', 'hex'))).toEqual(Buffer.from('0202017f', 'hex'));
    expect(derUnsignedInteger(Buffer.from('0080', 'hex'))).toEqual(Buffer.from('02020080', 'hex'));
    expect(derUnsignedInteger(Buffer.from('80', 'hex'))).toEqual(Buffer.from('02020080', 'hex'));
    expect(derUnsignedInteger(Buffer.alloc(3))).toEqual(Buffer.from('020100', 'hex'));
  });

  it.each([0, 1, 127, 128, 255, 256, 2048, 65_535, 2 ** 40])(
    'encodes INTEGER %d as asn1-schema does',
    (value) => {
      expect(derInteger(value)).toEqual(Buffer.from(AsnConvert.serialize(AsnIntegerConverter.toASN(value))));
    },
  );

  it.each([
    '1.2.840.113549.1.12.10.1.3',
    '2.5.29.35',
    '2.16.840.1.101.3.4.2.1',
    '1.3.6.1.5.5.7.3.2',
    '2.999.1',
  ])('encodes OID %s as asn1-schema does', (oid) => {
    expect(derObjectIdentifier(oid)).toEqual(
      Buffer.from(AsnConvert.serialize(AsnObjectIdentifierConverter.toASN(oid))),
    );
  });

  it('encodes a table of OIDs by name', () => {
    const table = derObjectIdentifiers({ aki: '2.5.29.35', clientAuth: '1.3.6.1.5.5.7.3.2' });
    expect(table.aki).toEqual(derObjectIdentifier('2.5.29.35'));
    expect(table.clientAuth).toEqual(derObjectIdentifier('1.3.6.1.5.5.7.3.2'));
  });

  it.each(['1.40.1', '3.1', '1.2.x', '', '1', '1..2'])('refuses the malformed OID "%s"', (oid) => {
    expect(() => derObjectIdentifier(oid)).toThrow(RangeError);
  });
});

describe('DER reader', () => {
  it('walks what the writer wrote, giving raw and content views', () => {
    const inner = derSequence(derInteger(7), derOctetString(Buffer.alloc(200, 9)));
    const outer = readDerElement(Buffer.concat([inner, Buffer.from([0xff])]));
    expect(outer.tag).toBe(0x30);
    expect(outer.raw).toEqual(inner);
    const [integer, octets] = readDerChildren(outer);
    expect(integer?.raw).toEqual(derInteger(7));
    expect(octets?.tag).toBe(0x04);
    expect(octets?.content).toEqual(Buffer.alloc(200, 9));
  });

  it.each([
    { name: 'empty input', bytes: '' },
    { name: 'a truncated value', bytes: '300501020102' },
    { name: 'an indefinite length', bytes: '3080020100' + '0000' },
    { name: 'a multi-byte tag', bytes: '1f0100' },
  ])('refuses $name', ({ bytes }) => {
    expect(() => readDerElement(Buffer.from(bytes, 'hex'))).toThrow(RangeError);
  });
});

describe('DER times', () => {
  it.each([
    '1950-01-01T00:00:00.000Z',
    '2026-12-03T22:30:45.000Z',
    '2049-12-31T23:59:59.000Z',
    '2050-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.000Z',
  ])('reads back %s as written (UTCTime to 2049, GeneralizedTime after)', (iso) => {
    const written = derTime(new Date(iso));
    expect(readDerTime(readDerElement(written)).toISOString()).toBe(iso);
  });

  it.each([
    { name: 'a fraction of a second', bytes: derTlvText(0x18, '20300101000000.5Z') },
    { name: 'a local time', bytes: derTlvText(0x17, '300101000000+0100') },
    { name: 'another tag', bytes: derTlvText(0x0c, '300101000000Z') },
  ])('refuses $name', ({ bytes }) => {
    expect(() => readDerTime(readDerElement(bytes))).toThrow(RangeError);
  });
});

function derTlvText(tag: number, text: string): Buffer {
  return Buffer.concat([Buffer.from([tag, text.length]), Buffer.from(text, 'ascii')]);
}
