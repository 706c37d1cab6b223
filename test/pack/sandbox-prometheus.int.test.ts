import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { metricNames } from '../../src/pack/promql.js';
import { SANDBOX_FAULT_ALERTS, type ExpectedAlert } from '../../sandbox/pack-faults.js';
import type { Sandbox } from '../../sandbox/cluster.js';
import { PLANTED_FAULTS } from '../../sandbox/seed.js';
import {
  sandboxScrapeJobs,
  startPrometheus,
  type PrometheusHandle,
  type Sample,
} from '../helpers/prometheus.js';
import { startTestSandbox } from '../helpers/sandbox.js';

// The shipped rule file and dashboards against Prometheus scraping both roles of the sandbox, as the
// generated PodMonitors would: job names netprobe-node / netprobe-cluster, honor_labels, the pod's
// namespace as netprobe_namespace, `node` and `pod` target labels, and a `cluster` label.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RULE_FILE = join(root, 'alerts/netprobe-rules.yaml');
/** Scrapes every target must have had before an expression is judged: rates need two samples, 6 leave margin. */
const MIN_SCRAPES = 6;
/** What Grafana makes of $__rate_interval with its default 15 s scrape interval: 4 x 15 s. */
const RATE_INTERVAL = '1m';
/** Labels that name the object of an alert; the rest (job, instance, cluster, ...) name where it came from. */
const OBJECT_LABELS = [
  'namespace',
  'service',
  'port',
  'ingress',
  'host',
  'path',
  'problem',
  'node',
  'kind',
  'expected',
  'check',
  'via',
  'server',
  'prober',
  'resource',
];

interface Rule {
  alert: string;
  expr: string;
  severity: string;
}

function loadRules(): Rule[] {
  const doc = parse(readFileSync(RULE_FILE, 'utf8')) as {
    groups: { rules: { alert: string; expr: string; labels: { severity: string } }[] }[];
  };
  return doc.groups.flatMap((g) =>
    g.rules.map((r) => ({ alert: r.alert, expr: r.expr, severity: r.labels.severity })),
  );
}

const ruleKey = (alert: string, severity: string): string => `${alert}/${severity}`;

function pick(metric: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => metric[k] !== undefined).map((k) => [k, metric[k] ?? '']));
}

/** Label sets in a stable order, so that two lists compare whatever order Prometheus returned. */
function sorted(sets: Record<string, string>[]): Record<string, string>[] {
  const norm = sets.map((s) => Object.fromEntries(Object.entries(s).sort(([a], [b]) => a.localeCompare(b))));
  return norm.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Waits until every target of both jobs is up and has been scraped MIN_SCRAPES times. */
async function waitForScrapes(prom: PrometheusHandle): Promise<void> {
  await prom.waitFor(
    'count_over_time(up{job=~"netprobe-node|netprobe-cluster"}[1m]) and up == 1',
    (s) => s.length === 3 && s.every((x) => x.value >= MIN_SCRAPES),
    30_000,
  );
}

async function evaluateRules(prom: PrometheusHandle, rules: Rule[]): Promise<Map<string, Sample[]>> {
  const results = new Map<string, Sample[]>();
  for (const r of rules) {
    const samples = await prom.query(r.expr);
    results.set(ruleKey(r.alert, r.severity), [
      ...(results.get(ruleKey(r.alert, r.severity)) ?? []),
      ...samples,
    ]);
  }
  return results;
}

function expectedByRule(rules: Rule[]): Map<string, ExpectedAlert[]> {
  const map = new Map<string, ExpectedAlert[]>(rules.map((r) => [ruleKey(r.alert, r.severity), []]));
  for (const a of SANDBOX_FAULT_ALERTS.flatMap((f) => f.alerts)) {
    const list = map.get(ruleKey(a.alert, a.severity));
    if (!list)
      throw new Error(`${ruleKey(a.alert, a.severity)} is expected but is not a rule of ${RULE_FILE}`);
    list.push(a);
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Dashboards: template variables substituted the way Grafana's Prometheus data source does.

interface Variable {
  name: string;
  type: string;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

interface Target {
  board: string;
  title: string;
  expr: string;
}

interface Board {
  uid: string;
  vars: Variable[];
  targets: Target[];
}

interface PanelJson {
  title?: string;
  targets?: { expr?: string }[];
  panels?: PanelJson[];
}

function flattenPanels(panels: PanelJson[]): PanelJson[] {
  return panels.flatMap((p) => [p, ...flattenPanels(p.panels ?? [])]);
}

function loadBoards(): Board[] {
  const dir = join(root, 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const d = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        uid: string;
        templating?: { list?: Variable[] };
        panels?: PanelJson[];
      };
      const targets = flattenPanels(d.panels ?? []).flatMap((p) =>
        (p.targets ?? []).flatMap((t) =>
          t.expr ? [{ board: d.uid, title: p.title ?? '(untitled)', expr: t.expr }] : [],
        ),
      );
      return { uid: d.uid, vars: d.templating?.list ?? [], targets };
    });
}

/** Grafana's prometheusSpecialRegexEscape: values of multi/All variables go into =~ matchers. */
const regexEscape = (v: string): string => v.replace(/[\\^$*+?.()|{}[\]]/g, '\\\\$&');

/** Replaces $var, ${var} and $__rate_interval; an unknown variable is an error (a typo in a panel). */
function interpolate(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    if (name === '__rate_interval') return RATE_INTERVAL;
    const v = values[name];
    if (v === undefined) throw new Error(`unknown variable ${whole} in ${expr}`);
    return v;
  });
}

