import { agentCases } from './rule-tests/agent.js';
import { dnsCases } from './rule-tests/dns.js';
import { endpointCases } from './rule-tests/endpoints.js';
import { ingressCases } from './rule-tests/ingress.js';
import { pathCases } from './rule-tests/paths.js';
import { alertGroups, toPromRule, DEFAULT_RULE_PARAMS, type AlertDef } from './rules.js';

/** Series selector (`name{label="v"}`) to promtool expanding notation (`0+1x10`). */
export type SeriesValues = Record<string, string>;

/** An alert promtool must see firing: its exact labels (without alertname) and the rendered description. */
export interface ExpectedAlert {
  labels: Record<string, string>;
  description: string;
}

/** The four promtool checks of one alert. */
export interface AlertCase {
  alert: string;
  /** Series under which the alert fires at `fireAt`, and is not yet firing one evaluation earlier. */
  firing: SeriesValues;
  fireAt: string;
  expect: ExpectedAlert[];
  /** Series of a healthy cluster, checked at `fireAt`. */
  healthy: SeriesValues;
  edge: { name: string; series: SeriesValues; evalAt: string; expect: ExpectedAlert[] };
  /** Series that go bad and heal: the alert fires at `firingAt` and is inactive again at `clearAt`. */
  heal?: { series: SeriesValues; firingAt: string; clearAt: string };
  /** Sample interval of the input series (default: the evaluation interval); rates over 1m need 30s. */
  seriesInterval?: string;
}

/** The test cases of one promtool test file. */
export interface CaseFile {
  name: string;
  cases: AlertCase[];
}

/** Builds a series selector from a metric name and labels. */
export function series(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${body}}`;
}

/** Every case file of the pack. */
export function caseFiles(): CaseFile[] {
  return [
    { name: 'dns', cases: dnsCases() },
    { name: 'endpoints', cases: endpointCases() },
    { name: 'ingress', cases: ingressCases() },
    { name: 'paths', cases: pathCases() },
    { name: 'agent', cases: agentCases() },
  ];
}

const INTERVAL_MINUTES = 1;

function minutes(d: string): number {
  const m = /^(\d+)m$/.exec(d);
  if (!m?.[1]) throw new Error(`test times are whole minutes, got ${d}`);
  return Number(m[1]);
}

/** Fills the label values the way Alertmanager would, for `{{ $labels.x }}` only. */
function fillLabels(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '');
}

function findDef(defs: AlertDef[], alert: string, severity: string | undefined): AlertDef {
  const def = defs.find((d) => d.alert === alert && d.severity === severity);
  if (!def) throw new Error(`no rule ${alert} with severity ${String(severity)}`);
  return def;
}

function expAlerts(defs: AlertDef[], alert: string, expected: ExpectedAlert[]): unknown[] {
  return expected.map((e) => {
    const rule = toPromRule(findDef(defs, alert, e.labels.severity), DEFAULT_RULE_PARAMS);
    const annotations: Record<string, string> = { ...rule.annotations, description: e.description };
    if (annotations.dashboard_url)
      annotations.dashboard_url = fillLabels(annotations.dashboard_url, e.labels);
    return { exp_labels: e.labels, exp_annotations: annotations };
  });
}

/**
 * A counter's values, one per sample, from how much it grows at each sample: `step(k)` is the
 * increase from sample k-1 to k (sample 0 is 0).
 */
export function counterValues(step: (k: number) => number, samples = 40): string {
  const out = [0];
  for (let k = 1; k < samples; k++) out.push((out[k - 1] ?? 0) + step(k));
  return out.join(' ');
}

/** The promtool test groups of one alert: firing (and silent one evaluation before), healthy, edge case. */
export function caseGroups(c: AlertCase, defs: AlertDef[]): unknown[] {
  const before = `${minutes(c.fireAt) - INTERVAL_MINUTES}m`;
  const test = (eval_time: string, expected: ExpectedAlert[]): unknown => ({
    eval_time,
    alertname: c.alert,
    exp_alerts: expAlerts(defs, c.alert, expected),
  });
  const group = (name: string, input: SeriesValues, tests: unknown[]): unknown => {
    const input_series = Object.entries(input).map(([s, values]) => ({ series: s, values }));
    const interval = c.seriesInterval ?? `${INTERVAL_MINUTES}m`;
    return { name, interval, input_series, alert_rule_test: tests };
  };
  const heal = c.heal
    ? [
        group(
          `${c.alert}: fires at ${c.heal.firingAt}, cleared by ${c.heal.clearAt} after the fix`,
          c.heal.series,
          [test(c.heal.firingAt, c.expect), test(c.heal.clearAt, [])],
        ),
      ]
    : [];
  return [
    group(`${c.alert}: fires at ${c.fireAt}, not at ${before}`, c.firing, [
      test(before, []),
      test(c.fireAt, c.expect),
    ]),
    group(`${c.alert}: silent when healthy`, c.healthy, [test(c.fireAt, [])]),
    group(`${c.alert}: ${c.edge.name}`, c.edge.series, [test(c.edge.evalAt, c.edge.expect)]),
    ...heal,
  ];
}

/** A promtool test file for a case file, run from alerts/tests/ against the default-parameter rule file. */
export function promtoolTestFile(file: CaseFile): unknown {
  const defs = alertGroups(DEFAULT_RULE_PARAMS).flatMap((g) => g.alerts);
  return {
    rule_files: ['../netprobe-rules.yaml'],
    evaluation_interval: `${INTERVAL_MINUTES}m`,
    tests: file.cases.flatMap((c) => caseGroups(c, defs)),
  };
}
