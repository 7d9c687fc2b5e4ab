import {
  isObjectKey,
  isSensitiveName,
  redactField,
  redactText,
  redactValue,
} from '../../../src/observability/redaction.js';
import { secretValue } from '../../../src/observability/secret-value.js';

describe('isSensitiveName', () => {
  it.each([
    ['password', true],
    ['keyStorePassword', true],
    ['trust_store_passwd', true],
    ['passphrase', true],
    ['clientSecret', true],
    ['bearerToken', true],
    ['privateKey', true],
    ['private_key_pem', true],
    ['key', true],
    ['tls.key', true],
    ['Authorization', true],
    ['identityKeystore', true],
    ['secretName', false],
    ['passwordSecretRef', false],
    ['namespace', false],
    ['name', false],
    ['controller', false],
    ['bundleVersion', false],
    ['notAfter', false],
  ])('%s -> %s', (name, sensitive) => {
    expect(isSensitiveName(name)).toBe(sensitive);
  });
});

describe('redactText', () => {
  it.each([
    ['keytool command line', 'keytool -importkeystore -srcstorepass s3cr3t -deststorepass other', 's3cr3t'],
    ['openssl pass argument', 'openssl pkcs12 -export -passout pass:s3cr3t -out x.p12', 's3cr3t'],
    ['JSON config echoed', 'bad config {"keyStorePassword":"s3cr3t","host":"db"}', 's3cr3t'],
    ['key=value', 'login failed: token=s3cr3t', 's3cr3t'],
    ['truncated private key', 'got -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIs3cr3t', 's3cr3t'],
  ])('removes the secret from a %s', (_name, text, secret) => {
    expect(redactText(text)).not.toContain(secret);
  });

  it.each([
    'reconciled db/app-scb in 12ms',
    '/apis/scb.k8ssandra.io/v1alpha1/namespaces/default/securebundles/app-scb-with-a-very-long-name-that-goes-on-and-on-and-on',
    'sha256:0f343b0931126a20f133d67c2b018a3b5a1e5a0e6a6b7d9f1c3e4b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d',
    'secretName: app-scb',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe('redactValue', () => {
  it('hides binary values entirely', () => {
    expect(redactValue({ der: Buffer.from([1, 2, 3]) })).toEqual({ der: '[REDACTED 3 bytes]' });
  });

  it('returns a copy and leaves the caller object untouched', () => {
    const input = { spec: { password: 'x' } };
    expect(redactValue(input)).toEqual({ spec: { password: '[REDACTED]' } });
    expect(input.spec.password).toBe('x');
  });

  it('logs the same object twice at different places without calling it circular', () => {
    const shared = { name: 'a' };
    expect(redactValue({ first: shared, second: shared })).toEqual({
      first: { name: 'a' },
      second: { name: 'a' },
    });
  });
});

describe('object keys stay visible', () => {
  it.each(['team-a/orders', 'bundle:team-a/orders-scb', 'cluster:db/orders', 'ns/name.with.dots'])(
    'a key field naming an object (%s) is kept, at the top level and nested',
    (key) => {
      expect(redactField('key', key)).toBe(key);
      expect(redactValue({ report: { key } })).toEqual({ report: { key } });
    },
  );

  it.each([
    [
      'a PEM private key',
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----',
    ],
    ['base64 key bytes with a slash', 'q8Vt2mB0pXy7/Lk3Rr9sWc1Zd4Ee6Ff8Gg0Hh2Ii4Jj='],
    ['a bare word', 'hunter2password'],
    ['an upper-case path', 'Team-A/Orders'],
    ['a key that is not an object key', 'AKIA/EXAMPLE'],
  ])('a key field holding %s is still hidden', (_what, value) => {
    expect(redactField('key', value)).toBe('[REDACTED]');
    expect(redactValue({ nested: { key: value } })).toEqual({ nested: { key: '[REDACTED]' } });
  });

  it('keeps the exception to fields named key: a password shaped like ns/name is hidden', () => {
    expect(redactField('password', 'team-a/orders')).toBe('[REDACTED]');
    expect(redactField('tls.key', 'team-a/orders')).toBe('[REDACTED]');
  });

  it.each([
    ['team-a/orders', true],
    ['bundle:team-a/orders', true],
    ['orders', false],
    ['-a/b', false],
    ['a/b/c', false],
    ['a//b', false],
    [42, false],
  ])('isObjectKey(%p) -> %p', (value, expected) => {
    expect(isObjectKey(value)).toBe(expected);
  });
});

describe('SecretValue as the first line of defence', () => {
  it('is hidden under any field name, including names the backstop would let through', () => {
    const secret = secretValue('correct-horse-battery');
    expect(redactValue({ value: secret, items: [secret] })).toEqual({
      value: '[REDACTED]',
      items: ['[REDACTED]'],
    });
    expect(redactField('note', secret)).toBe('[REDACTED]');
  });
});
