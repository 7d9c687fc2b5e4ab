import type { V1Secret } from '@kubernetes/client-node';
import { InvalidInputError } from '../../../../src/errors.js';
import { resolveOciSettings } from '../../../../src/distribution/oci/oci-settings.js';

const secret = (data: Record<string, string>): V1Secret => ({
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const target = {
  repository: 'registry.example.com/team/orders-scb',
  credentialsSecretRef: { name: 'orders-registry' },
  encryptionKeySecretRef: { name: 'orders-kek', key: 'kek' },
};
const kek = Buffer.alloc(32, 7).toString('base64');

describe('resolveOciSettings', () => {
  it('reads the repository, credentials, key and default policy', () => {
    const settings = resolveOciSettings({
      namespace: 'apps',
      name: 'orders',
      target,
      credentialsSecret: secret({ username: 'robot', password: 's3cret-token\n' }),
      encryptionKeySecret: secret({ kek }),
    });
    expect(settings).toMatchObject({
      registry: 'registry.example.com',
      repository: 'team/orders-scb',
      keepTags: 5,
    });
    expect(settings.credentials.reveal()).toEqual({ username: 'robot', password: 's3cret-token' });
    expect(JSON.stringify(settings)).not.toContain('s3cret-token');
    expect(settings.encryptionKey.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('names the missing Secret, key or field, never a value', () => {
    const run = (credentials: V1Secret | undefined, key: V1Secret | undefined) => () =>
      resolveOciSettings({
        namespace: 'apps',
        name: 'orders',
        target,
        credentialsSecret: credentials,
        encryptionKeySecret: key,
      });
    expect(run(undefined, secret({ kek }))).toThrow(
      /Secret apps\/orders-registry named by spec\.target\.ociRepository\.credentialsSecretRef\.name does not exist/,
    );
    expect(run(secret({ username: 'robot' }), secret({ kek }))).toThrow(/has no password/);
    expect(run(secret({ username: 'a:b', password: 'hidden-pw' }), secret({ kek }))).toThrow(
      /must not contain ':'/,
    );
    expect(run(secret({ username: 'a:b', password: 'hidden-pw' }), secret({ kek }))).not.toThrow(/hidden-pw/);
    expect(run(secret({ username: 'u', password: 'p' }), undefined)).toThrow(/orders-kek/);
    expect(run(secret({ username: 'u', password: 'p' }), secret({ kek: 'short' }))).toThrow(
      InvalidInputError,
    );
  });

  it('refuses a repository that is not host and path', () => {
    expect(() =>
      resolveOciSettings({
        namespace: 'apps',
        name: 'orders',
        target: { ...target, repository: 'team/orders' },
        credentialsSecret: secret({ username: 'u', password: 'p' }),
        encryptionKeySecret: secret({ kek }),
      }),
    ).toThrow(/spec\.target\.ociRepository\.repository must start with the registry host/);
  });
});
