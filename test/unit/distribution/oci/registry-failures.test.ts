import { InvalidInputError } from '../../../../src/errors.js';
import { OutboundRefusedError } from '../../../../src/distribution/outbound/index.js';
import { RegistryCallError } from '../../../../src/distribution/oci/registry-client.js';
import { registryFailure } from '../../../../src/distribution/oci/registry-failures.js';

describe('registryFailure', () => {
  it('a 401 from a registry is access denied, naming the credentials field', () => {
    const failure = registryFailure(
      new RegistryCallError('PUT blob', 401, 'UNAUTHORIZED', true),
      'r.example/app',
    );
    expect(failure).toMatchObject({
      reason: 'OciAccessDenied',
      field: 'spec.target.ociRepository.credentialsSecretRef',
      retry: 'backoff',
    });
    expect(failure.message).toContain('credentialsSecretRef');
  });

  it('a 401 from something that does not speak the registry API says only "unavailable"', () => {
    const failure = registryFailure(
      new RegistryCallError('HEAD blob', 401, undefined, false),
      'r.example/app',
    );
    expect(failure.reason).toBe('OciRegistryUnavailable');
    expect(failure.message).not.toContain('401');
  });

  it('an outbound refusal names the policy, with the address for the log only', () => {
    const refused = new OutboundRefusedError({ host: 'r.example', address: '10.0.0.7', range: 'private' });
    const failure = registryFailure(
      new RegistryCallError('HEAD', undefined, undefined, false, { cause: refused }),
      'r.example/app',
    );
    expect(failure.reason).toBe('OciRegistryRefused');
    expect(failure.message).not.toContain('10.0.0.7');
    expect(failure.detail).toContain('10.0.0.7');
  });

  it('a conflict waits for a change', () => {
    const failure = registryFailure(
      new InvalidInputError('OciTagConflict', 'tag held', 'spec.target.ociRepository.repository'),
      'x',
    );
    expect(failure).toMatchObject({ reason: 'OciTagConflict', retry: 'afterChange' });
  });

  it('a network error is unavailable, the cause kept for the log', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const failure = registryFailure(
      new RegistryCallError('HEAD', undefined, undefined, false, { cause }),
      'r.example/app',
    );
    expect(failure.reason).toBe('OciRegistryUnavailable');
    expect(failure.message).not.toContain('ECONNREFUSED');
    expect(failure.detail).toContain('ECONNREFUSED');
  });
});
