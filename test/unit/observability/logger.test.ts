import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { ApiException } from '@kubernetes/client-node';
import { createLogger, reconcileLogger, type Logger } from '../../../src/observability/logger.js';
import { fixedClock } from '../../../src/time/clock.js';

const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PRIVATE_KEY_PEM = rsaKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RSA_KEY_PEM = rsaKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const KEY_BODY_LINE = PRIVATE_KEY_PEM.split('\n')[1] as string;
const PASSWORD = 'hunter2-Zq9!keystorepass';
const KEYSTORE_BASE64 = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256)).toString(
  'base64',
);
const CERT_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUQ0FOT1RMRUFLUFVCTElDQ0VSVElGSUNBVEUwCgYIKoZI',
  '-----END CERTIFICATE-----',
].join('\n');

function capture(level = 'debug'): {
  logger: Logger;
  output: () => string;
  lines: () => Record<string, unknown>[];
} {
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({
    level,
    destination,
    clock: fixedClock(new Date('2026-03-01T12:00:00Z')),
    base: { component: 'operator' },
  });
  const output = () => chunks.join('');
  return {
    logger,
    output,
    lines: () =>
      output()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(KEY_BODY_LINE);
  expect(text).not.toContain(RSA_KEY_PEM.split('\n')[1]);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(KEYSTORE_BASE64.slice(0, 100));
  expect(text).not.toContain('PRIVATE KEY-----');
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, the injected time and base fields', () => {
    const { logger, lines } = capture();
    logger.info('bundle issued', { bundleVersion: 3 });
    expect(lines()).toEqual([
      {
        level: 'info',
        message: 'bundle issued',
        bundleVersion: 3,
        component: 'operator',
        timestamp: '2026-03-01T12:00:00.000Z',
      },
    ]);
  });

  it('drops lines below the configured level', () => {
    const { logger, lines } = capture('warn');
    logger.info('not shown');
    logger.debug('not shown');
    logger.warn('shown');
    expect(lines().map((line) => line['message'])).toEqual(['shown']);
  });

  it('rejects an unknown level, naming the setting and the allowed values', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(/log level "verbose".*error, warn, info, debug/);
  });

  it('reconcile child loggers stamp controller, namespace and name on every line', () => {
    const { logger, lines } = capture();
    const child = reconcileLogger(logger, { controller: 'bundle', namespace: 'db', name: 'app-scb' });
    child.info('reconciling');
    expect(lines()[0]).toMatchObject({
      controller: 'bundle',
      namespace: 'db',
      name: 'app-scb',
      component: 'operator',
    });
  });
});

describe('redaction in the logger', () => {
  it('removes private key PEM blocks from messages but keeps certificates', () => {
    const { logger, output, lines } = capture();
    logger.info(`loaded key ${PRIVATE_KEY_PEM} and ${RSA_KEY_PEM} with ca ${CERT_PEM}`);
    expectNoSecrets(output());
    expect(lines()[0]?.['message']).toContain('[REDACTED PRIVATE KEY]');
    expect(lines()[0]?.['message']).toContain('[REDACTED RSA PRIVATE KEY]');
    expect(lines()[0]?.['message']).toContain(CERT_PEM);
  });

  it('hides values of password, token, secret and key fields at any depth, in arrays too', () => {
    const { logger, output, lines } = capture();
    logger.info('config', {
      keystorePassword: PASSWORD,
      spec: { auth: { bearerToken: PASSWORD, clientSecret: PASSWORD }, secretName: 'app-scb-keystore' },
      files: [{ name: 'key', key: PRIVATE_KEY_PEM }, { privateKey: PASSWORD }],
      'tls.key': PASSWORD,
    });
    expectNoSecrets(output());
    expect(lines()[0]).toMatchObject({
      keystorePassword: '[REDACTED]',
      spec: {
        auth: { bearerToken: '[REDACTED]', clientSecret: '[REDACTED]' },
        secretName: 'app-scb-keystore',
      },
      files: [{ name: 'key', key: '[REDACTED]' }, { privateKey: '[REDACTED]' }],
      'tls.key': '[REDACTED]',
    });
  });

  it('hides Secret data and stringData values but keeps the entry names', () => {
    const { logger, output, lines } = capture();
    const secret = {
      metadata: { name: 'app-scb', namespace: 'db' },
      type: 'Opaque',
      data: { 'cert.pfx': KEYSTORE_BASE64, 'ca.crt': Buffer.from(CERT_PEM).toString('base64') },
      stringData: { 'config.json': `{"keyStorePassword":"${PASSWORD}"}` },
    };
    logger.debug('applying', { manifest: secret });
    expectNoSecrets(output());
    expect(lines()[0]).toMatchObject({
      manifest: {
        data: { 'cert.pfx': '[REDACTED]', 'ca.crt': '[REDACTED]' },
        stringData: { 'config.json': '[REDACTED]' },
      },
    });
    expect(secret.data['cert.pfx']).toBe(KEYSTORE_BASE64);
  });

  it('scrubs long base64 blobs embedded in free text', () => {
    const { logger, output } = capture();
    logger.warn(`unexpected payload ${KEYSTORE_BASE64} in response`);
    expectNoSecrets(output());
    expect(output()).toContain('unexpected payload [REDACTED');
  });

  it('scrubs Error messages and stacks, whether logged directly or as a field', () => {
    const { logger, output, lines } = capture();
    const error = new Error(`could not parse ${PRIVATE_KEY_PEM}`);
    logger.error(error);
    logger.error('write failed', { error: new Error(`password=${PASSWORD} rejected`), password: PASSWORD });
    expectNoSecrets(output());
    const [direct, nested] = lines();
    expect(direct?.['message']).toContain('could not parse [REDACTED PRIVATE KEY]');
    expect(direct?.['stack']).toContain('could not parse [REDACTED PRIVATE KEY]');
    expect(nested).toMatchObject({
      error: { message: 'password=[REDACTED] rejected' },
      password: '[REDACTED]',
    });
  });

  it('scrubs an ApiException whose body echoes what we sent', () => {
    const { logger, output, lines } = capture();
    const error = new ApiException(
      422,
      'Invalid',
      { kind: 'Status', message: 'bad', details: { token: PASSWORD } },
      {},
    );
    logger.error('apply failed', { error });
    expectNoSecrets(output());
    expect(lines()[0]).toMatchObject({ error: { code: 422, body: { details: { token: '[REDACTED]' } } } });
  });

  it('survives circular structures', () => {
    const { logger, lines } = capture();
    const node: Record<string, unknown> = { name: 'a' };
    node['self'] = node;
    logger.info('cycle', { node });
    expect(lines()[0]).toMatchObject({ node: { name: 'a', self: '[Circular]' } });
  });
});
