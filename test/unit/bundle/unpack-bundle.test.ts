import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackBundle } from '../../../src/bundle/unpack-bundle.js';
import { writeZip } from '../../../src/bundle/zip.js';

const zip = writeZip(
  [
    { path: 'ca.crt', content: Buffer.from('public\n') },
    { path: 'key', content: Buffer.from('secret key\n') },
    { path: 'platforms/python/example.py', content: Buffer.from('print(1)\n') },
  ],
  new Date('2030-01-01T00:00:00Z'),
);

let root: string;
let out: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'scb-unpack-'));
  out = join(root, 'out');
  outside = join(root, 'outside');
  mkdirSync(outside);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('unpackBundle', () => {
  it('gives secret-bearing files 0600 and public ones 0644, even over an older 0644 copy', () => {
    mkdirSync(out);
    writeFileSync(join(out, 'key'), 'old', { mode: 0o644 });
    unpackBundle(zip, out, 'b.zip');
    expect(statSync(join(out, 'key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'platforms/python/example.py')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'ca.crt')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(out, 'key'), 'utf8')).toBe('secret key\n');
  });

  it('refuses a planted file symlink instead of writing the key through it', () => {
    mkdirSync(out);
    symlinkSync(join(outside, 'stolen'), join(out, 'key'));
    expect(() => unpackBundle(zip, out, 'b.zip')).toThrow(
      `b.zip: ${join(out, 'key')} exists and is a symbolic link; unpack into an empty folder`,
    );
    expect(existsSync(join(outside, 'stolen'))).toBe(false);
  });

  it('refuses a planted folder symlink instead of writing platform files through it', () => {
    mkdirSync(out);
    symlinkSync(outside, join(out, 'platforms'));
    expect(() => unpackBundle(zip, out, 'b.zip')).toThrow(
      `b.zip: ${join(out, 'platforms')} exists and is a symbolic link; unpack into an empty folder`,
    );
    expect(existsSync(join(outside, 'python'))).toBe(false);
  });
});
