/**
 * The download API against the real apiserver: TokenReview and SubjectAccessReview decide, a
 * permitted caller gets the Secret's exact bytes, signed links work until they expire, are
 * refused when altered, and single-use links work once.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { startDownloadApi, type DownloadApi } from '../../../src/distribution/download-api/index.js';
import { KubeObjects } from '../../../src/kube/kube-objects.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import { createTestNamespace, kubeHttp } from '../../support/kube.js';
import { getSecret, secretFile } from '../../support/operator-fixtures.js';
import { capturedLogger, grantDownload, httpsCall, serviceAccountToken } from './distribution-support.js';
import { createPublishedBundle, type PublishedBundle } from './published-bundle.js';
import { secretValue } from '../../../src/observability/secret-value.js';

jest.setTimeout(120_000);

let namespace: string;
let published: PublishedBundle;
let api: DownloadApi;
let reader: string;
let stranger: string;
const registry = new Registry();
const log = capturedLogger();
/** Moves the API's clock forward, to expire links without waiting. */
let clockOffsetMs = 0;

beforeAll(async () => {
  namespace = await createTestNamespace('download');
  published = await createPublishedBundle(namespace, 'orders', { versions: 2 });
  reader = (await serviceAccountToken(namespace, 'reader')).token;
  stranger = (await serviceAccountToken(namespace, 'stranger')).token;
  await grantDownload(namespace, 'reader');
  api = await startDownloadApi({
    kube: new KubeObjects(kubeHttp()),
    port: 0,
    host: '127.0.0.1',
    tls: undefined,
    clock: { now: () => new Date(Date.now() + clockOffsetMs) },
    logger: log.logger,
    metrics: new OperatorMetrics(registry),
    linkKey: secretValue(randomBytes(32)),
  });
});

afterAll(async () => {
  await api?.close();
});

const base = () => `https://127.0.0.1:${api.port}/v1/namespaces/${namespace}/bundles/orders`;
const call = (url: string, options: { method?: string; token?: string; body?: string } = {}) =>
  httpsCall(url, { ...options, ca: api.certificatePem });

test('the self-signed certificate is announced by its SHA-256 at start', () => {
  expect(log.lines()).toContainEqual(
    expect.objectContaining({ message: 'download API listening', certificateSha256: api.certificateSha256 }),
  );
});

test('no token is 401 with a Bearer challenge; a token the apiserver rejects is 401 too', async () => {
  const none = await call(base());
  expect(none.status).toBe(401);
  expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(none.json()['message']).toMatch(/Authorization: Bearer/);
  const forged = await call(base(), { token: 'not-a-real-token' });
  expect(forged.status).toBe(401);
});

test('a ServiceAccount without the download permission gets 403 naming what to grant', async () => {
  const answer = await call(base(), { token: stranger });
  expect(answer.status).toBe(403);
  expect(answer.json()['message']).toContain(
    `system:serviceaccount:${namespace}:stranger may not get secureconnectionbundles/download "orders"`,
  );
});

test('a ServiceAccount granted get on secureconnectionbundles/download gets the Secret zip, byte for byte', async () => {
  const secretZip = secretFile(await getSecret(namespace, 'orders-scb'), 'secure-connect-orders.zip');
  const current = await call(base(), { token: reader });
  expect(current.status).toBe(200);
  expect(current.headers['content-type']).toBe('application/zip');
  expect(current.headers['x-scb-bundle-version']).toBe('2');
  expect(current.body.equals(secretZip)).toBe(true);

  const v1Secret = secretFile(await getSecret(namespace, 'orders-scb-v1'), 'secure-connect-orders.zip');
  const first = await call(`${base()}/versions/1`, { token: reader });
  expect(first.status).toBe(200);
  expect(first.body.equals(v1Secret)).toBe(true);
  expect(first.body.equals(published.zips.get(1) ?? Buffer.alloc(0))).toBe(true);
});

test('a version not kept, or a bundle that does not exist, is 404 with a message saying so', async () => {
  const missingVersion = await call(`${base()}/versions/7`, { token: reader });
  expect(missingVersion.status).toBe(404);
  expect(missingVersion.json()['message']).toMatch(
    /version 7 .* is not kept in the cluster; retrievable versions: 2, 1/,
  );
  // The reader's Role covers every bundle in the namespace, so the lookup itself answers.
  const missingBundle = await call(`https://127.0.0.1:${api.port}/v1/namespaces/${namespace}/bundles/nope`, {
    token: reader,
  });
  expect(missingBundle.status).toBe(404);
  expect(missingBundle.json()['message']).toBe(`SecureConnectionBundle ${namespace}/nope does not exist`);
});

