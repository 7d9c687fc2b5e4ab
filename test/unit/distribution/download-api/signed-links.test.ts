import { randomBytes } from 'node:crypto';
import {
  assertLinkKey,
  checkLink,
  linkTtlSeconds,
  signLink,
} from '../../../../src/distribution/download-api/signed-links.js';
import { InvalidInputError } from '../../../../src/errors.js';

const key = randomBytes(32);
const now = new Date('2026-03-01T12:00:00Z');
const path = '/v1/namespaces/shop/bundles/orders';

function check(pathAndQuery: string, options: { at?: Date; method?: string; linkKey?: Buffer } = {}) {
  const url = new URL(pathAndQuery, 'https://api.example');
  return checkLink(options.linkKey ?? key, {
    method: options.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    now: options.at ?? now,
  });
}

function mutate(pathAndQuery: string, change: (url: URL) => void): string {
  const url = new URL(pathAndQuery, 'https://api.example');
  change(url);
  return `${url.pathname}${url.search}`;
}

test('a link carries expires, nonce and sig and is accepted until it expires, then refused', () => {
  const link = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  expect(link.pathAndQuery).toMatch(
    /^\/v1\/namespaces\/shop\/bundles\/orders\?expires=\d+&nonce=[\w-]+&sig=[\w-]+$/,
  );
  expect(link.expiresAt).toEqual(new Date('2026-03-01T12:05:00Z'));
  expect(check(link.pathAndQuery)).toEqual({
    ok: true,
    claims: { linkId: link.linkId, expiresAt: link.expiresAt, singleUse: false },
  });
  expect(check(link.pathAndQuery, { at: new Date('2026-03-01T12:04:59Z') }).ok).toBe(true);
  expect(check(link.pathAndQuery, { at: link.expiresAt })).toEqual({ ok: false, reason: 'LinkExpired' });
});

test.each([
  ['another path', (url: URL) => (url.pathname = `${path}/versions/1`)],
  [
    'a later expiry',
    (url: URL) => url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 60)),
  ],
  ['another nonce', (url: URL) => url.searchParams.set('nonce', 'AAAAAAAAAAAAAAAAAAAAAA')],
  ['the single-use flag removed', (url: URL) => url.searchParams.delete('once')],
])('a link with %s is refused as BadSignature', (_what, change) => {
  const link = signLink(key, { path, now, ttlSeconds: 300, singleUse: true });
  expect(check(mutate(link.pathAndQuery, change))).toEqual({ ok: false, reason: 'BadSignature' });
});

test('a link signed with another key, or used for another method, is refused; HEAD shares GET', () => {
  const link = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  expect(check(link.pathAndQuery, { linkKey: randomBytes(32) })).toEqual({
    ok: false,
    reason: 'BadSignature',
  });
  expect(check(link.pathAndQuery, { method: 'POST' })).toEqual({ ok: false, reason: 'BadSignature' });
  expect(check(link.pathAndQuery, { method: 'HEAD' }).ok).toBe(true);
});

test('the signature is checked before the expiry, so a forged link learns nothing about time', () => {
  const link = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  const forged = mutate(link.pathAndQuery, (url) => url.searchParams.set('sig', 'x'.repeat(43)));
  expect(check(forged, { at: new Date('2030-01-01T00:00:00Z') })).toEqual({
    ok: false,
    reason: 'BadSignature',
  });
});

test.each([
  ['no expires', (url: URL) => url.searchParams.delete('expires')],
  ['a non-numeric expires', (url: URL) => url.searchParams.set('expires', '1e9')],
  ['no nonce', (url: URL) => url.searchParams.delete('nonce')],
  ['a once flag other than 1', (url: URL) => url.searchParams.set('once', 'yes')],
])('a link with %s is MalformedLink', (_what, change) => {
  const link = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  expect(check(mutate(link.pathAndQuery, change))).toEqual({ ok: false, reason: 'MalformedLink' });
});

test('every link gets its own nonce', () => {
  const a = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  const b = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  expect(a.linkId).not.toBe(b.linkId);
});

test('lifetimes default to 5 minutes and are whole seconds up to one hour', () => {
  expect(linkTtlSeconds(undefined)).toBe(300);
  expect(linkTtlSeconds(3600)).toBe(3600);
  for (const bad of [0, 3601, 1.5, '60', -1]) {
    expect(() => linkTtlSeconds(bad)).toThrow(
      expect.objectContaining({ reason: 'InvalidLinkTtl', field: 'ttlSeconds' }),
    );
  }
});

test('a link key shorter than 32 bytes is refused with the fix', () => {
  expect(() => assertLinkKey(randomBytes(16))).toThrow(InvalidInputError);
  expect(() => assertLinkKey(randomBytes(16))).toThrow(/at least 32 random bytes/);
  expect(() => assertLinkKey(randomBytes(32))).not.toThrow();
});

test('a link names who minted it (signed): changing, adding or dropping by= breaks the signature', () => {
  const link = signLink(key, {
    path,
    now,
    ttlSeconds: 300,
    singleUse: false,
    mintedBy: 'system:serviceaccount:shop:ci',
  });
  expect(link.pathAndQuery).toContain('&by=system%3Aserviceaccount%3Ashop%3Aci&');
  expect(check(link.pathAndQuery)).toEqual({
    ok: true,
    claims: {
      linkId: link.linkId,
      expiresAt: link.expiresAt,
      singleUse: false,
      mintedBy: 'system:serviceaccount:shop:ci',
    },
  });
  expect(check(mutate(link.pathAndQuery, (url) => url.searchParams.set('by', 'alice')))).toEqual({
    ok: false,
    reason: 'BadSignature',
  });
  expect(check(mutate(link.pathAndQuery, (url) => url.searchParams.delete('by')))).toEqual({
    ok: false,
    reason: 'BadSignature',
  });
  const anonymous = signLink(key, { path, now, ttlSeconds: 300, singleUse: false });
  expect(check(mutate(anonymous.pathAndQuery, (url) => url.searchParams.set('by', 'alice')))).toEqual({
    ok: false,
    reason: 'BadSignature',
  });
  expect(check(mutate(link.pathAndQuery, (url) => url.searchParams.set('by', 'a\nb')))).toEqual({
    ok: false,
    reason: 'MalformedLink',
  });
});
