import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createMetrics } from '../../src/metrics/catalog.js';
import { boardSpecs, buildDashboard } from '../../src/pack/dashboards.js';
import { metricNames } from '../../src/pack/promql.js';
import { renderPack } from '../../src/pack/render.js';
import { SANDBOX_FAULT_ALERTS } from '../../sandbox/pack-faults.js';
import { caseFiles } from '../../src/pack/rule-tests.js';
import { alertGroups, buildRuleGroups, DEFAULT_RULE_PARAMS } from '../../src/pack/rules.js';
import { durationSeconds } from '../../src/pack/timing.js';
import { NOT_ON_DASHBOARDS } from '../../src/pack/undashboarded.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const specs = createMetrics(new Registry(), { defaultMetrics: false }).specs;
/** Series Prometheus itself makes: target health and alert state. */
const PROMETHEUS_SERIES = ['up', 'ALERTS'];
const known = new Set([
  ...PROMETHEUS_SERIES,
  ...specs.flatMap((s) =>
    s.type === 'histogram' ? [`${s.name}_bucket`, `${s.name}_sum`, `${s.name}_count`] : [s.name],
  ),
]);
const rules = buildRuleGroups().flatMap((g) => g.rules);
const dashboards = boardSpecs().map((s) => ({ spec: s, json: buildDashboard(s) }));
const panelQueries = boardSpecs().flatMap((b) =>
  b.rows.flatMap((r) => r.panels.flatMap((p) => p.queries.map((q) => q.expr))),
);
const baseName = (m: string): string => m.replace(/_(bucket|sum|count)$/, '');

/** The alert names the issue makes a contract. */
const CONTRACT = [
  'NetprobeDNSDown',
  'NetprobeDNSNodeLookupsFailing',
  'NetprobeDNSReplicaFailing',
  'NetprobeDNSLatencyHigh',
  'NetprobeDNSErrorsHigh',
  'NetprobeDNSSearchPathExpensive',
  'NetprobeServiceNoReadyEndpoints',
  'NetprobeServiceSelectorMatchesNothing',
  'NetprobeServiceEndpointsDegraded',
  'NetprobeServiceTargetPortUnresolved',
  'NetprobeIngressRouteDown',
  'NetprobeIngressNoRoute',
  'NetprobeIngressBackendProblem',
  'NetprobeIngressSlow',
  'NetprobeTLSCertificateExpiring',
  'NetprobeTLSCertificateExpired',
  'NetprobeTLSHostnameMismatch',
  'NetprobePathBlocked',
  'NetprobeNetworkPolicyNotEnforced',
  'NetprobeDNSEgressBlockedByPolicy',
  'NetprobeIngressBackendBlockedByPolicy',
  'NetprobeNodeNetworkPartition',
  'NetprobeNodeAgentDown',
  'NetprobeClusterAgentDown',
  'NetprobeProbeLoopStalled',
  'NetprobeKubeWatchDown',
  'NetprobePlanStale',
];

describe('generated files', () => {
  it('regenerating changes nothing', () => {
    const stale = Object.entries(renderPack(SANDBOX_FAULT_ALERTS)).filter(([rel, content]) => {
      const file = join(root, rel);
      return !existsSync(file) || readFileSync(file, 'utf8') !== content;
    });
    expect(stale.map(([rel]) => rel)).toEqual([]);
  });

  it('the PrometheusRule carries exactly the rule file groups', () => {
    const raw = parse(readFileSync(join(root, 'alerts/netprobe-rules.yaml'), 'utf8')) as { groups: unknown };
    const cr = parse(readFileSync(join(root, 'deploy/prometheus-operator/prometheusrule.yaml'), 'utf8')) as {
      spec: { groups: unknown };
    };
    expect(cr.spec.groups).toEqual(raw.groups);
  });

  it('the dashboards ConfigMap holds every dashboard for the Grafana sidecar', () => {
    const cm = parse(
      readFileSync(join(root, 'deploy/prometheus-operator/dashboards-configmap.yaml'), 'utf8'),
    ) as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(Object.keys(cm.data).sort()).toEqual(
      boardSpecs()
        .map((s) => s.file)
        .sort(),
    );
  });

  it('the PodMonitors set the job names the rules select', () => {
    const text = readFileSync(join(root, 'deploy/prometheus-operator/podmonitor.yaml'), 'utf8');
    const jobs = text.split(/^---$/m).map((doc) => {
      const pm = parse(doc) as {
        spec: { podMetricsEndpoints: { relabelings: { targetLabel?: string; replacement?: string }[] }[] };
      };
      return pm.spec.podMetricsEndpoints[0]?.relabelings.find((r) => r.targetLabel === 'job')?.replacement;
    });
    expect(jobs).toEqual([DEFAULT_RULE_PARAMS.nodeJob, DEFAULT_RULE_PARAMS.clusterJob]);
  });
});

