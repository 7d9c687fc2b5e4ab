/**
 * The leak scan's logic, pure: which values in a set of Secrets are secret (needles), and where any
 * of them, or a private key PEM, shows up in what the operator wrote (haystacks). The integration
 * run records the inputs (leak-scan-output.ts); test/integration/leak-scan.test.ts runs this last.
 */
import { createPrivateKey } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { readZip, ZipRefusedError } from '../../src/bundle/zip-reader.js';
import { isSensitiveName } from '../../src/observability/redaction.js';

export interface Needle {
  /** Where the value lives and what it is; printed in failures, never the value itself. */
  what: string;
  text: string;
}

export interface Haystack {
  /** e.g. `logs/operator-123.log:17`, `event team-a/orders.1a2b`. */
  source: string;
  text: string;
}

export interface Leak {
  source: string;
  what: string;
}

/** Shorter values would match by chance ("admin", "secret"); the figures report how many were skipped. */
export const MIN_NEEDLE_LENGTH = 8;

const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** Password fields of a bundle's config.json. */
const CONFIG_PASSWORDS = ['keyStorePassword', 'trustStorePassword', 'pfxCertPassword', 'password'];
/** Operator Secrets whose every entry is key material, whatever its name (e.g. `link-key`). */
const KEY_MATERIAL_ROLES = new Set(['signing-key']);
const ROLE_LABEL = 'scb-operator.io/role';

/**
 * The data entries a bundle spec names as secret: keystore passwords, the CQL password, webhook
 * HMAC keys, object-store credentials and the client-side encryption key, by `namespace/secret`.
 */
export function referencedSecretEntries(bundles: readonly BundleLike[]): Map<string, Set<string>> {
  const entries = new Map<string, Set<string>>();
  const add = (namespace: string, name: string | undefined, ...keys: Array<string | undefined>) => {
    if (!name) return;
    const set = entries.get(`${namespace}/${name}`) ?? new Set<string>();
    for (const key of keys) if (key) set.add(key);
    entries.set(`${namespace}/${name}`, set);
  };
  for (const bundle of bundles) {
    const namespace = bundle.metadata?.namespace ?? '';
    const spec = bundle.spec ?? {};
    add(
      namespace,
      spec.keystores?.passwordSecretRef?.name,
      'keyStorePassword',
      'trustStorePassword',
      'pfxCertPassword',
    );
    add(namespace, spec.credentials?.secretRef?.name, spec.credentials?.secretRef?.passwordKey ?? 'password');
    for (const hook of spec.notifications?.webhooks ?? [])
      add(namespace, hook.secretRef?.name, hook.secretRef?.key);
    const store = spec.target?.objectStore;
    add(namespace, store?.credentialsSecretRef?.name, 'secretAccessKey', 'sessionToken');
    const kek = store?.clientSideEncryption?.keySecretRef;
    add(namespace, kek?.name, kek?.key);
  }
  return entries;
}

/** Only the spec fields referencedSecretEntries reads. */
export interface BundleLike {
  metadata?: { namespace?: string };
  spec?: {
    keystores?: { passwordSecretRef?: { name?: string } };
    credentials?: { secretRef?: { name?: string; passwordKey?: string } };
    notifications?: { webhooks?: Array<{ secretRef?: { name?: string; key?: string } }> };
    target?: {
      objectStore?: {
        credentialsSecretRef?: { name?: string };
        clientSideEncryption?: { keySecretRef?: { name?: string; key?: string } };
      };
    };
  };
}

export interface NeedleSet {
  needles: Needle[];
  /** Secret values shorter than MIN_NEEDLE_LENGTH, not searched for. */
  tooShort: number;
}

/**
 * Every secret value in `secrets`: private keys (PEM anywhere in an entry, or in a bundle zip),
 * config.json passwords inside bundle zips, entries with a secret name, entries a bundle spec
 * references as secret, and every entry of the operator's key Secrets. Each value is searched for
 * as text and in the encodings it could leak in (base64, base64url, hex).
 */
