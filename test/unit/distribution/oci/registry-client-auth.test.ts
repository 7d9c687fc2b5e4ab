/**
 * The Docker token flow in detail (the real registry in token mode is in
 * test/integration/distribution/oci-token-auth.test.ts): a Node HTTPS server on loopback answers
 * 401 with a Bearer challenge and serves a token realm that wants Basic credentials. It checks
 * what the client sends: the credentials only to the realm, the token only to the registry, the
 * scope asked for, and that a realm that is not https gets nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RegistryCallError, RegistryClient } from '../../../../src/distribution/oci/registry-client.js';

interface Seen {
  path: string;
  authorization: string | undefined;
}

let server: https.Server;
let port: number;
let ca: string;
const seen: Seen[] = [];
let realmScheme = 'https';

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-oci-auth-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  server = https.createServer(
    { key: readFileSync(path.join(dir, 'key.pem')), cert: ca },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      seen.push({ path: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
      if (url.pathname === '/token') {
        const expected = `Basic ${Buffer.from('robot:pa55word').toString('base64')}`;
        if (request.headers.authorization !== expected) {
          response.writeHead(401).end();
          return;
        }
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ token: `token-for-${url.searchParams.get('scope')}` }));
        return;
      }
      if (request.headers.authorization !== 'Bearer token-for-repository:team/app:pull') {
        response.writeHead(401, {
          'Content-Type': 'application/json',
          'Docker-Distribution-Api-Version': 'registry/2.0',
          'WWW-Authenticate': `Bearer realm="${realmScheme}://127.0.0.1:${port}/token",service="test-registry",scope="repository:team/app:pull"`,
        });
        response.end(
          JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
        );
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ name: 'team/app', tags: ['v1', 'latest'] }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  realmScheme = 'https';
});

function client(credentials?: { username: string; password: string }) {
  const agent = new https.Agent();
  return {
    agent,
    client: new RegistryClient({
      registry: `127.0.0.1:${port}`,
      repository: 'team/app',
      agent,
      ca,
      ...(credentials ? { credentials: () => credentials } : {}),
    }),
  };
}

describe('RegistryClient: the Bearer token challenge', () => {
  it('fetches a token with the credentials for the challenged scope, then sends only the token to the registry', async () => {
    const { client: registry, agent } = client({ username: 'robot', password: 'pa55word' });
    try {
      expect(await registry.tags()).toEqual(['v1', 'latest']);
      expect(seen.map((s) => s.path)).toEqual([
        '/v2/team/app/tags/list?n=1000',
        '/token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull',
        '/v2/team/app/tags/list?n=1000',
      ]);
      expect(seen[1]?.authorization).toMatch(/^Basic /);
      expect(seen[2]?.authorization).toBe('Bearer token-for-repository:team/app:pull');
      // The token is kept: a second call needs no new one.
      await registry.tags();
      expect(seen.slice(3).map((s) => s.path)).toEqual(['/v2/team/app/tags/list?n=1000']);
    } finally {
      agent.destroy();
    }
  });

  it('wrong credentials: the realm refuses, and the error names no secret', async () => {
    const { client: registry, agent } = client({ username: 'robot', password: 'wrong-pa55' });
    try {
      const error = await registry.tags().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RegistryCallError);
      expect((error as RegistryCallError).status).toBe(401);
      expect(String((error as Error).message)).not.toContain('wrong-pa55');
    } finally {
      agent.destroy();
    }
  });

  it('refuses a realm that is not https, before sending credentials anywhere', async () => {
    realmScheme = 'http';
    const { client: registry, agent } = client({ username: 'robot', password: 'pa55word' });
    try {
      await expect(registry.tags()).rejects.toThrow(/is not https/);
      expect(seen.map((s) => s.path)).toEqual(['/v2/team/app/tags/list?n=1000']);
    } finally {
      agent.destroy();
    }
  });

  it('anonymous: asks the realm for an anonymous token (public pulls), and a refusal comes back as a 401', async () => {
    const { client: registry, agent } = client();
    try {
      const error = (await registry.tags().then(
        () => undefined,
        (e: unknown) => e,
      )) as RegistryCallError;
      expect(error).toMatchObject({ status: 401, speaksRegistry: true });
    } finally {
      agent.destroy();
    }
  });
});
