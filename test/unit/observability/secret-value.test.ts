import { PassThrough } from 'node:stream';
import { format, inspect } from 'node:util';
import { createLogger } from '../../../src/observability/logger.js';
import { REDACTED, SecretValue, secretValue } from '../../../src/observability/secret-value.js';

const PASSWORD = 'Zq9-keystore-pass-7f3e';

describe('SecretValue', () => {
  const secret = secretValue(PASSWORD);

  it.each([
    ['String()', () => String(secret)],
    ['a template literal', () => `password is ${secret}`],
    ['concatenation', () => 'password is ' + (secret as unknown as string)],
    ['JSON.stringify', () => JSON.stringify({ keyStorePassword: secret, nested: [secret] })],
    ['util.inspect', () => inspect({ secret }, { depth: 5, showHidden: true })],
    ['util.format %s %o %j', () => format('%s %o %j', secret, secret, secret)],
    ['an Error message', () => new Error(`login with ${secret} failed`).message],
  ])('prints as [REDACTED] through %s', (_how, render) => {
    const text = render();
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain(REDACTED.slice(1, -1));
  });

  it('leaves nothing to find by spreading or walking its fields', () => {
    expect({ ...secret }).toEqual({});
    expect(Object.values(secret)).toEqual([]);
  });

  it('hands the value over only through reveal(), and map() keeps derived values wrapped', () => {
    expect(secret.reveal()).toBe(PASSWORD);
    const bytes = secret.map((text) => Buffer.from(text, 'utf8'));
    expect(bytes).toBeInstanceOf(SecretValue);
    expect(bytes.reveal().toString('utf8')).toBe(PASSWORD);
    expect(inspect(bytes)).toBe(REDACTED);
  });

  it('never reaches a log line, as a field, nested, or inside a message', () => {
    const destination = new PassThrough();
    const chunks: string[] = [];
    destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger({ destination, level: 'debug' });
    // Field names chosen to slip past name-based redaction: only the type protects these.
    logger.info(`built bundle with ${secret}`, { value: secret, inputs: { first: secret, list: [secret] } });
    logger.warn('bytes', { material: secret.map((text) => Buffer.from(text)) });
    const output = chunks.join('');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    const [first] = output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({
      message: 'built bundle with [REDACTED]',
      value: REDACTED,
      inputs: { first: REDACTED, list: [REDACTED] },
    });
  });
});
