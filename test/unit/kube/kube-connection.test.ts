import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadKubeConnection } from '../../../src/kube/client/kube-connection.js';
import { MicroTime } from '../../../src/kube/client/micro-time.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scb-kubeconfig-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeKubeconfig(name: string, server: string, user: object): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    yaml.dump({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      clusters: [{ name: 'k', cluster: { server } }],
      users: [{ name: 'u', user }],
    }),
  );
  return file;
}

describe('loadKubeConnection', () => {
  it('prefers --kubeconfig, then the first existing $KUBECONFIG file, then ~/.kube/config', () => {
    const flag = writeKubeconfig('flag', 'https://flag:6443', { token: 'a' });
    const listed = writeKubeconfig('listed', 'https://listed:6443', { token: 'b' });
    const home = path.join(dir, 'home');
    const env = { KUBECONFIG: [path.join(dir, 'missing'), listed].join(path.delimiter), HOME: home };

    expect(loadKubeConnection({ kubeconfig: flag, env }).server.host).toBe('flag:6443');
    // --kubeconfig falls back to $KUBECONFIG in config.ts, so it may be a path list too.
    const flagList = [path.join(dir, 'missing'), flag].join(path.delimiter);
    expect(loadKubeConnection({ kubeconfig: flagList, env }).server.host).toBe('flag:6443');
    expect(loadKubeConnection({ env }).server.host).toBe('listed:6443');
    mkdirSync(path.join(home, '.kube'), { recursive: true });
    renameSync(
      writeKubeconfig('home-config', 'https://home:6443', { token: 'c' }),
      path.join(home, '.kube/config'),
    );
    expect(loadKubeConnection({ env: { HOME: home } }).server.host).toBe('home:6443');
  });

  it('falls back to in-cluster credentials and names the file it cannot read', () => {
    const env = {
      HOME: path.join(dir, 'nobody'),
      KUBERNETES_SERVICE_HOST: 'fd00::1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    expect(() => loadKubeConnection({ env })).toThrow(
      /cannot read \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/ca\.crt: ENOENT/,
    );
  });

  it('in a pod: the service address (IPv6 bracketed) and the mounted ServiceAccount token', async () => {
    const accountDir = path.join(dir, 'serviceaccount');
    mkdirSync(accountDir);
    writeFileSync(path.join(accountDir, 'token'), 'projected-token');
    writeFileSync(path.join(accountDir, 'ca.crt'), 'not parsed until a request is made');
    const env = {
      HOME: path.join(dir, 'nobody'),
      KUBERNETES_SERVICE_HOST: 'fd00::1',
      KUBERNETES_SERVICE_PORT: '6443',
    };
    const connection = loadKubeConnection({ env, serviceAccountDir: accountDir });
    expect(connection.server.href).toBe('https://[fd00::1]:6443/');
    expect((await connection.target()).headers).toEqual({ Authorization: 'Bearer projected-token' });
    connection.close();
  });

  it('says what it tried when there is no kubeconfig and no pod', () => {
    const env = { HOME: path.join(dir, 'nobody') };
    expect(() => loadKubeConnection({ env })).toThrow(/no kubeconfig found .*pass --kubeconfig/);
  });

  it('re-reads a token file once a minute, so rotated tokens are used', async () => {
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'first\n');
    let now = 0;
    const connection = loadKubeConnection({
      kubeconfig: writeKubeconfig('cfg', 'https://k:6443', { tokenFile }),
      env: {},
      now: () => now,
    });
    expect((await connection.target()).headers).toEqual({ Authorization: 'Bearer first' });
    writeFileSync(tokenFile, 'second\n');
    now = 59_000;
    expect((await connection.target()).headers).toEqual({ Authorization: 'Bearer first' });
    now = 60_000;
    expect((await connection.target()).headers).toEqual({ Authorization: 'Bearer second' });
    connection.close();
  });

  it('runs an exec plugin once and again only after its credential expires', async () => {
    const counter = path.join(dir, 'runs');
    writeFileSync(counter, '');
    const plugin = path.join(dir, 'plugin.mjs');
    writeFileSync(
      plugin,
      [
        "import { appendFileSync, readFileSync } from 'node:fs';",
        `appendFileSync(${JSON.stringify(counter)}, 'x');`,
        `const run = readFileSync(${JSON.stringify(counter)}, 'utf8').length;`,
        'console.log(JSON.stringify({ kind: "ExecCredential", status: {',
        '  token: `tok-${run}-${process.env.PLUGIN_FLAVOUR}`, expirationTimestamp: "2030-01-01T00:00:00Z" } }));',
      ].join('\n'),
    );
    let now = Date.parse('2029-12-31T23:00:00Z');
    const connection = loadKubeConnection({
      kubeconfig: writeKubeconfig('cfg', 'https://k:6443', {
        exec: { command: process.execPath, args: [plugin], env: [{ name: 'PLUGIN_FLAVOUR', value: 'eks' }] },
      }),
      env: process.env,
      now: () => now,
    });
    const [first, second] = await Promise.all([connection.target(), connection.target()]);
    expect(first.headers).toEqual({ Authorization: 'Bearer tok-1-eks' });
    expect(second.headers).toEqual(first.headers);
    now = Date.parse('2030-01-01T00:00:01Z');
    expect((await connection.target()).headers).toEqual({ Authorization: 'Bearer tok-2-eks' });
    expect(readFileSync(counter, 'utf8')).toBe('xx');
    connection.close();
  });
});

describe('MicroTime', () => {
  it('serialises with the six fractional digits the API server requires', () => {
    expect(JSON.stringify({ renewTime: new MicroTime(Date.parse('2026-12-02T03:04:05.678Z')) })).toBe(
      '{"renewTime":"2026-12-02T03:04:05.678000Z"}',
    );
  });
});
