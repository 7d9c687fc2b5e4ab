/**
 * A Docker token server for the test registry's `auth: token` mode: checks Basic credentials at
 * GET /token and answers a JWT (ES256, the signing certificate in `x5c`) granting the scope asked
 * for, which distribution verifies against its `rootcertbundle`. It records what it was asked,
 * so tests can see the client went through the Bearer flow.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the certificate tokens are signed with (the registry's rootcertbundle). */
  signerCertFile: string;
  /** Scopes asked for, and whether the credentials were accepted. */
  requests: Array<{ scope: string | null; accepted: boolean }>;
  close(): Promise<void>;
}

export async function startTokenServer(options: {
  dir: string;
  tls: { certFile: string; keyFile: string };
  username: string;
  password: string;
}): Promise<TokenServer> {
  const signerKeyFile = path.join(options.dir, 'token-signer.key');
  const signerCertFile = path.join(options.dir, 'token-signer.crt');
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
      '2',
      '-subj',
      '/CN=scb test token signer',
      '-keyout',
      signerKeyFile,
      '-out',
      signerCertFile,
    ],
    { stdio: 'ignore' },
  );
  const signerKey = readFileSync(signerKeyFile);
  const x5c = new X509Certificate(readFileSync(signerCertFile)).raw.toString('base64');
  const service = 'scb-test-registry';
  const issuer = 'scb-test-issuer';
  const requests: TokenServer['requests'] = [];
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  const server = https.createServer(
    { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      const scope = url.searchParams.get('scope');
      const accepted = url.pathname === '/token' && request.headers.authorization === expected;
      requests.push({ scope, accepted });
      if (!accepted) {
        response.writeHead(401, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ details: 'wrong credentials' }));
        return;
      }
      const access = (scope ?? '')
        .split(' ')
        .filter(Boolean)
        .map((entry) => {
          const [type = '', name = '', actions = ''] = entry.split(':');
          return { type, name, actions: actions.split(',').filter(Boolean) };
        });
      const now = Math.floor(Date.now() / 1000);
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const signingInput = `${encode({ alg: 'ES256', typ: 'JWT', x5c: [x5c] })}.${encode({
        iss: issuer,
        sub: options.username,
        aud: url.searchParams.get('service') ?? service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      })}`;
      const signature = sign('sha256', Buffer.from(signingInput), {
        key: signerKey,
        dsaEncoding: 'ieee-p1363',
      });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({ token: `${signingInput}.${signature.toString('base64url')}`, expires_in: 300 }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    service,
    issuer,
    signerCertFile,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
