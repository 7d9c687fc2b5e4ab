/**
 * The guard between a URL and a socket. Everything not on loopback goes through a recording
 * dialer that never connects; only the loopback cases dial for real, to show the vetted address
 * is the one Node connects to (the names used here do not resolve anywhere but in the test's
 * resolver, so a connection proves the pinned lookup was used).
 */
import { execFileSync } from 'node:child_process';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_OUTBOUND_POLICY,
  OutboundGuard,
  OutboundRefusedError,
  isOutboundRefusal,
  parseOutboundPolicy,
  type OutboundPolicy,
} from '../../../../src/distribution/outbound/index.js';

interface Dialled {
  host: string | null | undefined;
  port: number | string | null | undefined;
  /** What Node's connect would get from the agent's lookup, asked for every address. */
  pinned: LookupAddress[] | undefined;
}

/** A guard whose resolver answers from a script and whose dialer records instead of dialling. */
function recordingGuard(policy: OutboundPolicy, answers: Record<string, string[][]> = {}) {
  const dialled: Dialled[] = [];
  const resolved: string[] = [];
  const guard = new OutboundGuard({
    policy,
    resolve: async (host) => {
      resolved.push(host);
      const next = answers[host]?.shift() ?? [];
      return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
    dial: (options) => {
      let pinned: LookupAddress[] | undefined;
      options.lookup?.(String(options.host), { all: true }, (_error, addresses) => {
        pinned = addresses as unknown as LookupAddress[];
      });
      dialled.push({ host: options.host, port: options.port, pinned });
      throw new Error('recording dialer: not connecting');
    },
  });
  const { httpAgent, httpsAgent } = guard.agents();
  const request = (url: string) =>
    new Promise<Error>((resolve) => {
      const agent = url.startsWith('https:') ? httpsAgent : httpAgent;
      http.get(url, { agent }, () => resolve(new Error('unexpected response'))).on('error', resolve);
    });
  return { guard, dialled, resolved, request };
}

describe('OutboundGuard: what a URL would dial', () => {
  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['loopback', 'http://127.0.0.1:8080/'],
    ['IPv6 loopback', 'http://[::1]:9000/'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]/'],
    ['a private address', 'http://10.0.0.7/'],
    ['a home-router address', 'http://192.168.1.1/'],
    ['the unspecified address', 'http://0.0.0.0:8080/'],
    ['loopback as a decimal number', 'http://2130706433/'],
    ['loopback in hex parts', 'http://0x7f.1/'],
    ['loopback in octal', 'http://0177.0.0.1/'],
    ['userinfo that looks like the host', 'https://good.example@127.0.0.1/'],
    ['userinfo with a port-like password', 'http://good.example:443@10.0.0.1/'],
    ['unique-local IPv6', 'http://[fd00::1]/'],
    ['link-local IPv6', 'http://[fe80::1]/'],
  ])('refuses %s (%s) before dialling', async (_case, url) => {
    const { dialled, resolved, request } = recordingGuard(DEFAULT_OUTBOUND_POLICY);
    const error = await request(url);
    expect(error).toBeInstanceOf(OutboundRefusedError);
    // The message can reach status and Events: it never echoes the address.
    expect(error.message).toBe('refused by the operator outbound policy');
    expect(dialled).toEqual([]);
    expect(resolved).toEqual([]);
  });

  it('vets hosts that arrive un-normalised, as the legacy IPv4 forms getaddrinfo accepts', async () => {
    const { guard, resolved } = recordingGuard(DEFAULT_OUTBOUND_POLICY);
    for (const host of ['2130706433', '0x7f.1', '0x7f000001', '[::1]', 'fe80::1%eth0', '::ffff:a9fe:a9fe']) {
      await expect(guard.vet(host)).rejects.toBeInstanceOf(OutboundRefusedError);
    }
    expect(resolved).toEqual([]);
  });

  it('dials a public IP literal as itself, without a lookup', async () => {
    const { dialled, request } = recordingGuard(DEFAULT_OUTBOUND_POLICY);
    await request('http://93.184.216.34:8080/hook');
    expect(dialled).toEqual([{ host: '93.184.216.34', port: 8080, pinned: undefined }]);
  });

  it('refuses a name resolving to a private address, and names it only in the error detail', async () => {
    const { dialled, request } = recordingGuard(DEFAULT_OUTBOUND_POLICY, {
      'internal.example': [['10.1.2.3']],
    });
    const error = await request('http://internal.example/');
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(error.message).not.toContain('10.1.2.3');
    expect((error as OutboundRefusedError).detail).toEqual({
      host: 'internal.example',
      address: '10.1.2.3',
      range: 'private',
    });
    expect(dialled).toEqual([]);
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const { dialled, request } = recordingGuard(DEFAULT_OUTBOUND_POLICY, {
      'mixed.example': [['93.184.216.34', '::ffff:169.254.169.254']],
    });
    expect(await request('http://mixed.example/')).toBeInstanceOf(OutboundRefusedError);
    expect(dialled).toEqual([]);
  });

  it('DNS rebinding: a name answering public, then private, is dialled pinned the first time and refused the second', async () => {
    const { dialled, resolved, request } = recordingGuard(DEFAULT_OUTBOUND_POLICY, {
      'rebind.example': [['93.184.216.34'], ['127.0.0.1']],
    });
    await request('http://rebind.example/a');
    // Node connects through the pinned lookup: the vetted address, never a second DNS answer.
    expect(dialled).toEqual([
      { host: 'rebind.example', port: 80, pinned: [{ address: '93.184.216.34', family: 4 }] },
    ]);
    expect(await request('http://rebind.example/b')).toBeInstanceOf(OutboundRefusedError);
    expect(dialled).toHaveLength(1);
    expect(resolved).toEqual(['rebind.example', 'rebind.example']);
  });

  it('lets the allow-list open a CIDR and a host name, and nothing next to them', async () => {
    const policy = parseOutboundPolicy(['10.96.0.0/12', 'minio.storage.svc'], []);
    const { dialled, request } = recordingGuard(policy, {
      'minio.storage.svc': [['10.0.0.5'], ['169.254.169.254']],
      'other.storage.svc': [['10.0.0.5']],
    });
    await request('http://10.96.0.10:9000/');
    await request('http://minio.storage.svc:9000/');
    expect(dialled.map((d) => d.pinned?.[0]?.address ?? d.host)).toEqual(['10.96.0.10', '10.0.0.5']);
    expect(await request('http://minio.storage.svc:9000/')).toBeInstanceOf(OutboundRefusedError);
    expect(await request('http://other.storage.svc:9000/')).toBeInstanceOf(OutboundRefusedError);
    expect(await request('http://10.0.0.1:9000/')).toBeInstanceOf(OutboundRefusedError);
    expect(dialled).toHaveLength(2);
  });

  it('refuses the cluster service range unless allow-listed', async () => {
    const { request } = recordingGuard(parseOutboundPolicy([], ['44.10.0.0/16']));
    expect(await request('http://44.10.0.1/')).toBeInstanceOf(OutboundRefusedError);
  });

  it('a resolver without an answer fails as ENOTFOUND, not as a refusal', async () => {
    const { request } = recordingGuard(DEFAULT_OUTBOUND_POLICY, {});
    const error = await request('http://nowhere.example/');
    expect(isOutboundRefusal(error)).toBe(false);
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('OutboundGuard: real connections on loopback', () => {
  const loopback = parseOutboundPolicy(['127.0.0.0/8'], []);
  let server: http.Server;
  let tlsServer: https.Server;
  let port: number;
  let tlsPort: number;
  let caPem: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-outbound-'));
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
        '/CN=store.test',
        '-addext',
        'subjectAltName=DNS:store.test',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    caPem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const answer = (_request: http.IncomingMessage, response: http.ServerResponse) => response.end('ok');
    server = http.createServer(answer);
    tlsServer = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: caPem }, answer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    tlsPort = (tlsServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => tlsServer.close(resolve));
  });

  function get(url: string, agent: http.Agent, ca?: string) {
    return new Promise<string>((resolve, reject) => {
      const request = (url.startsWith('https:') ? https : http).get(
        url,
        { agent, ...(ca ? { ca } : {}) },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(body));
        },
      );
      request.on('error', reject);
    });
  }

  it('connects a name to the one vetted address, resolving it once', async () => {
    const resolved: string[] = [];
    const guard = new OutboundGuard({
      policy: loopback,
      resolve: async (host) => {
        resolved.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const { httpAgent } = guard.agents();
    expect(await get(`http://receiver.test:${port}/`, httpAgent)).toBe('ok');
    expect(resolved).toEqual(['receiver.test']);
    httpAgent.destroy();
  });

  it('over TLS, checks the certificate against the name while dialling the vetted address', async () => {
    const guard = new OutboundGuard({
      policy: loopback,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const { httpsAgent } = guard.agents();
    expect(await get(`https://store.test:${tlsPort}/`, httpsAgent, caPem)).toBe('ok');
    // The same server under another name fails the identity check: the name is what TLS verified.
    await expect(get(`https://other.test:${tlsPort}/`, httpsAgent, caPem)).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    httpsAgent.destroy();
  });

  it('refuses loopback without the allow-list, and the server sees no connection', async () => {
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const { httpAgent } = new OutboundGuard({ policy: DEFAULT_OUTBOUND_POLICY }).agents();
    await expect(get(`http://127.0.0.1:${port}/`, httpAgent)).rejects.toBeInstanceOf(OutboundRefusedError);
    // Positive control: the same server, allow-listed, is reached and counted.
    const allowed = new OutboundGuard({ policy: loopback }).agents().httpAgent;
    expect(await get(`http://127.0.0.1:${port}/`, allowed)).toBe('ok');
    expect(connections).toBe(1);
    allowed.destroy();
  });
});
