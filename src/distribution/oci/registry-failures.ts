/**
 * Why the registry did not take a push, in words a condition and an Event can carry. Like the
 * object store's: the message names the repository, the field and the fix, never a credential,
 * and never what answered at an address that does not speak the registry API (status is read by
 * tenants; telling "refused" from "reset" from "HTTP 404" would make the operator a port scanner).
 */
import { InvalidInputError } from '../../errors.js';
import { isOutboundRefusal, refusalDetail } from '../outbound/index.js';
import { RegistryCallError } from './registry-client.js';

const FIELD = 'spec.target.ociRepository';

export interface RegistryBehind {
  state: 'behind';
  reason: string;
  message: string;
  /** The cause in full, for the operator log only. */
  detail?: string;
  field?: string;
  /** afterChange: a conflict a person must resolve; backoff: try again later. */
  retry: 'backoff' | 'afterChange';
}

export function registryFailure(error: unknown, where: string): RegistryBehind {
  if (error instanceof InvalidInputError) {
    return {
      state: 'behind',
      reason: error.reason,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      retry: 'afterChange',
    };
  }
  const cause = error instanceof RegistryCallError ? error.cause : error;
  if (isOutboundRefusal(cause) || isOutboundRefusal(error)) {
    const refused = refusalDetail(isOutboundRefusal(cause) ? cause : error);
    return {
      state: 'behind',
      reason: 'OciRegistryRefused',
      message:
        `${FIELD}.repository was refused by the operator's outbound policy: ${where} leads to a loopback, ` +
        'private, link-local or cluster-internal address. A platform admin can allow-list an in-cluster ' +
        'registry with --outbound-allow (chart value outbound.allow)',
      field: `${FIELD}.repository`,
      detail: refused ? `${refused.host} is ${refused.address} (${refused.range})` : 'refused',
      retry: 'backoff',
    };
  }
  if (error instanceof RegistryCallError && error.speaksRegistry) {
    if (
      error.status === 401 ||
      error.status === 403 ||
      error.code === 'UNAUTHORIZED' ||
      error.code === 'DENIED'
    ) {
      return {
        state: 'behind',
        reason: 'OciAccessDenied',
        message:
          `${where} refused ${error.operation} (${error.code ?? `HTTP ${error.status}`}): check the username ` +
          `and password in the Secret named by ${FIELD}.credentialsSecretRef and that they may push to ` +
          'and delete in this repository',
        field: `${FIELD}.credentialsSecretRef`,
        retry: 'backoff',
      };
    }
  }
  return {
    state: 'behind',
    reason: 'OciRegistryUnavailable',
    message:
      `${where}: no usable answer from the registry; retrying with backoff (check ${FIELD}.repository ` +
      'and the operator log if this persists)',
    field: `${FIELD}.repository`,
    detail: describe(error),
    retry: 'backoff',
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return `${error.message}${typeof code === 'string' ? ` (${code})` : cause instanceof Error ? ` (${cause.message})` : ''}`;
}
