/**
 * The leak scan: after every other integration test (jest.config.js's testSequencer puts this file
 * last; the suite runs --runInBand), no secret value that exists in the control plane appears in
 * any operator log line or stderr, Event, custom resource status or /metrics series the run
 * produced. Secrets are those the snapshots saw (each stopOperator takes one) plus what is left
 * now. Run on its own it fails: it refuses to pass on an empty run.
 */
import { jest } from '@jest/globals';
import type { V1Secret } from '@kubernetes/client-node';
import { kubeConfig } from '../support/kube.js';
import { findLeaks, secretNeedles, type BundleLike } from '../support/leak-scan.js';
import {
  LEAK_SCAN_DIR_ENV,
  leakScanDir,
  recordClusterSnapshot,
  recorded,
} from '../support/leak-scan-output.js';

jest.setTimeout(180_000);

/**
 * Below these the run did not exercise the operator enough for a clean scan to mean anything; any
 * three of test/integration/operator/*.test.ts clear them (each operator logs ~12 lines at least).
 */
const MINIMUM = {
  operatorProcesses: 3,
  logLines: 50,
  events: 3,
  statuses: 3,
  metricTexts: 3,
  secrets: 5,
  needles: 20,
};

it('finds no secret of the control plane in any log line, Event, status or metric the run produced', async () => {
  const dir = leakScanDir();
  if (!dir)
    throw new Error(`${LEAK_SCAN_DIR_ENV} is not set: run this through the jest "integration" project`);
  await recordClusterSnapshot(kubeConfig());

  const logs = recorded(dir, 'logs');
  const metrics = recorded(dir, 'metrics');
  const events = recorded(dir, 'events');
  const statuses = recorded(dir, 'statuses');
  const secrets = recorded(dir, 'secrets').map((file) => JSON.parse(file.text) as V1Secret);
  const bundles = recorded(dir, 'bundles').map((file) => JSON.parse(file.text) as BundleLike);
  const { needles, tooShort } = secretNeedles(secrets, bundles);
  const figures = {
    operatorProcesses: logs.filter((file) => file.name.endsWith('.log')).length,
    logLines: logs.reduce((sum, file) => sum + file.text.split('\n').filter((line) => line !== '').length, 0),
    events: events.length,
    statuses: statuses.length,
    metricTexts: metrics.length,
    metricSeries: metrics.reduce((sum, file) => sum + file.text.split('\n').length - 2, 0),
    secrets: new Set(secrets.map((secret) => secret.metadata?.uid)).size,
    secretVersions: secrets.length,
    needles: needles.length,
    valuesTooShortToScan: tooShort,
  };
  console.log(`leak scan of ${dir}: ${JSON.stringify(figures)}`);

  const leaks = findLeaks(
    [...logs, ...metrics, ...events, ...statuses].map((file) => ({ source: file.name, text: file.text })),
    needles,
  );
  expect(leaks).toEqual([]);
  const shortfalls = Object.entries(MINIMUM)
    .filter(([figure, minimum]) => figures[figure as keyof typeof MINIMUM] < minimum)
    .map(([figure, minimum]) => `${figure}: ${figures[figure as keyof typeof MINIMUM]} < ${minimum}`);
  expect(shortfalls).toEqual([]);
});
