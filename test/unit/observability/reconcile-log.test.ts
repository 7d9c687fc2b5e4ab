import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/observability/logger.js';
import { logReconcileFailure } from '../../../src/observability/reconcile-log.js';

function capture() {
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ destination, level: 'debug' });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('logReconcileFailure', () => {
  it('names the failed object by namespace and name, with the error kind and the retry delay', () => {
    const { logger, lines } = capture();
    logReconcileFailure(logger, 'SecureConnectionBundle', {
      key: 'team-a/orders-scb',
      outcome: 'Conflict',
      durationMs: 12,
      error: { kind: 'Conflict', status: 409, message: 'the object has been modified' },
      retryInMs: 0,
    });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'reconcile failed',
        controller: 'SecureConnectionBundle',
        namespace: 'team-a',
        name: 'orders-scb',
        kind: 'Conflict',
        error: 'the object has been modified',
        retryInMs: 0,
      }),
    ]);
    expect(JSON.stringify(lines())).not.toContain('[REDACTED]');
  });

  it('writes nothing for a reconcile that did not fail', () => {
    const { logger, lines } = capture();
    logReconcileFailure(logger, 'SecureConnectionBundle', {
      key: 'team-a/orders-scb',
      outcome: 'Success',
      durationMs: 3,
    });
    expect(lines()).toEqual([]);
  });
});
