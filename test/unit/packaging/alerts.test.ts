/**
 * The chart's alerts and dashboard queries, checked by the real promtool: the PrometheusRule as
 * helm renders it passes `promtool check rules`, every alert is unit-tested with `promtool test
 * rules` (alerts.promtool.yaml: fires when it should, stays silent when it should not), and every
 * dashboard query is valid PromQL over the operator's own metric names.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { parseManifests, promtool, renderChart } from '../../support/packaging.js';

jest.setTimeout(120_000);

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}

/** The metrics the operator's runtime contract names, plus prom-client's process metrics. */
const operatorMetrics = [
  'scb_bundle_expiry_timestamp_seconds',
  'scb_bundle_renewal_timestamp_seconds',
  'scb_bundle_ready',
  'scb_ca_expiry_timestamp_seconds',
  'scb_bundle_generation_duration_seconds_bucket',
  'scb_reconcile_total',
  'scb_reconcile_duration_seconds_bucket',
  'scb_workqueue_depth',
  'scb_watch_restarts_total',
  'scb_watch_last_event_age_seconds',
  'scb_bundle_downloads_total',
  'scb_bundle_version_in_use_workloads',
  'scb_bundle_expiring_version_in_use_workloads',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
];

/** Metric names in a PromQL expression: identifiers directly followed by `{` or standing alone as selectors. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:scb|process)_[a-z_]+)\b/g)].map((match) => match[1] ?? '');
}

/** The rule groups of the PrometheusRule helm renders with `prometheusRule` values. */
async function renderedRuleGroups(prometheusRule: Record<string, unknown>): Promise<RuleGroup[]> {
  const rendered = parseManifests(
    await renderChart({
      namespace: 'monitoring',
      values: { prometheusRule: { enabled: true, ...prometheusRule } },
    }),
  );
  const rule = rendered.find((object) => object.kind === 'PrometheusRule');
  if (!rule) throw new Error('prometheusRule.enabled=true rendered no PrometheusRule');
  return (rule['spec'] as { groups: RuleGroup[] }).groups;
}

let workDir: string;
let groups: RuleGroup[];
const rulesFile = () => path.join(workDir, 'rules.yaml');

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'scb-alerts-'));
  groups = await renderedRuleGroups({});
  writeFileSync(rulesFile(), yaml.dump({ groups }));
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const alertNames = () => groups.flatMap((group) => group.rules.map((rule) => rule.alert ?? ''));

it('renders rules that promtool check rules accepts', async () => {
  const output = await promtool(['check', 'rules', rulesFile()]);
  expect(output).toContain(`SUCCESS: ${alertNames().length} rules found`);
  expect(alertNames().sort()).toEqual([
    'ScbBundleExpiringSoon',
    'ScbBundleNotReady',
    'ScbClientCAExpiringSoon',
    'ScbDeprecatedVersionInUse',
    'ScbExpiringVersionInUse',
    'ScbReconcileFailing',
    'ScbWatchRestarting',
    'ScbWatchStalled',
  ]);
});

it('queries only metrics the operator exports', () => {
  for (const group of groups) {
    for (const rule of group.rules) {
      for (const name of metricNames(rule.expr)) expect(operatorMetrics).toContain(name);
    }
  }
});

it('passes promtool test rules, with a firing and a silent case for every alert', async () => {
  const tests = yaml.load(
    readFileSync(path.join(repositoryRoot, 'test/unit/packaging/alerts.promtool.yaml'), 'utf8'),
  ) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
  for (const alert of alertNames()) {
    const cases = tests.tests.flatMap((test) => test.alert_rule_test).filter((c) => c.alertname === alert);
    expect({ alert, fires: cases.some((c) => c.exp_alerts.length > 0) }).toEqual({ alert, fires: true });
    expect({ alert, silent: cases.some((c) => c.exp_alerts.length === 0) }).toEqual({ alert, silent: true });
  }
  const testFile = path.join(workDir, 'alerts-test.yaml');
  writeFileSync(testFile, yaml.dump({ rule_files: [rulesFile()], ...tests }));
  const output = await promtool(['test', 'rules', testFile]);
  expect(output).toContain('SUCCESS');
});

it('honours prometheusRule.bundleExpiryWarningHours: at 1 hour, the bundle 70 hours from expiry no longer alerts', async () => {
  const tests = yaml.load(
    readFileSync(path.join(repositoryRoot, 'test/unit/packaging/alerts.promtool.yaml'), 'utf8'),
  ) as Record<string, unknown>;
  // The same tests against rules whose bundle threshold is one hour instead of a week.
  const strictGroups = await renderedRuleGroups({ bundleExpiryWarningHours: 1 });
  const strictRules = path.join(workDir, 'strict-rules.yaml');
  writeFileSync(strictRules, yaml.dump({ groups: strictGroups }));
  const testFile = path.join(workDir, 'strict-test.yaml');
  writeFileSync(testFile, yaml.dump({ ...tests, rule_files: [strictRules] }));
  await expect(promtool(['test', 'rules', testFile])).rejects.toMatchObject({
    stderr: expect.stringMatching(
      /alertname: ScbBundleExpiringSoon, time: 2h[\s\S]*name=\\?"late\\?"[\s\S]*got:\[\]/,
    ),
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(path.join(repositoryRoot, 'charts/scb-operator/dashboards/scb-operator.json'), 'utf8'),
  ) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
  // Grafana substitutes its variables before querying; a multi-value "All" becomes a regex.
  const queries = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target, index) => ({
      record: `dashboard:${panel.title.toLowerCase().replace(/[^a-z0-9]+/g, '_')}:${index}`,
      expr: target.expr.replace(/\$(namespace|job)\b/g, '.*'),
    })),
  );

  it('has only valid PromQL (promtool parses each query as a recording rule)', async () => {
    expect(queries.length).toBeGreaterThan(10);
    const file = path.join(workDir, 'dashboard-queries.yaml');
    writeFileSync(file, yaml.dump({ groups: [{ name: 'dashboard', rules: queries }] }));
    const output = await promtool(['check', 'rules', file]);
    expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('queries only metrics the operator exports', () => {
    for (const query of queries) {
      expect(metricNames(query.expr).length).toBeGreaterThan(0);
      for (const name of metricNames(query.expr)) expect(operatorMetrics).toContain(name);
    }
  });
});