type Scenario = 'all' | 'picked';

/**
 * Values of a board's variables. "all": Grafana's All option (allValue). "picked": every value the
 * variable's label_values() query lists, selected one by one (Grafana renders `(a|b)`), which also
 * proves that the variable's query finds values on the sandbox.
 */
async function variableValues(
  prom: PrometheusHandle,
  board: Board,
  scenario: Scenario,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const v of board.vars) {
    if (v.type !== 'query') continue;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.query ?? '');
    if (!m?.[1] || !m[2])
      throw new Error(`${board.uid}: variable ${v.name} has an unsupported query ${v.query ?? ''}`);
    const selector = interpolate(m[1], values);
    const listed = (await prom.api(
      `/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(selector)}`,
    )) as string[];
    if (listed.length === 0) throw new Error(`${board.uid}: variable ${v.name} lists no value (${selector})`);
    if (scenario === 'all') {
      values[v.name] = v.allValue ?? `(${listed.map(regexEscape).join('|')})`;
    } else {
      const chosen = v.multi ? listed : listed.slice(0, 1);
      values[v.name] =
        chosen.length === 1 ? regexEscape(chosen[0] ?? '') : `(${chosen.map(regexEscape).join('|')})`;
    }
  }
  return values;
}

/**
 * Panels that list problems of a kind the sandbox does not plant, so their query is empty there.
 * For these the test checks the query is empty (keeping this list honest) and that the series it
 * filters exist (the query without its final comparison returns data).
 */
const EMPTY_ON_SANDBOX: { board: string; title: string; contains: string; why: string; noSeries?: true }[] = [
  { board: 'netprobe-agents', title: 'Targets down', contains: 'up{', why: 'every agent is up' },
  { board: 'netprobe-agents', title: 'Watches down', contains: 'watch_up', why: 'every watch is up' },
  {
    board: 'netprobe-ingress',
    title: 'Certificate problems',
    contains: 'cert_verified',
    why: 'no planted fault: the wrong-hostname certificate still chains to the trusted CA',
  },
  {
    board: 'netprobe-services',
    title: 'Dual-stack families that disagree',
    contains: 'endpoints_by_family',
    why: 'the sandbox is single-stack; the series exist only while families disagree',
    noSeries: true,
  },
];

const emptyOnSandbox = (t: Target): (typeof EMPTY_ON_SANDBOX)[number] | undefined =>
  EMPTY_ON_SANDBOX.find((e) => e.board === t.board && e.title === t.title && t.expr.includes(e.contains));

/** The filtered series of a problem-list query: its final `== 0` / `> 0` comparison removed. */
const withoutFilter = (expr: string): string => expr.replace(/\s*(==|!=|>=|<=|>|<)\s*[\d.]+\s*$/, '');

// ---------------------------------------------------------------------------------------------

