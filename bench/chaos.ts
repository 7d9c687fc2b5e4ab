/**
 * Chaos run (issue 15): the operator under the faults a cluster deals it, with the invariants a
 * user relies on checked after each one (test/support/chaos.ts says which). Not part of the test
 * run; a short version is test/integration/operator/chaos.test.ts.
 *
 *   node --import tsx bench/chaos.ts [--bundles 500] [--kills 20] [--load] [--outage 20]
 *     [--every 5] [--timeout 600] [--json FILE]
 *
 * Prints the faults × invariants table with recovery seconds; exits 1 when an invariant never held.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { formatTable, runChaos, type ChaosOptions } from '../test/support/chaos.js';
import { exitOnSignals } from '../test/support/control-plane.js';

function parseArgs(args: string[]): ChaosOptions & { json?: string } {
  const value = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at === -1 ? fallback : Number(args[at + 1]);
  };
  const json = args.indexOf('--json');
  return {
    bundles: value('--bundles', 500),
    kills: value('--kills', 20),
    load: args.includes('--load'),
    outageSeconds: value('--outage', 20),
    every: value('--every', 5),
    timeoutSeconds: value('--timeout', 600),
    log: (message) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`),
    ...(json === -1 ? {} : { json: args[json + 1] }),
  };
}

exitOnSignals();
const options = parseArgs(process.argv.slice(2));
const started = Date.now();
const run = await runChaos(options);
console.log(
  `\nchaos run: ${options.bundles} bundles, ${options.kills} leader SIGKILLs, outages ${options.outageSeconds} s, ` +
    `background load ${options.load ? `on (${os.cpus().length} busy processes)` : 'off'}, ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
);
console.log(formatTable(run.results));
console.log(
  `\nwebhook deliveries: ${run.webhookDeliveries}, of which repeats of a webhook-id already received: ` +
    `${run.webhookRepeats} (at least once; receivers drop them by webhook-id)`,
);
for (const result of run.results.filter((r) => r.details.length > 0)) {
  console.log(`\n${result.fault}:\n  ${result.details.join('\n  ')}`);
}
if (options.json) writeFileSync(options.json, JSON.stringify(run, null, 2));
process.exit(run.results.every((r) => r.recoverySeconds !== undefined) ? 0 : 1);
