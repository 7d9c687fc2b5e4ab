/**
 * The leak scan's positive control: the needles it builds from real Secrets (a PEM key, a bundle
 * zip's config.json, a referenced webhook key, the operator's link key) are found when planted in a
 * log line, an Event note, a status or a metric, in the forms they would leak in; clean output
 * passes.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { writeZip } from '../../../src/bundle/zip.js';
import { createLogger } from '../../../src/observability/logger.js';
import { findLeaks, secretNeedles, type BundleLike } from '../../support/leak-scan.js';
import { PassThrough } from 'node:stream';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY_D = privateKey.export({ format: 'jwk' }).d as string;
const KEYSTORE_PASSWORD = 'Vq3-generated-keystore-pw';
const HMAC_KEY = randomBytes(32);
const LINK_KEY = randomBytes(32);
const CQL_PASSWORD = 'app-cql-password-91';

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64');

const secrets: V1Secret[] = [
  {
    metadata: { namespace: 'team-a', name: 'orders-scb-v1' },
    data: {
      'secure-connect-orders.zip': b64(
        writeZip(
          [
            {
              path: 'config.json',
              content: Buffer.from(JSON.stringify({ host: 'db', keyStorePassword: KEYSTORE_PASSWORD })),
            },
            { path: 'key.pem', content: Buffer.from(KEY_PEM) },
          ],
          new Date('2026-03-01T00:00:00Z'),
        ),
      ),
    },
  },
  { metadata: { namespace: 'team-a', name: 'hook' }, data: { hmac: b64(HMAC_KEY) } },
  {
    metadata: { namespace: 'team-a', name: 'cql' },
    data: { username: b64('orders-app'), password: b64(CQL_PASSWORD) },
  },
  {
    metadata: {
      namespace: 'scb-system',
      name: 'link-key',
      labels: { 'scb-operator.io/role': 'signing-key' },
    },
    data: { 'link-key': b64(LINK_KEY) },
  },
];
const bundles: BundleLike[] = [
  {
    metadata: { namespace: 'team-a' },
    spec: {
      notifications: { webhooks: [{ secretRef: { name: 'hook', key: 'hmac' } }] },
      credentials: { secretRef: { name: 'cql' } },
    },
  },
];
const { needles } = secretNeedles(secrets, bundles);

/** What the operator's logger writes for `fields` (redaction included): planted values must survive it. */
function logLine(message: string, fields: Record<string, unknown>): string {
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  createLogger({ destination }).info(message, fields);
  return chunks.join('');
}

describe('leak scan', () => {
  it('passes clean output that names objects and the CQL user', () => {
    const clean = [
      {
        source: 'logs/op.log',
        text: logLine('bundle issued', { namespace: 'team-a', name: 'orders', user: 'orders-app' }),
      },
      { source: 'events/1.json', text: JSON.stringify({ note: 'issued version 1 of team-a/orders' }) },
      { source: 'metrics/op.txt', text: 'scb_bundle_versions_total{namespace="team-a",name="orders"}' },
    ];
    expect(findLeaks(clean, needles)).toEqual([]);
  });

  it.each([
    [
      'a config.json password in a log message',
      'logs/op.log',
      `{"message":"login with ${KEYSTORE_PASSWORD}"}`,
      'keyStorePassword',
    ],
    [
      'the CQL password in an Event note',
      'events/1.json',
      JSON.stringify({ note: `auth ${CQL_PASSWORD} refused` }),
      'cql entry password',
    ],
    [
      'a webhook key, base64, in a status message',
      'statuses/1.json',
      JSON.stringify({ message: b64(HMAC_KEY) }),
      'hook entry hmac',
    ],
    [
      'the link key, hex, as a metric label',
      'metrics/op.txt',
      `x{key="${LINK_KEY.toString('hex')}"}`,
      'link-key entry link-key',
    ],
    [
      'a private key scalar as a JWK',
      'logs/op.log',
      JSON.stringify({ jwk: { d: KEY_D } }),
      'key.pem (private key) d',
    ],
    [
      'a PEM body split over JSON line escapes',
      'logs/op.log',
      JSON.stringify({ body: KEY_PEM.split('\n').slice(1, -2).join('\n') }),
      'PEM body',
    ],
  ])('catches %s', (_what, source, text, expected) => {
    const leaks = findLeaks(
      [
        { source: 'logs/clean.log', text: '{"message":"ok"}\n' },
        { source, text },
      ],
      needles,
    );
    expect(leaks).toEqual([
      expect.objectContaining({ what: expect.stringContaining(expected) as unknown as string }),
    ]);
    expect(leaks[0]?.source.startsWith(source)).toBe(true);
    // The report names the Secret and entry, never the value.
    expect(JSON.stringify(leaks)).not.toContain(text.slice(10, 30));
  });

  it('catches any private key PEM header and reports its line', () => {
    const text = `{"message":"a"}\n{"message":"${KEY_PEM.split('\n')[0]}"}\n`;
    expect(findLeaks([{ source: 'logs/op.log', text }], needles)).toContainEqual({
      source: 'logs/op.log:2',
      what: 'a private key PEM header',
    });
  });

  it('keeps what the logger writes free of planted secrets, so the run-wide scan can pass', () => {
    const line = logLine('reconcile failed', {
      key: 'team-a/orders',
      password: CQL_PASSWORD,
      error: KEY_PEM,
    });
    expect(findLeaks([{ source: 'logs/op.log', text: line }], needles)).toEqual([]);
    expect(line).toContain('team-a/orders');
  });
});
