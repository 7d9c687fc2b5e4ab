import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { platformById } from '../../../src/bundle/platforms/index.js';
import type { PlatformId } from '../../../src/bundle/platforms/platform.js';
import { contextWith, CREDENTIALS } from './platform-fixtures.js';

/** Writes a platform's files into a fresh folder, as they sit in an unpacked bundle. */
function unpack(id: PlatformId): string {
  const dir = mkdtempSync(join(tmpdir(), `scb-platform-${id}-`));
  for (const file of platformById(id).files(contextWith({ credentials: CREDENTIALS }))) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  return dir;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const dirs: string[] = [];
const folder = (id: PlatformId): string => {
  const dir = unpack(id);
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('examples pass the real language tools', () => {
  it('python: example.py compiles', () => {
    run('python3', ['-m', 'py_compile', 'example.py'], folder('python'));
  });

  it('spark: release_version.py compiles', () => {
    run('python3', ['-m', 'py_compile', 'release_version.py'], folder('spark'));
  });

  it('nodejs: example.js passes node --check and package.json parses', () => {
    const dir = folder('nodejs');
    run(process.execPath, ['--check', 'example.js'], dir);
    expect(JSON.parse(run('cat', ['package.json'], dir))).toMatchObject({
      dependencies: { 'cassandra-driver': expect.any(String) },
    });
  });

  it('go: main.go is gofmt-clean', () => {
    expect(run('gofmt', ['-l', '.'], folder('go-gocql'))).toBe('');
  });

  // `go vet` needs the gocql module; tests never download, so it runs only where it is cached.
  const gocqlCached =
    spawnSync('go', ['mod', 'download', '-json', 'github.com/apache/cassandra-gocql-driver/v2@v2.1.2'], {
      env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' },
      encoding: 'utf8',
    }).status === 0;
  (gocqlCached ? it : it.skip)('go: main.go type-checks against gocql v2 (go vet)', () => {
    run('go', ['vet', '.'], folder('go-gocql'), {
      ...process.env,
      GOPROXY: 'off',
      GOFLAGS: '-mod=mod',
      GOSUMDB: 'off',
    });
  });

  it('rust: src/main.rs parses (rustfmt)', () => {
    run('rustfmt', ['--edition', '2021', '--emit', 'stdout', 'src/main.rs'], folder('rust'));
  });

  it.each([['cqlsh'], ['dsbulk']] as const)('%s: release-version.sh passes sh -n', (id) => {
    run('sh', ['-n', 'release-version.sh'], folder(id));
  });

  it.each([
    ['java-driver-4', 'pom.xml'],
    ['spring-boot', 'pom.xml'],
    ['quarkus', 'pom.xml'],
    ['csharp', 'ScbExample.csproj'],
  ] as const)('%s: %s is well-formed XML', (id, file) => {
    execFileSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])', file], {
      cwd: folder(id),
    });
  });
});
