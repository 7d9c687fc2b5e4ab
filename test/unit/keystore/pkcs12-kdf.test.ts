import {
  bmpPassword,
  pkcs12Kdf,
  type Pkcs12KdfHash,
  type Pkcs12KeyPurpose,
} from '../../../src/keystore/pkcs12-kdf.js';
import { runToolOk } from '../pki/external-tools.js';

describe('bmpPassword', () => {
  it('is UTF-16BE with a two-byte terminator, surrogate pairs kept', () => {
    expect(bmpPassword('smeg').toString('hex')).toBe('0073006d006500670000');
    expect(bmpPassword('é€🔑').toString('hex')).toBe('00e920acd83ddd110000');
    expect(bmpPassword('').toString('hex')).toBe('0000');
  });
});

describe('pkcs12Kdf', () => {
  // The classic PKCS#12 KDF vectors that OpenSSL and Bouncy Castle test against.
  it.each([
    {
      password: 'smeg',
      salt: '0a58cf64530d823f',
      iterations: 1,
      purpose: 1,
      length: 24,
      expected: '8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3',
    },
    {
      password: 'smeg',
      salt: '0a58cf64530d823f',
      iterations: 1,
      purpose: 2,
      length: 8,
      expected: '79993dfe048d3b76',
    },
    {
      password: 'queeg',
      salt: '05dec959acff72f7',
      iterations: 1000,
      purpose: 1,
      length: 24,
      expected: 'ed2034e36328830ff09df1e1a07dd357185dac0d4f9eb3d4',
    },
  ] as const)(
    'SHA-1 known answer: $password, ID $purpose, $iterations rounds',
    ({ password, salt, iterations, purpose, length, expected }) => {
      expect(
        pkcs12Kdf('sha1', password, Buffer.from(salt, 'hex'), iterations, purpose, length).toString('hex'),
      ).toBe(expected);
    },
  );

  // OpenSSL's own PKCS12KDF as the oracle, across the branches: output longer than one digest
  // (the I_j += B + 1 step), salts and passwords longer than a 64-byte block, non-ASCII passwords.
  it.each<{
    hash: Pkcs12KdfHash;
    password: string;
    saltBytes: number;
    iterations: number;
    purpose: Pkcs12KeyPurpose;
    length: number;
  }>([
    { hash: 'sha256', password: 'correct horse', saltBytes: 16, iterations: 2048, purpose: 3, length: 32 },
    { hash: 'sha256', password: 'correct horse', saltBytes: 16, iterations: 3, purpose: 1, length: 100 },
    { hash: 'sha256', password: 'p'.repeat(70), saltBytes: 65, iterations: 5, purpose: 2, length: 64 },
    { hash: 'sha1', password: 'Zürich-€-🔑', saltBytes: 8, iterations: 2048, purpose: 1, length: 24 },
    { hash: 'sha1', password: 'x', saltBytes: 20, iterations: 7, purpose: 2, length: 8 },
    { hash: 'sha1', password: 'mac', saltBytes: 16, iterations: 2048, purpose: 3, length: 20 },
    { hash: 'sha1', password: '', saltBytes: 1, iterations: 2, purpose: 1, length: 41 },
  ])(
    'matches openssl: $hash, ID $purpose, $length bytes, $iterations rounds, salt $saltBytes B',
    ({ hash, password, saltBytes, iterations, purpose, length }) => {
      const salt = Buffer.from(Array.from({ length: saltBytes }, (_, index) => (index * 37 + 11) & 0xff));
      const expected = runToolOk('openssl', [
        'kdf',
        '-keylen',
        String(length),
        '-kdfopt',
        `digest:${hash.toUpperCase()}`,
        '-kdfopt',
        `hexpass:${bmpPassword(password).toString('hex')}`,
        '-kdfopt',
        `hexsalt:${salt.toString('hex')}`,
        '-kdfopt',
        `iter:${iterations}`,
        '-kdfopt',
        `id:${purpose}`,
        'PKCS12KDF',
      ]);
      const derived = pkcs12Kdf(hash, password, salt, iterations, purpose, length);
      expect(derived.toString('hex')).toBe(expected.trim().replace(/:/g, '').toLowerCase());
    },
  );
});
