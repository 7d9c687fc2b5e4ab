/**
 * The Bearer token flow against the real registry: distribution in `auth: token` mode, trusting
 * tokens from the test's token server, answers every anonymous request with a Bearer challenge.
 * The publisher pushes versions through it (token fetched with the Secret's credentials, for the
 * scope the registry asked), the standard client pulls the result, and wrong credentials come
 * back as OciAccessDenied.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  decryptObject,
  KeyEncryptionKey,
} from '../../../src/distribution/object-store/client-side-encryption.js';
import { OciPublisher } from '../../../src/distribution/oci/oci-publisher.js';
import { createLogger } from '../../../src/observability/logger.js';
import { secretValue } from '../../../src/observability/secret-value.js';
import { startOciRegistry, type OciRegistryServer } from '../../support/oci-registry.js';

jest.setTimeout(120_000);

let registry: OciRegistryServer | undefined;
const agents: https.Agent[] = [];

beforeAll(async () => {
  registry = await startOciRegistry({ auth: 'token' });
});

afterAll(async () => {
  for (const agent of agents) agent.destroy();
  await registry?.dispose();
});

const kek = new KeyEncryptionKey(randomBytes(32));
const logger = createLogger({
  level: 'error',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

function publisher(password: string) {
  const reg = registry as OciRegistryServer;
  const agent = new https.Agent({ keepAlive: true });
  agents.push(agent);
  return new OciPublisher(
    {
      registry: reg.host,
      repository: 'token/app-scb',
      namespace: 'token',
      name: 'app',
      credentials: secretValue({ username: reg.username, password }),
      encryptionKey: kek,
      keepTags: 1,
    },
    { logger, agent, ca: reg.caPem },
  );
}

const version = (n: number) => ({
  version: n,
  zip: randomBytes(4096),
  manifest: Buffer.from(`{"version":${n}}`),
  signature: randomBytes(70),
  created: new Date(),
});

describe('OCI push to a registry with token authentication', () => {
  it('takes a token for the scope the registry asks, pushes, cleans up, and oras pulls it', async () => {
    const reg = registry as OciRegistryServer;
    const v1 = version(1);
    const v2 = version(2);
    const pushes = publisher(reg.password);
    expect(await pushes.push(v1)).toMatchObject({ state: 'pushed', version: 1, latestVersion: 1 });
    expect(await pushes.push(v2)).toMatchObject({
      state: 'pushed',
      version: 2,
      latestVersion: 2,
      removedTags: ['v1'],
    });
    const asked = reg.tokenRequests ?? [];
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((request) => request.accepted)).toBe(true);
    // The registry lists the actions in no fixed order.
    expect(
      asked.some((request) => /^repository:token\/app-scb:(push,pull|pull,push)$/.test(request.scope ?? '')),
    ).toBe(true);
    expect(asked.map((request) => request.scope)).toContain('repository:token/app-scb:delete');

    // oras goes through the same token flow with the same credentials.
    const tags = (await reg.oras(['repo', 'tags', `${reg.host}/token/app-scb`]))
      .split('\n')
      .filter((t) => t && !t.startsWith('sha256-'));
    expect(tags.sort()).toEqual(['latest', 'v2']);
    const out = mkdtempSync(path.join(tmpdir(), 'scb-oci-token-'));
    await reg.oras(['pull', `${reg.host}/token/app-scb:latest`, '-o', out]);
    const opened = decryptObject(readFileSync(path.join(out, 'secure-connect-app.zip.scbenc')), [kek]);
    expect(opened.plaintext.equals(v2.zip)).toBe(true);
  });

  it('wrong credentials: the token server refuses, and the push says OciAccessDenied', async () => {
    const result = await publisher('not-the-password').push(version(3));
    expect(result).toMatchObject({ state: 'behind', reason: 'OciAccessDenied' });
    if (result.state !== 'behind') throw new Error('pushed');
    expect(result.message).not.toContain('not-the-password');
  });
});
