/**
 * Why the object store did not take a write, in words a condition can carry. A store problem never
 * blocks the Secret: the caller records "behind" and retries; only `retry: 'afterChange'` (a
 * conflict a person must resolve) asks it to wait for a spec or bucket change instead of backing off.
 */
import { InvalidInputError } from '../../errors.js';
import { isOutboundRefusal, refusalDetail } from '../outbound/index.js';

const FIELD = 'spec.target.objectStore';

export interface StoreBehind {
  state: 'behind';
  /** CamelCase, for a condition reason, e.g. ObjectStoreUnavailable. */
  reason: string;
  /**
   * Names the bucket, the field to check and the fix; never a credential, and never what answered
   * at the endpoint (a refused connection, a reset, an HTTP status from something that is not S3):
   * status is read by tenants, and those differences would make it a port scanner.
   */
  message: string;
  /** The cause in full, for the operator log only. */
  detail?: string;
  field?: string;
  retry: 'backoff' | 'afterChange';
}

/** Where a failed call was going, for the message. */
export interface StoreCallContext {
  bucket: string;
  endpoint: string | undefined;
  operation: string;
  key: string;
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  // versitygw's answer to an access key it does not know (AWS says InvalidAccessKeyId).
  'XAdminUserNotFound',
]);
const WRONG_REGION = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);

/**
 * Built from the error's name, code and HTTP status only: an S3 error's own message or body can
 * quote the access key id and the string that was signed. Only S3 error codes get their own
 * reason; everything else is "unavailable", with the cause in `detail` for the log.
 */
export function storeFailure(error: unknown, call: StoreCallContext): StoreBehind {
  if (error instanceof InvalidInputError) {
    return {
      state: 'behind',
      reason: error.reason,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      retry: 'afterChange',
    };
  }
  const where = `${call.operation} s3://${call.bucket}/${call.key} at ${call.endpoint ?? 'the AWS endpoint'}`;
  if (isOutboundRefusal(error)) {
    const refused = refusalDetail(error);
    return {
      ...behind(
        'ObjectStoreEndpointRefused',
        `${FIELD}.endpoint was refused by the operator's outbound policy: it leads to a loopback, private, ` +
          'link-local or cluster-internal address. A platform admin can allow-list an in-cluster store ' +
          'with --outbound-allow (chart value outbound.allow)',
        `${FIELD}.endpoint`,
      ),
      detail: refused ? `${refused.host} is ${refused.address} (${refused.range})` : 'refused',
    };
  }
  const { name, status, networkCode, speaksS3 } = describe(error);
  const cause = networkCode ?? name ?? (status === undefined ? 'no response' : `HTTP ${status}`);
  if (name === 'NoSuchBucket') {
    return behind(
      'ObjectStoreBucketNotFound',
      `${where} failed: the bucket does not exist; create it or fix ${FIELD}.bucket`,
      `${FIELD}.bucket`,
    );
  }
  // A bare status counts only from a server that speaks S3: from anything else it would only tell
  // the tenant that something answers HTTP at that address.
  if ((name && ACCESS_DENIED.has(name)) || (speaksS3 && (status === 401 || status === 403))) {
    return behind(
      'ObjectStoreAccessDenied',
      `${where} was refused (${name && ACCESS_DENIED.has(name) ? name : `HTTP ${status}`}): check the access key in the Secret named by ` +
        `${FIELD}.credentialsSecretRef and that it may read and write this bucket and prefix`,
      `${FIELD}.credentialsSecretRef`,
    );
  }
  if ((name && WRONG_REGION.has(name)) || (speaksS3 && status === 301)) {
    return behind(
      'ObjectStoreWrongRegion',
      `${where} failed (${name && WRONG_REGION.has(name) ? name : `HTTP ${status}`}): the bucket is in another region; set ${FIELD}.region to it`,
      `${FIELD}.region`,
    );
  }
  return {
    ...behind(
      'ObjectStoreUnavailable',
      `${where} failed: no usable answer from the object store; retrying with backoff (check ` +
        `${FIELD}.endpoint and the operator log if this persists)`,
      `${FIELD}.endpoint`,
    ),
    detail: status === undefined || cause === `HTTP ${status}` ? cause : `${cause}, HTTP ${status}`,
  };
}

function behind(reason: string, message: string, field: string): StoreBehind {
  return { state: 'behind', reason, message, field, retry: 'backoff' };
}

const NETWORK_CODES = /^(E[A-Z]+|UND_ERR_\w+)$/;
const WRAPPED_NETWORK_CODE = /^AWS SDK error wrapper for .*?\b(E[A-Z]{4,}|UND_ERR_\w+)\b/;
const NETWORK_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout']);

interface Described {
  name?: string;
  status?: number;
  networkCode?: string;
  /** The answer carried an S3 request id (x-amz-request-id): an S3 server, not just any HTTP one. */
  speaksS3?: boolean;
}

function describe(error: unknown): Described {
  if (typeof error !== 'object' || error === null) return {};
  const record = error as Record<string, unknown>;
  const metadata = record['$metadata'] as { httpStatusCode?: unknown; requestId?: unknown } | undefined;
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const speaksS3 = typeof metadata?.requestId === 'string' && metadata.requestId !== '';
  const name = typeof record['name'] === 'string' && record['name'] !== 'Error' ? record['name'] : undefined;
  // Socket errors (ECONNREFUSED, ...) may sit in the `cause` chain of a wrapper error.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as Record<string, unknown>;
    const code = candidate['code'];
    if (typeof code === 'string' && NETWORK_CODES.test(code))
      return { ...pick(name, status, speaksS3), networkCode: code };
    if (typeof candidate['name'] === 'string' && NETWORK_NAMES.has(candidate['name'])) {
      return { ...pick(name, status, speaksS3), networkCode: candidate['name'] };
    }
    current = candidate['cause'];
  }
  // The SDK replaces a thrown value that is not an Error of its own realm (as in Jest's VM
  // sandbox) by a wrapper that keeps only the text, e.g. "... Error: connect ECONNREFUSED ...".
  const wrapped = typeof record['message'] === 'string' ? WRAPPED_NETWORK_CODE.exec(record['message']) : null;
  if (wrapped?.[1]) return { ...pick(name, status, speaksS3), networkCode: wrapped[1] };
  return pick(name, status, speaksS3);
}

function pick(name: string | undefined, status: number | undefined, speaksS3: boolean): Described {
  return { ...(name ? { name } : {}), ...(status !== undefined ? { status } : {}), speaksS3 };
}
