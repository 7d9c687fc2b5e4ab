/**
 * The repository host is tenant-written: every registry connection goes through the outbound
 * guard. The resolver here is injected and the dialer records instead of connecting, so nothing
 * leaves the machine; a refused address must never be dialled.
 */
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../../src/observability/logger.js';
import { secretValue } from '../../../../src/observability/secret-value.js';
import { KeyEncryptionKey } from '../../../../src/distribution/object-store/client-side-encryption.js';
import { DEFAULT_OUTBOUND_POLICY, OutboundGuard } from '../../../../src/distribution/outbound/index.js';
import { OciPublisher } from '../../../../src/distribution/oci/oci-publisher.js';

function publisherFor(answers: string[]) {
  const dialled: unknown[] = [];
  const lines: string[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const guard = new OutboundGuard({
    policy: DEFAULT_OUTBOUND_POLICY,
    resolve: async () => answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    dial: (options) => {
      dialled.push(options);
      throw new Error('the test dialer never connects');
    },
  });
  const { httpsAgent } = guard.agents();
  const publisher = new OciPublisher(
    {
      registry: 'registry.tenant.example',
      repository: 'team/app',
      namespace: 'apps',
      name: 'app',
      credentials: secretValue({ username: 'robot', password: 'registry-password-123' }),
      encryptionKey: new KeyEncryptionKey(Buffer.alloc(32, 1)),
      keepTags: 5,
    },
    { logger: createLogger({ destination }), agent: httpsAgent },
  );
  return { publisher, dialled, lines, close: () => httpsAgent.destroy() };
}

const push = {
  version: 1,
  zip: Buffer.from('zip'),
  manifest: Buffer.from('{}'),
  signature: Buffer.from('sig'),
  created: new Date('2026-12-04T00:00:00Z'),
};

describe('OciPublisher behind the outbound guard', () => {
  it.each([
    [['169.254.169.254'], 'link-local'],
    [['10.0.0.7'], 'private'],
    [['127.0.0.1'], 'loopback'],
    [['fd00::1'], 'unique-local'],
  ])('a registry resolving to %j is refused (%s) before any connection', async (answers, range) => {
    const { publisher, dialled, lines, close } = publisherFor(answers);
    try {
      const result = await publisher.push(push);
      expect(result).toMatchObject({
        state: 'behind',
        reason: 'OciRegistryRefused',
        field: 'spec.target.ociRepository.repository',
      });
      if (result.state !== 'behind') throw new Error('pushed');
      expect(result.detail).toContain(range);
      // The tenant reads status: it says "refused by policy", not which address answered.
      expect(result.message).not.toContain(answers[0]);
      expect(dialled).toEqual([]);
      expect(lines.join('')).not.toContain('registry-password-123');
    } finally {
      close();
    }
  });
});
