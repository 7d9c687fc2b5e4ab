import { InvalidInputError, NameConflictError } from '../../../../src/errors.js';
import {
  classifyIssuanceError,
  issuanceRetryAt,
  recordIssuanceFailure,
  type CountedFailure,
} from '../../../../src/controllers/bundle/failure-backoff.js';

const NOW = new Date('2025-06-01T10:00:00.400Z');
const transient: CountedFailure = { class: 'Transient', reason: 'HTTP503', message: 'service unavailable' };
const noJitter = (): number => 0;

describe('recordIssuanceFailure', () => {
  it.each<[string, number | undefined, CountedFailure, number, 'Stalled' | 'Reconciling', number]>([
    ['first transient failure: 5 s', undefined, transient, 1, 'Reconciling', 5_000],
    ['third transient failure: 20 s', 2, transient, 3, 'Reconciling', 20_000],
    ['seventh transient failure: capped at 5 min', 6, transient, 7, 'Reconciling', 300_000],
    [
      'invalid spec: Stalled, slow safety resync',
      0,
      { class: 'InvalidSpec', reason: 'InvalidDuration', message: 'spec.duration ...' },
      1,
      'Stalled',
      600_000,
    ],
    [
      'missing reference: Reconciling, retried with backoff (it may appear any moment)',
      4,
      { class: 'MissingReference', reason: 'ServerCANotFound', message: 'Secret cassandra/server-ca ...' },
      5,
      'Reconciling',
      80_000,
    ],
    [
      'a taken name: Stalled for readers, but retried with backoff (its holder may go any moment)',
      2,
      { class: 'NameConflict', reason: 'NameConflict', message: 'Secret a/x is held by ...' },
      3,
      'Stalled',
      20_000,
    ],
    [
      'access denied: Stalled',
      0,
      { class: 'AccessDenied', reason: 'NamespaceNotAllowed', message: 'add "shop" ...' },
      1,
      'Stalled',
      600_000,
    ],
  ])('%s', (_name, previous, failure, attempts, condition, retryMs) => {
    const outcome = recordIssuanceFailure(previous, failure, NOW, noJitter);
    expect(outcome.status).toEqual({
      failedIssuanceAttempts: attempts,
      lastFailureReason: failure.reason,
      lastFailureTime: '2025-06-01T10:00:00Z',
    });
    expect(outcome.condition).toEqual({ type: condition, reason: failure.reason, message: failure.message });
    expect(outcome.retryAfterMs).toBe(retryMs);
  });

  it('jitter only shortens the delay, by at most a fifth', () => {
    expect(recordIssuanceFailure(6, transient, NOW, () => 0.999).retryAfterMs).toBe(240_060);
    expect(recordIssuanceFailure(0, transient, NOW, () => 0.5).retryAfterMs).toBe(4_500);
  });
});

describe('issuanceRetryAt', () => {
  const failedAt = new Date('2025-06-01T10:00:00Z');
  it.each<[string, { failedIssuanceAttempts: number; stalled: boolean }, boolean, string]>([
    [
      'transient, 1 failure: 4 s later (the shortest jittered delay)',
      { failedIssuanceAttempts: 1, stalled: false },
      false,
      '2025-06-01T10:00:04.000Z',
    ],
    [
      'transient, 7 failures: 4 min later',
      { failedIssuanceAttempts: 7, stalled: false },
      true,
      '2025-06-01T10:04:00.000Z',
    ],
    [
      'stalled, inputs unchanged: after the safety resync',
      { failedIssuanceAttempts: 3, stalled: true },
      false,
      '2025-06-01T10:10:00.000Z',
    ],
    [
      'stalled, inputs changed: at once',
      { failedIssuanceAttempts: 3, stalled: true },
      true,
      '2025-06-01T10:00:00.000Z',
    ],
  ])('%s', (_name, recorded, inputsChanged, expected) => {
    expect(issuanceRetryAt({ ...recorded, lastFailureTime: failedAt }, inputsChanged).toISOString()).toBe(
      expected,
    );
  });
});

describe('classifyIssuanceError', () => {
  const apiError = (code: number, reason: string, message: string): unknown => ({
    code,
    body: JSON.stringify({ kind: 'Status', code, reason, message }),
  });

  it.each<[string, unknown, { class: string; reason: string; message?: string }]>([
    [
      'our invalid input',
      new InvalidInputError('InvalidDuration', 'spec.duration: "1d" is not a duration'),
      { class: 'InvalidSpec', reason: 'InvalidDuration', message: 'spec.duration: "1d" is not a duration' },
    ],
    [
      'our missing reference',
      new InvalidInputError('ServerCANotFound', 'Secret cassandra/server-ca does not exist'),
      { class: 'MissingReference', reason: 'ServerCANotFound' },
    ],
    [
      'a name held by another object',
      new NameConflictError(
        'Secret',
        'x',
        'CassandraClusterRef a/c',
        'Secret a/x is held by ...',
        'spec.target.secret.name',
      ),
      { class: 'NameConflict', reason: 'NameConflict', message: 'Secret a/x is held by ...' },
    ],
    [
      'a cluster ref that is not Ready yet',
      new InvalidInputError('ClusterRefNotReady', 'CassandraClusterRef db/orders is not Ready'),
      { class: 'MissingReference', reason: 'ClusterRefNotReady' },
    ],
    [
      'HTTP 404',
      apiError(404, 'NotFound', 'secrets "x" not found'),
      { class: 'MissingReference', reason: 'NotFound', message: 'secrets "x" not found' },
    ],
    [
      'HTTP 409',
      apiError(409, 'Conflict', 'the object has been modified'),
      { class: 'Conflict', reason: 'Conflict' },
    ],
    [
      'HTTP 422',
      apiError(422, 'Invalid', 'Secret "x" is invalid'),
      { class: 'InvalidSpec', reason: 'Invalid' },
    ],
    [
      'HTTP 503',
      apiError(503, 'ServiceUnavailable', 'try again'),
      { class: 'Transient', reason: 'ServiceUnavailable' },
    ],
    ['HTTP 500 without a reason', { code: 500 }, { class: 'Transient', reason: 'HTTP500' }],
    [
      'a reset socket',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      { class: 'Transient', reason: 'NetworkError', message: 'read ECONNRESET' },
    ],
    [
      'an unexpected error: its text stays in the log',
      new Error('-----BEGIN PRIVATE KEY----- oops'),
      {
        class: 'Transient',
        reason: 'InternalError',
        message: 'unexpected error while issuing; see the operator log',
      },
    ],
  ])('%s', (_name, error, expected) => {
    expect(classifyIssuanceError(error)).toMatchObject(expected);
  });
});