test('every download writes one audit line (who, which bundle and version, bytes) and counts in metrics; no token is logged', async () => {
  const before = log.lines().filter((line) => line['audit'] === 'download').length;
  const answer = await call(base(), { token: reader });
  expect(answer.status).toBe(200);
  const audits = log.lines().filter((line) => line['audit'] === 'download');
  expect(audits).toHaveLength(before + 1);
  expect(audits.at(-1)).toMatchObject({
    user: `system:serviceaccount:${namespace}:reader`,
    namespace,
    name: 'orders',
    version: 2,
    bytes: answer.body.length,
  });
  const metrics = await registry.getSingleMetricAsString('scb_bundle_downloads_total');
  expect(metrics).toMatch(
    new RegExp(`scb_bundle_downloads_total\\{namespace="${namespace}",name="orders"\\} [1-9]`),
  );
  expect(log.text()).not.toContain(reader);
  expect(log.text()).not.toContain(stranger);
});

test('a signed link downloads without a token; an altered link is refused; an expired one too', async () => {
  const minted = await call(`${base()}/links`, { method: 'POST', token: reader, body: '{"ttlSeconds": 60}' });
  expect(minted.status).toBe(201);
  const { url, expiresAt } = minted.json() as { url: string; expiresAt: string };
  expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(50_000);
  const viaLink = await call(url);
  expect(viaLink.status).toBe(200);
  expect(viaLink.body.equals(published.zips.get(2) ?? Buffer.alloc(0))).toBe(true);
  expect(
    log
      .lines()
      .filter((line) => line['audit'] === 'download')
      .at(-1),
  ).toMatchObject({
    user: 'signed-link',
    linkId: expect.any(String),
    version: 2,
  });

  const otherVersion = url.replace('/bundles/orders?', '/bundles/orders/versions/1?');
  expect((await call(otherVersion)).json()).toMatchObject({ error: 'BadSignature' });
  const flipped = new URL(url);
  const sig = flipped.searchParams.get('sig') ?? '';
  flipped.searchParams.set('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
  const tampered = await call(flipped.toString());
  expect(tampered.status).toBe(403);
  expect(tampered.json()).toMatchObject({ error: 'BadSignature' });
  const later = new URL(url);
  later.searchParams.set('expires', String(Number(later.searchParams.get('expires')) + 3600));
  expect((await call(later.toString())).json()).toMatchObject({ error: 'BadSignature' });

  clockOffsetMs = 61_000;
  try {
    const expired = await call(url);
    expect(expired.status).toBe(403);
    expect(expired.json()).toMatchObject({ error: 'LinkExpired' });
  } finally {
    clockOffsetMs = 0;
  }
  expect(log.text()).not.toContain(sig);
});

test('a single-use link works once; the second use, or the same link without its once flag, is refused', async () => {
  const minted = await call(`${base()}/links`, {
    method: 'POST',
    token: reader,
    body: '{"singleUse": true, "version": 1}',
  });
  expect(minted.status).toBe(201);
  const { url } = minted.json() as { url: string };
  expect(url).toContain('/versions/1?');
  const first = await call(url);
  expect(first.status).toBe(200);
  expect(first.body.equals(published.zips.get(1) ?? Buffer.alloc(0))).toBe(true);
  const second = await call(url);
  expect(second.status).toBe(403);
  expect(second.json()).toMatchObject({ error: 'LinkAlreadyUsed' });
  const stripped = new URL(url);
  stripped.searchParams.delete('once');
  expect((await call(stripped.toString())).json()).toMatchObject({ error: 'BadSignature' });
});

test('minting needs the same permission, and refuses a lifetime over an hour', async () => {
  expect((await call(`${base()}/links`, { method: 'POST' })).status).toBe(401);
  expect((await call(`${base()}/links`, { method: 'POST', token: stranger })).status).toBe(403);
  const tooLong = await call(`${base()}/links`, {
    method: 'POST',
    token: reader,
    body: '{"ttlSeconds": 7200}',
  });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json()).toMatchObject({ error: 'InvalidLinkTtl' });
  expect((await call(base(), { method: 'DELETE', token: reader })).status).toBe(405);
});
