/**
 * Scrubs key material from anything headed for a log line. Private keys, passwords, tokens and
 * Secret payloads are replaced; certificates stay, because they are public and a log that shows
 * which certificate was used is worth keeping.
 */

import { REDACTED, SecretValue } from './secret-value.js';

export { REDACTED };

const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;
/** Long unbroken base64/base64url runs: keystores, DER keys, bearer tokens pasted into a message. */
const LONG_BASE64_RUN = /[A-Za-z0-9+/_-]{100,}={0,2}/g;
/** `password=...`, `"keyStorePassword":"..."`: a secret named in free text, e.g. an echoed config. */
const NAMED_SECRET_IN_TEXT = /(password|passwd|passphrase|secret|token)(["']?\s*[:=]\s*["']?)([^\s"',;}]+)/gi;
/** keytool `-storepass x` / `-keypass x` and openssl `pass:x`, should a command line reach a message. */
const PASSWORD_ARGUMENT = /(-(?:src|dest)?(?:store|key)pass)(\s+)(\S+)/gi;
const OPENSSL_PASS_ARGUMENT = /\bpass:(\S+)/g;
const MAX_DEPTH = 12;

/** Field names whose values are secret, compared lower-case with separators removed. */
const SENSITIVE_NAME_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'privatekey',
  'apikey',
  'credential',
  'authorization',
  'cookie',
  'keystore',
  'keymaterial',
  'pkcs12',
];
/**
 * `key` is the bundle's private-key file name, so bare key-ish names are secret too; a `key` that
 * holds an object key (`namespace/name`, a work-queue `bundle:namespace/name`) is not.
 */
const SENSITIVE_NAMES = new Set([
  'key',
  'tlskey',
  'clientkey',
  'cakey',
  'signingkey',
  'keypem',
  'pfx',
  'p12',
]);
/** Names that only point at a secret (`secretName`, `passwordSecretRef`) are safe and useful to log. */
const REFERENCE_SUFFIXES = ['name', 'names', 'ref', 'namespace'];
/** Secret and ConfigMap payload maps: keep the entry names, hide the values. */
const PAYLOAD_MAPS = new Set(['data', 'stringdata', 'binarydata']);

/**
 * A work-queue or object key: an optional lower-case route prefix, a DNS-1123 namespace, a slash and
 * a DNS-1123 name. PEM, base64 and hex keys never take this shape (no upper case, a slash, no
 * leading dash), so showing it costs nothing and tells which object a line is about.
 */
const OBJECT_KEY =
  /^(?:[a-z]+:)?[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?$/;

export function isObjectKey(value: unknown): boolean {
  return typeof value === 'string' && OBJECT_KEY.test(value);
}

export function isSensitiveName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (REFERENCE_SUFFIXES.some((suffix) => normalized.endsWith(suffix))) return false;
  return SENSITIVE_NAMES.has(normalized) || SENSITIVE_NAME_PARTS.some((part) => normalized.includes(part));
}

export function redactText(text: string): string {
  return text
    .replace(PRIVATE_KEY_PEM, (_block, label: string) => `[REDACTED ${label}]`)
    .replace(NAMED_SECRET_IN_TEXT, `$1$2${REDACTED}`)
    .replace(PASSWORD_ARGUMENT, `$1$2${REDACTED}`)
    .replace(OPENSSL_PASS_ARGUMENT, `pass:${REDACTED}`)
    .replace(LONG_BASE64_RUN, (run) => (looksLikeEncodedBytes(run) ? `[REDACTED ${run.length} chars]` : run));
}

/** Random bytes in base64 mix upper case, lower case and digits; long paths and names do not. */
function looksLikeEncodedBytes(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

/** A redacted deep copy of `value`; the caller's objects are never modified. */
export function redactValue(value: unknown): unknown {
  return redactAt(value, 0, new WeakSet());
}

/** Redacts the value stored under `name`: by its name first, then by its content. */
export function redactField(name: string, value: unknown): unknown {
  if (isSensitiveName(name)) return redactSensitive(name, value);
  if (PAYLOAD_MAPS.has(name.toLowerCase())) return redactPayloadMap(value);
  return redactValue(value);
}

/** A field with a secret-sounding name: hidden, unless it is a `key` naming an object. */
function redactSensitive(name: string, value: unknown): unknown {
  return name === 'key' && isObjectKey(value) ? value : REDACTED;
}

function redactAt(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof SecretValue) return REDACTED;
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)
    return `[REDACTED ${value.byteLength} bytes]`;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactAt(item, depth + 1, seen));
    const copy: Record<string, unknown> = {};
    if (value instanceof Error) {
      // Error fields are not enumerable; copy them so the message and stack are kept, scrubbed.
      copy['name'] = value.name;
      copy['message'] = redactText(value.message);
      if (value.stack) copy['stack'] = redactText(value.stack);
    }
    for (const [name, field] of Object.entries(value)) {
      copy[name] = isSensitiveName(name)
        ? redactSensitive(name, field)
        : PAYLOAD_MAPS.has(name.toLowerCase())
          ? redactPayloadMap(field)
          : redactAt(field, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

function redactPayloadMap(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return REDACTED;
  return Object.fromEntries(Object.keys(value).map((entry) => [entry, REDACTED]));
}