export function secretNeedles(secrets: readonly V1Secret[], bundles: readonly BundleLike[]): NeedleSet {
  const referenced = referencedSecretEntries(bundles);
  const found = new Map<string, Needle>();
  let tooShort = 0;
  const add = (what: string, value: Buffer) => {
    const forms = encodings(value);
    if (forms.length === 0) {
      tooShort += 1;
      return;
    }
    for (const text of forms) if (!found.has(text)) found.set(text, { what, text });
  };
  for (const secret of secrets) {
    const namespace = secret.metadata?.namespace ?? '';
    const name = `${namespace}/${secret.metadata?.name ?? ''}`;
    const role = secret.metadata?.labels?.[ROLE_LABEL] ?? '';
    for (const [entry, encoded] of Object.entries(secret.data ?? {})) {
      const value = Buffer.from(encoded, 'base64');
      const where = `Secret ${name} entry ${entry}`;
      for (const key of privateKeys(value.toString('utf8')))
        addPrivateKey(`${where} (private key)`, key, add);
      if (value.subarray(0, 4).equals(ZIP_MAGIC)) {
        zipSecrets(value, where, add);
      } else if (isSensitiveName(entry) || referenced.get(name)?.has(entry) || KEY_MATERIAL_ROLES.has(role)) {
        if (!PRIVATE_KEY_HEADER.test(value.toString('utf8'))) add(where, value);
      }
    }
  }
  return { needles: [...found.values()], tooShort };
}

function zipSecrets(zip: Buffer, where: string, add: (what: string, value: Buffer) => void): void {
  let files: ReturnType<typeof readZip>;
  try {
    files = readZip(zip, where);
  } catch (error) {
    // A zip the reader refuses (a test's forged bomb) is none the operator made: no key of ours.
    if (error instanceof ZipRefusedError) return;
    throw error;
  }
  for (const file of files) {
    const text = file.content.toString('utf8');
    for (const key of privateKeys(text)) addPrivateKey(`${where} → ${file.path} (private key)`, key, add);
    if (file.path.endsWith('config.json')) {
      const config = JSON.parse(text) as Record<string, unknown>;
      for (const field of CONFIG_PASSWORDS) {
        const password = config[field];
        if (typeof password === 'string') add(`${where} → ${file.path} ${field}`, Buffer.from(password));
      }
    }
  }
}

function privateKeys(text: string): string[] {
  return [...text.matchAll(PRIVATE_KEY_PEM)].map((match) => match[0]);
}

/** The PEM body, and the private scalar(s) on their own (a key can leak as a JWK or raw bytes). */
function addPrivateKey(what: string, pem: string, add: (what: string, value: Buffer) => void): void {
  const body = pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  add(`${what} PEM body`, Buffer.from(body));
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  for (const part of ['d', 'p', 'q'] as const) {
    const value = jwk[part];
    if (value) add(`${what} ${part}`, Buffer.from(value, 'base64url'));
  }
}

function encodings(value: Buffer): string[] {
  const text = value.toString('utf8').trim();
  const printable = /^[\x20-\x7e]+$/.test(text);
  const forms = [
    ...(printable ? [text] : []),
    value.toString('base64'),
    value.toString('base64url'),
    value.toString('hex'),
  ];
  if (printable && text.length < MIN_NEEDLE_LENGTH) return [];
  if (!printable && value.length < MIN_NEEDLE_LENGTH) return [];
  // A text value is also searched for as its own base64; raw bytes as the encodings above.
  return [...new Set(forms)].filter((form) => form.length >= MIN_NEEDLE_LENGTH);
}

/**
 * Where each needle, or any private key PEM header, occurs. A haystack is a whole file or object:
 * searched as written (the line is reported) and with JSON escapes and white space removed, so a
 * PEM body split over `\n` is found too.
 */
export function findLeaks(haystacks: readonly Haystack[], needles: readonly Needle[]): Leak[] {
  const forms = needles.map((needle) => ({ ...needle, escaped: JSON.stringify(needle.text).slice(1, -1) }));
  const leaks: Leak[] = [];
  for (const { source, text } of haystacks) {
    const header = PRIVATE_KEY_HEADER.exec(text);
    if (header) leaks.push({ source: at(source, text, header.index), what: 'a private key PEM header' });
    const joined = text.replace(/\\[nr]|\s+/g, '');
    for (const needle of forms) {
      const index = text.indexOf(needle.text);
      const escapedIndex = index >= 0 ? index : text.indexOf(needle.escaped);
      if (escapedIndex >= 0) leaks.push({ source: at(source, text, escapedIndex), what: needle.what });
      else if (joined.includes(needle.text))
        leaks.push({ source: `${source} (across line breaks)`, what: needle.what });
    }
  }
  // A value's encodings can overlap (base64url is base64 without its padding when neither has
  // '+' or '/'): one secret found at one place is one leak.
  const seen = new Set<string>();
  return leaks.filter((leak) => {
    const key = `${leak.source}\n${leak.what}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `source:line` for a hit in a multi-line text. */
function at(source: string, text: string, index: number): string {
  if (!text.includes('\n')) return source;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return `${source}:${line}`;
}