describe('alert rules and dashboards against real Prometheus on the faulty sandbox', () => {
  const rules = loadRules();
  let sandbox: Sandbox | undefined;
  let prom: PrometheusHandle | undefined;
  let results = new Map<string, Sample[]>();
  let active: Sample[] = [];

  const running = (): PrometheusHandle => {
    if (!prom) throw new Error('Prometheus did not start');
    return prom;
  };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    prom = await startPrometheus({ scrape: sandboxScrapeJobs(sandbox), ruleFiles: [RULE_FILE] });
    await waitForScrapes(prom);
    // Every planted fault's alert pending or firing; probes of the blocked path take a timeout each.
    const wanted = SANDBOX_FAULT_ALERTS.flatMap((f) => f.alerts);
    active = await prom.waitFor(
      'ALERTS{alertstate=~"pending|firing"}',
      (s) =>
        wanted.every((w) =>
          s.some(
            (a) =>
              a.metric.alertname === w.alert &&
              a.metric.severity === w.severity &&
              Object.entries(w.labels).every(([k, v]) => a.metric[k] === v),
          ),
        ),
      45_000,
    );
    results = await evaluateRules(prom, rules);
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await sandbox?.stop();
  });

  it('has an entry for every planted fault, in order', () => {
    expect(SANDBOX_FAULT_ALERTS.map((f) => f.fault)).toEqual([...PLANTED_FAULTS]);
    for (const f of SANDBOX_FAULT_ALERTS) expect(f.alerts.length > 0 || (f.noAlert ?? '') !== '').toBe(true);
  });

  it.each(SANDBOX_FAULT_ALERTS.filter((f) => f.alerts.length > 0).map((f) => [f.fault, f.alerts] as const))(
    '%s: its alert expressions are true and the alerts pending or firing',
    (_fault, alerts) => {
      for (const a of alerts) {
        const key = ruleKey(a.alert, a.severity);
        const evaluated = (results.get(key) ?? []).map((s) => pick(s.metric, Object.keys(a.labels)));
        expect({ key, evaluated }).toEqual({ key, evaluated: expect.arrayContaining([a.labels]) });
        const alerting = active
          .filter((s) => s.metric.alertname === a.alert && s.metric.severity === a.severity)
          .map((s) => pick(s.metric, Object.keys(a.labels)));
        expect({ key, alerting }).toEqual({ key, alerting: expect.arrayContaining([a.labels]) });
      }
    },
  );

  it('evaluates every alerting rule to exactly the planted faults: nothing about healthy objects', () => {
    const expected = expectedByRule(rules);
    const got = [...results.entries()].map(([key, samples]) => ({
      key,
      objects: sorted(samples.map((s) => pick(s.metric, OBJECT_LABELS))),
    }));
    const want = [...expected.entries()].map(([key, alerts]) => ({
      key,
      objects: sorted(alerts.map((a) => a.labels)),
    }));
    expect(got).toEqual(want);
    // The rules that must be silent here include the agents' own: DNSDown, NodeAgentDown, KubeWatchDown, PlanStale, ProbeLoopStalled.
    for (const quiet of [
      'NetprobeDNSDown/critical',
      'NetprobeNodeAgentDown/warning',
      'NetprobeClusterAgentDown/warning',
      'NetprobeKubeWatchDown/warning',
      'NetprobePlanStale/warning',
      'NetprobeProbeLoopStalled/warning',
    ]) {
      expect({ quiet, objects: results.get(quiet) }).toEqual({ quiet, objects: [] });
    }
  });

  it('has exactly the planted faults pending or firing in ALERTS', () => {
    const got = sorted(
      active.map((s) => ({
        ...pick(s.metric, OBJECT_LABELS),
        alertname: s.metric.alertname ?? '',
        severity: s.metric.severity ?? '',
      })),
    );
    const want = sorted(
      SANDBOX_FAULT_ALERTS.flatMap((f) =>
        f.alerts.map((a) => ({ ...a.labels, alertname: a.alert, severity: a.severity })),
      ),
    );
    expect(got).toEqual(want);
  });

  it.each(['all', 'picked'] as const)(
    'returns data for every dashboard panel query (template variables: %s)',
    async (scenario) => {
      const p = running();
      const empty: string[] = [];
      let checked = 0;
      for (const board of loadBoards()) {
        const values = await variableValues(p, board, scenario);
        for (const t of board.targets) {
          const expr = interpolate(t.expr, values);
          const samples = await p.query(expr);
          checked++;
          const known = emptyOnSandbox(t);
          if (known === undefined) {
            if (samples.length === 0) empty.push(`${t.board} / ${t.title}: ${expr}`);
            continue;
          }
          if (samples.length > 0)
            empty.push(`${t.board} / ${t.title} has data: drop it from EMPTY_ON_SANDBOX`);
          if (!known.noSeries && (await p.query(withoutFilter(expr))).length === 0)
            empty.push(`${t.board} / ${t.title}: no series even without its filter: ${withoutFilter(expr)}`);
        }
      }
      expect(checked).toBeGreaterThan(40);
      expect(empty).toEqual([]);
    },
  );
});

/** Series exported only while there is a problem, so absent on the healthy sandbox. */
const ONLY_WITH_A_PROBLEM = new Set(['netprobe_ingress_route_problem']);

describe('alert rules against real Prometheus on the healthy sandbox', () => {
  const rules = loadRules();
  let sandbox: Sandbox | undefined;
  let prom: PrometheusHandle | undefined;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ healthy: true });
    prom = await startPrometheus({ scrape: sandboxScrapeJobs(sandbox), ruleFiles: [RULE_FILE] });
    await waitForScrapes(prom);
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await sandbox?.stop();
  });

  const running = (): PrometheusHandle => {
    if (!prom) throw new Error('Prometheus did not start');
    return prom;
  };

  it('has the series every rule reads, so that silence means healthy and not missing data', async () => {
    const p = running();
    const missing: string[] = [];
    for (const name of new Set(rules.flatMap((r) => metricNames(r.expr)))) {
      if (name === 'ALERTS' || ONLY_WITH_A_PROBLEM.has(name)) continue;
      if ((await p.query(`count(${name})`)).length === 0) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it('evaluates every alerting rule to nothing', async () => {
    const results = await evaluateRules(running(), rules);
    const nonEmpty = [...results.entries()]
      .filter(([, s]) => s.length > 0)
      .flatMap(([key, s]) => s.map((x) => ({ key, labels: pick(x.metric, OBJECT_LABELS) })));
    expect(nonEmpty).toEqual([]);
    expect(results.size).toBe(new Set(rules.map((r) => ruleKey(r.alert, r.severity))).size);
  });

  it('has no alert pending or firing', async () => {
    const active = await running().query('ALERTS{alertstate=~"pending|firing"}');
    const got = active.map((a) => ({
      key: ruleKey(a.metric.alertname ?? '', a.metric.severity ?? ''),
      labels: pick(a.metric, OBJECT_LABELS),
    }));
    expect(got).toEqual([]);
  });
});
