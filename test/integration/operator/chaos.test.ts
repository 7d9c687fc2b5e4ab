/**
 * The chaos run of bench/chaos.ts, short: a few bundles, four SIGKILLs of the leader, kube-apiserver
 * and etcd each down longer than the renew deadline (so the replicas lose the Lease and must win
 * it back in the same process), the object store and the webhook receiver down. Every invariant
 * must hold again after each fault.
 */
import { jest } from '@jest/globals';
import { formatTable, INVARIANTS, runChaos } from '../../support/chaos.js';

jest.setTimeout(900_000);

it('holds every invariant after each fault', async () => {
  const run = await runChaos({
    bundles: 20,
    kills: 4,
    load: false,
    outageSeconds: 15,
    every: 5,
    timeoutSeconds: 240,
    log: () => undefined,
  });
  const table = formatTable(run.results);
  expect(run.results.map((result) => result.fault)).toHaveLength(6);
  for (const result of run.results) {
    expect({ fault: result.fault, details: result.details, table }).toEqual({
      fault: result.fault,
      details: [],
      table,
    });
    for (const name of INVARIANTS) expect(result.violations[name]).toBe(0);
    expect(result.recoverySeconds).toBeDefined();
  }
});
