import { inputsHash } from '../../../../src/controllers/bundle/inputs-hash.js';
import {
  decideIssuance,
  ISSUANCE_POLICIES,
  type IssuanceDecision,
  type IssuanceInput,
} from '../../../../src/controllers/bundle/issuance-policy.js';

const CA_1 = '1a'.repeat(32);
const CA_2 = '2b'.repeat(32);
const ZIP_V3 = '3c'.repeat(32);
const inputs = inputsHash({
  spec: { duration: 7_776_000 },
  connection: { port: 9142 },
  serverCA: ['aa'],
  clientCA: CA_1,
});
// A 90-day certificate issued 2025-01-01: renewal at day 60.
const RENEWAL = new Date('2025-03-02T00:00:00Z');
const BEFORE_RENEWAL = new Date('2025-02-01T12:00:00Z');

const settled: IssuanceInput = {
  suspended: false,
  highestVersion: 3,
  current: {
    version: 3,
    inputsHash: inputs,
    issuerFingerprint: CA_1,
    renewalTime: RENEWAL,
    bundleSHA256: ZIP_V3,
  },
  desiredInputs: inputs,
  activeClientCAFingerprint: CA_1,
  rotateToken: 'token-1',
  handledRotateToken: 'token-1',
  publishedSecret: { bundleSHA256: ZIP_V3 },
  currentVersionSecret: { bundleSHA256: ZIP_V3 },
};
const current = settled.current as NonNullable<IssuanceInput['current']>;

function issue(
  version: number,
  reason: string,
  rotateToken: string | undefined = 'token-1',
): Partial<IssuanceDecision> {
  return { action: 'Issue', version, trigger: expect.objectContaining({ reason }) as never, rotateToken };
}

describe('decideIssuance', () => {
  it.each<[string, Partial<IssuanceInput>, Date, Partial<IssuanceDecision>]>([
    ['nothing to do before renewal', {}, BEFORE_RENEWAL, { action: 'None' }],
    [
      'a new bundle gets version 1',
      { current: undefined, highestVersion: 0, publishedSecret: undefined },
      BEFORE_RENEWAL,
      issue(1, 'Initial'),
    ],
    [
      'a rotate token present at creation is recorded with version 1',
      { current: undefined, highestVersion: 0, rotateToken: 'first', handledRotateToken: undefined },
      BEFORE_RENEWAL,
      issue(1, 'Initial', 'first'),
    ],
    [
      'a version Secret left by a crash keeps its number: the next one is above it',
      { current: undefined, highestVersion: 1 },
      BEFORE_RENEWAL,
      issue(2, 'Initial'),
    ],
    ['renewal due at exactly renewalTime', {}, RENEWAL, issue(4, 'RenewalDue')],
    [
      'server CA changed',
      {
        desiredInputs: inputsHash({
          spec: { duration: 7_776_000 },
          connection: { port: 9142 },
          serverCA: ['bb'],
          clientCA: CA_1,
        }),
      },
      BEFORE_RENEWAL,
      {
        action: 'Issue',
        version: 4,
        trigger: {
          reason: 'InputsChanged',
          message: 'inputs changed since version 3: serverCA',
          changedGroups: ['serverCA'],
        },
        rotateToken: 'token-1',
      },
    ],
    [
      'unrecorded inputs hash counts as changed',
      { current: { ...current, inputsHash: undefined } },
      BEFORE_RENEWAL,
      issue(4, 'InputsChanged'),
    ],
    [
      'client CA rotated: named as such, although the inputs changed too',
      {
        activeClientCAFingerprint: CA_2,
        desiredInputs: inputsHash({
          spec: { duration: 7_776_000 },
          connection: { port: 9142 },
          serverCA: ['aa'],
          clientCA: CA_2,
        }),
      },
      BEFORE_RENEWAL,
      issue(4, 'ClientCARotated'),
    ],
    [
      'manual rotation: a new token',
      { rotateToken: 'token-2' },
      BEFORE_RENEWAL,
      issue(4, 'ManualRotation', 'token-2'),
    ],
    [
      'the annotation removed is not a request',
      { rotateToken: undefined },
      BEFORE_RENEWAL,
      { action: 'None' },
    ],
    [
      'published Secret deleted, version Secret intact: re-publish version 3',
      { publishedSecret: undefined },
      BEFORE_RENEWAL,
      {
        action: 'Republish',
        version: 3,
        trigger: expect.objectContaining({ reason: 'SecretMissingOrChanged' }) as never,
      },
    ],
    [
      'published Secret edited: re-publish version 3',
      { publishedSecret: { bundleSHA256: 'ff'.repeat(32) } },
      BEFORE_RENEWAL,
      { action: 'Republish', version: 3 },
    ],
    [
      'published Secret lost its zip',
      { publishedSecret: { bundleSHA256: undefined } },
      BEFORE_RENEWAL,
      { action: 'Republish', version: 3 },
    ],
    [
      'both Secrets gone: a new version, never a different bundle under number 3',
      { publishedSecret: undefined, currentVersionSecret: undefined },
      BEFORE_RENEWAL,
      issue(4, 'SecretMissingOrChanged'),
    ],
    [
      'version Secret altered too: a new version',
      { publishedSecret: undefined, currentVersionSecret: { bundleSHA256: 'ff'.repeat(32) } },
      BEFORE_RENEWAL,
      issue(4, 'SecretMissingOrChanged'),
    ],
    [
      'renewal due and Secret missing: the new version repairs both',
      { publishedSecret: undefined },
      RENEWAL,
      issue(4, 'RenewalDue'),
    ],
    [
      'numbers never go back: status says 3, a version 5 Secret exists',
      { highestVersion: 5 },
      RENEWAL,
      issue(6, 'RenewalDue'),
    ],
    [
      'suspended: nothing happens, but status can say renewal is pending',
      { suspended: true },
      RENEWAL,
      { action: 'Suspended', pending: expect.objectContaining({ reason: 'RenewalDue' }) as never },
    ],
    [
      'suspended and nothing pending',
      { suspended: true },
      BEFORE_RENEWAL,
      { action: 'Suspended', pending: undefined },
    ],
    [
      'suspended with the Secret deleted: not even re-published',
      { suspended: true, publishedSecret: undefined },
      BEFORE_RENEWAL,
      {
        action: 'Suspended',
        pending: expect.objectContaining({ reason: 'SecretMissingOrChanged' }) as never,
      },
    ],
  ])('%s', (_name, change, now, expected) => {
    expect(decideIssuance({ ...settled, ...change }, now)).toEqual(expect.objectContaining(expected));
  });

  it('checks the policies in the documented order', () => {
    expect(ISSUANCE_POLICIES.map((p) => p.name)).toEqual([
      'Initial',
      'ClientCARotated',
      'InputsChanged',
      'RenewalDue',
      'ManualRotation',
      'SecretMissingOrChanged',
    ]);
  });

  it('messages name the version and the renewal time, never the rotate token', () => {
    const due = decideIssuance(settled, RENEWAL);
    expect(due).toMatchObject({
      trigger: { message: 'version 3 reached its renewal time 2025-03-02T00:00:00Z' },
    });
    const manual = decideIssuance({ ...settled, rotateToken: 'secret-looking-token' }, BEFORE_RENEWAL);
    expect(JSON.stringify(manual.action === 'Issue' && manual.trigger)).not.toContain('secret-looking-token');
  });
});
