import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../../errors.js';

/**
 * Signed download links: `<path>?expires=<unix seconds>&nonce=<id>[&once=1]&sig=<base64url>`,
 * where sig = HMAC-SHA256(linkKey, "GET\n<path>\n<expires>\n<nonce>\n<0|1>"). The single-use flag
 * is signed too, so stripping `once=1` breaks the signature instead of making the link reusable.
 * The nonce doubles as the link id in audit lines: without the signature it opens nothing.
 * `by=<user>` names who minted the link (signed too, appended as "\n<user>"), so a download
 * through it is attributed to that user in status.usage.downloads; links without it still verify.
 */
export const DEFAULT_LINK_TTL_SECONDS = 300;
export const MAX_LINK_TTL_SECONDS = 3600;
/** Below this the HMAC key is guessable in principle; 32 bytes matches SHA-256's output. */
export const MIN_LINK_KEY_BYTES = 32;

export interface SignedLink {
  /** Path and query, to be appended to the API's base URL. */
  pathAndQuery: string;
  expiresAt: Date;
  linkId: string;
  singleUse: boolean;
}

export interface LinkClaims {
  linkId: string;
  expiresAt: Date;
  singleUse: boolean;
  /** Who minted the link, when it says. */
  mintedBy?: string;
}

/** A minter's user name in a link: 1 to 256 characters (what status holds), no control characters. */
function validMinter(name: string): boolean {
  return name.length >= 1 && name.length <= 256 && ![...name].some((c) => c < ' ' || c === '\x7f');
}

export type LinkCheck =
  { ok: true; claims: LinkClaims } | { ok: false; reason: 'MalformedLink' | 'BadSignature' | 'LinkExpired' };

export function assertLinkKey(linkKey: Buffer): void {
  if (linkKey.length < MIN_LINK_KEY_BYTES) {
    throw new InvalidInputError(
      'LinkKeyTooShort',
      `download link key has ${linkKey.length} bytes: use at least ${MIN_LINK_KEY_BYTES} random bytes (e.g. openssl rand 32)`,
      'linkKey',
    );
  }
}

/** Validates a requested lifetime: whole seconds from 1 to MAX_LINK_TTL_SECONDS. */
export function linkTtlSeconds(requested: unknown): number {
  if (requested === undefined) return DEFAULT_LINK_TTL_SECONDS;
  if (
    typeof requested !== 'number' ||
    !Number.isInteger(requested) ||
    requested < 1 ||
    requested > MAX_LINK_TTL_SECONDS
  ) {
    throw new InvalidInputError(
      'InvalidLinkTtl',
      `ttlSeconds must be a whole number of seconds from 1 to ${MAX_LINK_TTL_SECONDS}; omit it for ${DEFAULT_LINK_TTL_SECONDS}`,
      'ttlSeconds',
    );
  }
  return requested;
}

export function signLink(
  linkKey: Buffer,
  request: { path: string; now: Date; ttlSeconds: number; singleUse: boolean; mintedBy?: string },
): SignedLink {
  const expires = Math.floor(request.now.getTime() / 1000) + request.ttlSeconds;
  const nonce = randomBytes(16).toString('base64url');
  const mintedBy =
    request.mintedBy !== undefined && validMinter(request.mintedBy) ? request.mintedBy : undefined;
  const sig = signature(linkKey, 'GET', request.path, expires, nonce, request.singleUse, mintedBy);
  const query = new URLSearchParams({ expires: String(expires), nonce });
  if (request.singleUse) query.set('once', '1');
  if (mintedBy !== undefined) query.set('by', mintedBy);
  query.set('sig', sig);
  return {
    pathAndQuery: `${request.path}?${query.toString()}`,
    expiresAt: new Date(expires * 1000),
    linkId: nonce,
    singleUse: request.singleUse,
  };
}

/**
 * Checks a request against its link: the signature first (so an attacker learns nothing about
 * expiry from a forged link), then the expiry. Single use is the caller's to enforce.
 */
export function checkLink(
  linkKey: Buffer,
  request: { method: string; path: string; query: URLSearchParams; now: Date },
): LinkCheck {
  const expiresText = request.query.get('expires');
  const nonce = request.query.get('nonce');
  const sig = request.query.get('sig');
  const once = request.query.get('once');
  const mintedBy = request.query.get('by') ?? undefined;
  if (
    (mintedBy !== undefined && !validMinter(mintedBy)) ||
    !expiresText ||
    !/^[0-9]{1,12}$/.test(expiresText) ||
    !nonce ||
    !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) ||
    !sig ||
    (once !== null && once !== '1')
  ) {
    return { ok: false, reason: 'MalformedLink' };
  }
  const expires = Number(expiresText);
  const singleUse = once === '1';
  // HEAD shares GET's link: it reveals the size, never more than the link already grants.
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const expected = Buffer.from(signature(linkKey, method, request.path, expires, nonce, singleUse, mintedBy));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'BadSignature' };
  }
  if (request.now.getTime() >= expires * 1000) return { ok: false, reason: 'LinkExpired' };
  return {
    ok: true,
    claims: {
      linkId: nonce,
      expiresAt: new Date(expires * 1000),
      singleUse,
      ...(mintedBy !== undefined ? { mintedBy } : {}),
    },
  };
}

function signature(
  linkKey: Buffer,
  method: string,
  path: string,
  expires: number,
  nonce: string,
  singleUse: boolean,
  mintedBy: string | undefined,
): string {
  const by = mintedBy === undefined ? '' : `\n${mintedBy}`;
  return createHmac('sha256', linkKey)
    .update(`${method}\n${path}\n${expires}\n${nonce}\n${singleUse ? 1 : 0}${by}`)
    .digest('base64url');
}
