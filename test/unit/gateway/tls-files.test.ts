import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTlsMaterial, watchTlsMaterial, type TlsMaterial } from '../../../src/gateway/tls-files.js';

/** A mount as the kubelet writes it: files behind a `..data` symlink swapped in one rename. */
describe('watchTlsMaterial', () => {
  let dir: string;
  let version = 0;

  const publish = (trust: string): void => {
    version += 1;
    const folder = path.join(dir, `..v${version}`);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'tls.crt'), 'CERT');
    writeFileSync(path.join(folder, 'tls.key'), 'KEY');
    writeFileSync(path.join(folder, 'ca.crt'), trust);
    symlinkSync(`..v${version}`, path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scb-tls-files-'));
    publish('TRUST-1');
    for (const name of ['tls.crt', 'tls.key', 'ca.crt'])
      symlinkSync(path.join('..data', name), path.join(dir, name));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands over the new trust bundle once the mount is swapped, and only then', async () => {
    const files = {
      cert: path.join(dir, 'tls.crt'),
      key: path.join(dir, 'tls.key'),
      trust: path.join(dir, 'ca.crt'),
    };
    const first = await readTlsMaterial(files);
    expect(first.trustPem).toBe('TRUST-1');
    expect(String(first.keyPem)).toBe('[REDACTED]');
    const changes: TlsMaterial[] = [];
    const stop = watchTlsMaterial(
      files,
      first,
      50,
      (material) => changes.push(material),
      (error) => {
        throw error;
      },
    );
    try {
      // Positive control first: the same files several ticks later are no change.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(changes).toEqual([]);
      publish('TRUST-2');
      const deadline = Date.now() + 10_000;
      while (changes.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(changes.map((material) => material.trustPem)).toEqual(['TRUST-2']);
    } finally {
      stop();
    }
  });
});