describe('alert rules', () => {
  it('include every contract alert, and every alert has a promtool case', () => {
    const names = new Set(rules.map((r) => r.alert));
    expect(CONTRACT.filter((n) => !names.has(n))).toEqual([]);
    const tested = new Set(caseFiles().flatMap((f) => f.cases.map((c) => c.alert)));
    expect([...names].filter((n) => !tested.has(n))).toEqual([]);
  });

  it('use only metrics of the catalog', () => {
    const unknown = rules.flatMap((r) =>
      metricNames(r.expr)
        .filter((m) => !known.has(m))
        .map((m) => `${r.alert}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('carry severity and every annotation', () => {
    for (const r of rules) {
      expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
      expect(Object.keys(r.annotations)).toEqual(
        expect.arrayContaining(['summary', 'description', 'runbook_url']),
      );
      expect(r.annotations.description).toMatch(/\{\{ \$(labels\.\w+|value)/);
    }
  });

  it('link to runbooks that exist with the four sections', () => {
    for (const r of rules) {
      const url = r.annotations.runbook_url ?? '';
      expect(url.startsWith(`${DEFAULT_RULE_PARAMS.runbookBaseUrl}/`)).toBe(true);
      const file = join(root, 'docs/runbooks', url.slice(DEFAULT_RULE_PARAMS.runbookBaseUrl.length + 1));
      expect(existsSync(file)).toBe(true);
      const text = readFileSync(file, 'utf8');
      for (const section of ['Meaning', 'Impact', 'Diagnosis', 'Mitigation'])
        expect(text).toMatch(new RegExp(`^## ${section}$`, 'm'));
      expect(text).toMatch(/kubectl /);
    }
  });

  it('link to dashboards that exist', () => {
    const uids = new Set(dashboards.map((d) => d.spec.uid));
    for (const r of rules) {
      const url = r.annotations.dashboard_url;
      if (url === undefined) continue;
      const uid = /\/d\/([\w-]+)/.exec(url)?.[1] ?? '';
      expect(uids.has(uid)).toBe(true);
    }
  });

  it('keep cluster when they aggregate with by()', () => {
    const bad = rules.flatMap((r) =>
      [...r.expr.matchAll(/\bby \(([^)]*)\)/g)].filter((m) => !m[1]?.includes('cluster')).map(() => r.alert),
    );
    expect(bad).toEqual([]);
  });

  it('page on DNS down within 2 minutes at the default intervals, and clear ratio alerts within 2', () => {
    const defs = alertGroups().flatMap((g) => g.alerts);
    const firing = (name: string): number[] =>
      defs.filter((d) => d.alert === name).map((d) => d.timing.trueSeconds + durationSeconds(d.for));
    const clearing = (name: string): number[] =>
      defs
        .filter((d) => d.alert === name)
        .map((d) => d.timing.clearSeconds + durationSeconds(d.keepFiringFor));
    expect(Math.max(...firing('NetprobeDNSDown'))).toBeLessThanOrEqual(120);
    const slowClear = ['NetprobeDNSLatencyHigh', 'NetprobeDNSErrorsHigh', 'NetprobeIngressSlow'].filter(
      (n) => Math.max(...clearing(n)) > 120,
    );
    expect(slowClear).toEqual([]);
  });

  it('build DNS failure alerts on the failure-streak gauge, not on a rate window', () => {
    const dns = rules.filter((r) =>
      ['NetprobeDNSDown', 'NetprobeDNSNodeLookupsFailing', 'NetprobeDNSReplicaFailing'].includes(r.alert),
    );
    expect(dns).toHaveLength(3);
    for (const r of dns) {
      expect(r.expr).toContain('netprobe_dns_consecutive_failures');
      expect(r.expr).not.toMatch(/\b(rate|increase)\(/);
    }
  });

  it('keep every window of a ratio or quantile shorter than its `for`, so one bad sample cannot fire it', () => {
    const ratios = rules.filter((r) => /histogram_quantile| \/ /.test(r.expr) && /\brate\(/.test(r.expr));
    expect(ratios.length).toBeGreaterThanOrEqual(5);
    const tooLong = ratios.filter((r) =>
      [...r.expr.matchAll(/\b(?:rate|increase)\([^[]*\[([^\]]*)\]/g)].some(
        (m) => durationSeconds(m[1]) >= durationSeconds(r.for),
      ),
    );
    expect(tooLong.map((r) => r.alert)).toEqual([]);
  });

  it('put `for` on everything but certificate expiry', () => {
    const noFor = rules.filter((r) => r.for === undefined).map((r) => r.alert);
    expect([...new Set(noFor)].sort()).toEqual([
      'NetprobeTLSCertificateExpired',
      'NetprobeTLSCertificateExpiring',
    ]);
  });
});

describe('dashboards', () => {
  it('use only metrics of the catalog', () => {
    const unknown = panelQueries.flatMap((e) => metricNames(e).filter((m) => !known.has(m)));
    expect(unknown).toEqual([]);
  });

  it('show every catalog metric, or say why not', () => {
    const shown = new Set(panelQueries.flatMap((e) => metricNames(e).map(baseName)));
    const missing = specs
      .filter((s) => !shown.has(s.name) && !(s.name in NOT_ON_DASHBOARDS))
      .map((s) => s.name);
    expect(missing).toEqual([]);
    const listedButShown = Object.keys(NOT_ON_DASHBOARDS).filter(
      (m) => shown.has(m) || !specs.some((s) => s.name === m),
    );
    expect(listedButShown).toEqual([]);
  });

  it('follow the conventions: uid, title, tag, read-only, variables', () => {
    for (const { spec, json } of dashboards) {
      expect(json.uid).toBe(spec.uid);
      expect(json.uid).toMatch(/^netprobe-[a-z]+$/);
      expect(json.title?.startsWith('Netprobe / ')).toBe(true);
      expect(json.tags).toContain('netprobe');
      expect(json.editable).toBe(false);
      const vars = json.templating?.list ?? [];
      expect(vars.slice(0, 2).map((v) => [v.name, v.type])).toEqual([
        ['datasource', 'datasource'],
        ['cluster', 'query'],
      ]);
      expect(vars[1]?.hide).toBe(2);
    }
  });

  it('put a unit on every panel, $__rate_interval in every rate, histograms in heatmaps or quantiles', () => {
    for (const { json } of dashboards) {
      for (const panel of json.panels ?? []) {
        if (panel.type === 'row') continue;
        const p = panel as {
          fieldConfig?: { defaults?: { unit?: string } };
          targets?: { expr?: string; format?: string }[];
        };
        expect(p.fieldConfig?.defaults?.unit).toBeTruthy();
        for (const t of p.targets ?? []) {
          const expr = t.expr ?? '';
          for (const m of expr.matchAll(/\b(rate|increase)\([^[]*\[([^\]]*)\]/g))
            expect(m[2]).toBe('$__rate_interval');
          if (expr.includes('_bucket'))
            expect(panel.type === 'heatmap' || expr.startsWith('histogram_quantile')).toBe(true);
        }
      }
    }
    expect(
      dashboards.filter((d) => (d.json.panels ?? []).some((p) => p.type === 'heatmap')).length,
    ).toBeGreaterThanOrEqual(3);
  });
});
