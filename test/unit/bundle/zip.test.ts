import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip } from '../../../src/bundle/zip-reader.js';
import { isSafeEntryPath, writeZip } from '../../../src/bundle/zip.js';

const entries = [
  { path: 'config.json', content: Buffer.from('{"host":"a"}\n') },
  { path: 'platforms/python/connect.py', content: Buffer.from('print("hi")\n'.repeat(50)) },
  { path: 'empty', content: Buffer.alloc(0) },
];
const at = new Date('2030-05-06T07:08:10Z');

describe('writeZip', () => {
  it('round-trips entries in order', () => {
    expect(readZip(writeZip(entries, at), 'test.zip')).toEqual(entries);
  });

  it('is byte-identical for the same input, whatever the time zone of the machine', () => {
    const first = writeZip(entries, at);
    const saved = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      expect(writeZip(entries, at).equals(first)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('writes a zip the real unzip tool extracts with 0644 files and the given UTC time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scb-zip-'));
    try {
      writeFileSync(join(dir, 'b.zip'), writeZip(entries, at));
      execFileSync('unzip', ['-q', 'b.zip', '-d', 'out'], { cwd: dir, env: { ...process.env, TZ: 'UTC' } });
      expect(readFileSync(join(dir, 'out/platforms/python/connect.py'))).toEqual(entries[1]?.content);
      const stat = statSync(join(dir, 'out/config.json'));
      expect(stat.mode & 0o777).toBe(0o644);
      expect(stat.mtime.toISOString()).toBe('2030-05-06T07:08:10.000Z');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isSafeEntryPath', () => {
  it.each(['config.json', 'platforms/go-gocql/main.go', 'a/b/c'])('accepts %s', (p) => {
    expect(isSafeEntryPath(p)).toBe(true);
  });
  it.each(['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'C:/x', 'a\\..\\b', 'a/\u0000'])(
    'refuses %p',
    (p) => {
      expect(isSafeEntryPath(p)).toBe(false);
    },
  );
});
