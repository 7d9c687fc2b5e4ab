import { statusTime } from '../status-time.js';
import { changedInputGroups, type InputGroup, type InputsHash } from './inputs-hash.js';

/** The annotation a user (or `scbctl rotate`) sets to a new value to ask for a new version. */
export const ROTATE_ANNOTATION = 'scb-operator.io/rotate';

export type IssuanceReason =
  | 'Initial'
  | 'ClientCARotated'
  | 'InputsChanged'
  | 'RenewalDue'
  | 'ManualRotation'
  | 'SecretMissingOrChanged';

/** What is known about the version published now (status plus what was recorded with it). */
export interface CurrentVersionFacts {
  version: number;
  /** Recorded when the version was issued; undefined when unreadable, which counts as changed. */
  inputsHash: InputsHash | undefined;
  /** Fingerprint of the client CA that signed this version's certificate. */
  issuerFingerprint: string;
  renewalTime: Date;
  /** status.versions[current].bundleSHA256: what the published Secret must hold. */
  bundleSHA256: string;
}

/** A Secret as the gather step found it; undefined where the Secret does not exist. */
export interface SecretContentFacts {
  /** SHA-256 of the bundle zip it holds; undefined when the zip is missing from it. */
  bundleSHA256: string | undefined;
}

export interface IssuanceInput {
  suspended: boolean;
  /** Highest version number ever used: status.versions and any version Secret found by label. */
  highestVersion: number;
  current: CurrentVersionFacts | undefined;
  desiredInputs: InputsHash;
  activeClientCAFingerprint: string;
  /** Value of the rotate annotation now, and the one the current version handled. */
  rotateToken: string | undefined;
  handledRotateToken: string | undefined;
  /** The Secret pods mount (spec.target.secret.name). */
  publishedSecret: SecretContentFacts | undefined;
  /** The current version's own Secret, the source for re-publishing it. */
  currentVersionSecret: SecretContentFacts | undefined;
}

export interface IssuanceTrigger {
  reason: IssuanceReason;
  /** For a condition or Event; names what changed, never a secret value. */
  message: string;
  /** InputsChanged: which groups moved. */
  changedGroups?: InputGroup[];
}

export type IssuanceDecision =
  | { action: 'None' }
  /** suspend: true stops all writes; `pending` says what would have happened, for status. */
  | { action: 'Suspended'; pending: IssuanceTrigger | undefined }
  /**
   * Mint `version`. Record `rotateToken` with it as handled, whatever the reason, so a token
   * already present at creation does not cause a second version right after the first.
   */
  | { action: 'Issue'; version: number; trigger: IssuanceTrigger; rotateToken: string | undefined }
  /** Copy the current version's own Secret back to the published Secret; no new version. */
  | { action: 'Republish'; version: number; trigger: IssuanceTrigger };

/** One rule of the chain: a trigger when it applies to the gathered state at `now`. */
type IssuancePolicy = (input: IssuanceInput, now: Date) => IssuanceTrigger | undefined;

const noCurrentVersion: IssuancePolicy = (input) =>
  input.current ? undefined : { reason: 'Initial', message: 'no version has been issued yet' };

// Checked before InputsChanged, which would also fire (the client CA is an input): a CA rotation
// deserves its own reason in Events and conditions.
const clientCARotated: IssuancePolicy = ({ current, activeClientCAFingerprint }) =>
  current && current.issuerFingerprint !== activeClientCAFingerprint
    ? {
        reason: 'ClientCARotated',
        message: `version ${current.version} was signed by client CA ${short(current.issuerFingerprint)}, which is no longer the active one (${short(activeClientCAFingerprint)})`,
      }
    : undefined;

const inputsChanged: IssuancePolicy = ({ current, desiredInputs }) => {
  if (!current) return undefined;
  const changedGroups = changedInputGroups(current.inputsHash, desiredInputs);
  if (changedGroups.length === 0) return undefined;
  const what = current.inputsHash ? changedGroups.join(', ') : 'not recorded with that version';
  return {
    reason: 'InputsChanged',
    message: `inputs changed since version ${current.version}: ${what}`,
    changedGroups,
  };
};

const renewalDue: IssuancePolicy = ({ current }, now) =>
  current && now.getTime() >= current.renewalTime.getTime()
    ? {
        reason: 'RenewalDue',
        message: `version ${current.version} reached its renewal time ${statusTime(current.renewalTime)}`,
      }
    : undefined;

// The token itself is not echoed: it is free text of any length from the user.
const manualRotation: IssuancePolicy = ({ rotateToken, handledRotateToken }) =>
  rotateToken !== undefined && rotateToken !== handledRotateToken
    ? { reason: 'ManualRotation', message: `annotation ${ROTATE_ANNOTATION} was set to a new value` }
    : undefined;

const secretMissingOrChanged: IssuancePolicy = ({ current, publishedSecret }) => {
  if (!current) return undefined;
  if (!publishedSecret) {
    return {
      reason: 'SecretMissingOrChanged',
      message: `the Secret of version ${current.version} is missing`,
    };
  }
  return publishedSecret.bundleSHA256 === current.bundleSHA256
    ? undefined
    : {
        reason: 'SecretMissingOrChanged',
        message: `the published Secret no longer holds version ${current.version} (its bundle was changed or removed)`,
      };
};

/** In order: the first policy that fires decides. Issuing reasons come before the repair. */
export const ISSUANCE_POLICIES: ReadonlyArray<{ name: IssuanceReason; policy: IssuancePolicy }> = [
  { name: 'Initial', policy: noCurrentVersion },
  { name: 'ClientCARotated', policy: clientCARotated },
  { name: 'InputsChanged', policy: inputsChanged },
  { name: 'RenewalDue', policy: renewalDue },
  { name: 'ManualRotation', policy: manualRotation },
  { name: 'SecretMissingOrChanged', policy: secretMissingOrChanged },
];

/**
 * Should version N+1 be issued, and why? A pure chain over the gathered state, as cert-manager's
 * trigger controller does. A missing or altered published Secret is repaired by re-publishing
 * the same version when its own Secret still holds the recorded bundle; only when that copy is
 * gone too is a new version issued (a version number never names two different bundles).
 */
export function decideIssuance(input: IssuanceInput, now: Date): IssuanceDecision {
  const trigger = firstTrigger(input, now);
  if (input.suspended) return { action: 'Suspended', pending: trigger };
  if (!trigger) return { action: 'None' };
  const { current, currentVersionSecret } = input;
  if (
    trigger.reason === 'SecretMissingOrChanged' &&
    current &&
    currentVersionSecret?.bundleSHA256 === current.bundleSHA256
  ) {
    return { action: 'Republish', version: current.version, trigger };
  }
  const version = Math.max(input.highestVersion, current?.version ?? 0) + 1;
  return { action: 'Issue', version, trigger, rotateToken: input.rotateToken };
}

function firstTrigger(input: IssuanceInput, now: Date): IssuanceTrigger | undefined {
  for (const { policy } of ISSUANCE_POLICIES) {
    const trigger = policy(input, now);
    if (trigger) return trigger;
  }
  return undefined;
}

/** Fingerprints in messages: enough to tell two CAs apart, short enough to read. */
function short(fingerprint: string): string {
  return `sha256:${fingerprint.slice(0, 12)}`;
}
