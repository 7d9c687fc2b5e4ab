import { storeFailure } from '../../../../src/distribution/object-store/store-failures.js';
import { OutboundRefusedError } from '../../../../src/distribution/outbound/index.js';

const call = { bucket: 'scb', endpoint: 'http://minio.example:9000', operation: 'PUT', key: 'v1/a.zip' };
const s3 = (name: string, status: number, requestId?: string) =>
  Object.assign(new Error('the store said something'), {
    name,
    $metadata: { httpStatusCode: status, ...(requestId ? { requestId } : {}) },
  });
const socket = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:9000`), { code });

describe('storeFailure: what status may say about a failed store call', () => {
  it.each([
    ['a refused connection', socket('ECONNREFUSED')],
    ['a reset', socket('ECONNRESET')],
    ['a timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
    ['a 500 from an S3 server', s3('InternalError', 500, 'REQ1')],
    ['a 403 from something that is not S3', s3('Unknown', 403)],
    ['a 401 from something that is not S3', s3('Unknown', 401)],
    ['a 301 from something that is not S3', s3('Unknown', 301)],
    ['a 404 page from a web server', s3('Unknown', 404)],
    ['a 400 from a web server', s3('Unknown', 400)],
  ])('%s: one coarse message, the cause only in detail', (_case, error) => {
    const behind = storeFailure(error, call);
    expect(behind).toMatchObject({
      reason: 'ObjectStoreUnavailable',
      field: 'spec.target.objectStore.endpoint',
    });
    expect(behind.message).toBe(
      'PUT s3://scb/v1/a.zip at http://minio.example:9000 failed: no usable answer from the object store; ' +
        'retrying with backoff (check spec.target.objectStore.endpoint and the operator log if this persists)',
    );
    expect(behind.detail).toBeDefined();
  });

  it.each([
    ['AccessDenied by name', s3('AccessDenied', 403), 'ObjectStoreAccessDenied'],
    ['a bare 403 carrying an S3 request id', s3('Unknown', 403, 'REQ1'), 'ObjectStoreAccessDenied'],
    ['NoSuchBucket', s3('NoSuchBucket', 404, 'REQ1'), 'ObjectStoreBucketNotFound'],
    ['PermanentRedirect', s3('PermanentRedirect', 301, 'REQ1'), 'ObjectStoreWrongRegion'],
  ])('%s from an S3 server keeps its own reason', (_case, error, reason) => {
    expect(storeFailure(error, call).reason).toBe(reason);
  });

  it('a refusal by the outbound policy names the field and the flag, not the address', () => {
    const error = new Error('AWS SDK error wrapper', {
      cause: new OutboundRefusedError({ host: 'minio.example', address: '10.0.0.5', range: 'private' }),
    });
    const behind = storeFailure(error, call);
    expect(behind).toMatchObject({
      reason: 'ObjectStoreEndpointRefused',
      field: 'spec.target.objectStore.endpoint',
      retry: 'backoff',
      detail: 'minio.example is 10.0.0.5 (private)',
    });
    expect(behind.message).toContain('--outbound-allow (chart value outbound.allow)');
    expect(behind.message).not.toMatch(/10\.0\.0\.5|\(private\)/);
  });
});
