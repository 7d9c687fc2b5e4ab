import { ApiException } from '@kubernetes/client-node';
import { classifyError, httpStatusOf } from '../../../src/kube/errors.js';
import { InvalidInputError } from '../../../src/errors.js';

function apiException(code: number, body: unknown): ApiException<unknown> {
  return new ApiException(code, 'Unknown API Status Code!', body, { authorization: 'Bearer abc' });
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
}

describe('classifyError', () => {
  it.each([
    [
      '409 Conflict',
      apiException(409, statusBody(409, 'Conflict', 'the object has been modified')),
      'Conflict',
    ],
    ['409 AlreadyExists', apiException(409, statusBody(409, 'AlreadyExists', 'exists')), 'Conflict'],
    ['404 NotFound', apiException(404, statusBody(404, 'NotFound', 'secrets "x" not found')), 'NotFound'],
    ['422 Invalid', apiException(422, statusBody(422, 'Invalid', 'spec.x: Invalid value')), 'Invalid'],
    ['400 BadRequest', apiException(400, undefined), 'Invalid'],
    ['429 TooManyRequests', apiException(429, undefined), 'Transient'],
    ['500 InternalError', apiException(500, 'oops'), 'Transient'],
    ['503 ServiceUnavailable', apiException(503, undefined), 'Transient'],
    ['403 Forbidden (RBAC can be fixed without a spec change)', apiException(403, undefined), 'Transient'],
    ['410 Gone from a watch', Object.assign(new Error('Gone'), { statusCode: 410 }), 'Transient'],
    ['connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'Transient'],
    [
      'undici fetch failure with a cause',
      new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }),
      'Transient',
    ],
    ['aborted request', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'Transient'],
    ['a bug in our code', new TypeError('cannot read properties of undefined'), 'Transient'],
    ['our own invalid input', new InvalidInputError('InvalidPlatform', 'spec.platforms: unknown'), 'Invalid'],
  ])('%s is %s', (_name, error, kind) => {
    expect(classifyError(error).kind).toBe(kind);
  });

  it('keeps the server Status reason and message but never the raw body or headers', () => {
    const classified = classifyError(
      apiException(
        409,
        statusBody(409, 'Conflict', 'Operation cannot be fulfilled: the object has been modified'),
      ),
    );
    expect(classified).toEqual({
      kind: 'Conflict',
      status: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled: the object has been modified',
    });
    expect(JSON.stringify(classified)).not.toContain('Bearer');
  });

  it('names the network failure as the reason', () => {
    expect(classifyError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).reason).toBe(
      'ECONNREFUSED',
    );
  });

  it('carries the reason of our own InvalidInputError', () => {
    expect(classifyError(new InvalidInputError('MissingCA', 'spec.caSecretRef: not found')).reason).toBe(
      'MissingCA',
    );
  });
});

describe('httpStatusOf', () => {
  it.each([
    ['ApiException.code', apiException(418, undefined), 418],
    ['Watch error statusCode', Object.assign(new Error('Gone'), { statusCode: 410 }), 410],
    ['legacy response.statusCode', Object.assign(new Error('x'), { response: { statusCode: 502 } }), 502],
    ['Status object in a parsed body', { body: { kind: 'Status', code: 404 } }, 404],
    ['string socket code is not a status', Object.assign(new Error('x'), { code: 'ECONNRESET' }), undefined],
    ['not an object', 'boom', undefined],
  ])('reads %s', (_name, error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });
});
