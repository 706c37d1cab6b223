import { agentAlerts } from './alerts/agent.js';
import { dnsAlerts } from './alerts/dns.js';
import { endpointAlerts } from './alerts/endpoints.js';
import { ingressAlerts } from './alerts/ingress.js';
import { pathAlerts } from './alerts/paths.js';
import type { Timing } from './timing.js';

/** Alert severities: critical pages now, warning makes a ticket, info is context only. */
export type Severity = 'critical' | 'warning' | 'info';

/** Every tunable of the rule pack, with the defaults the shipped files are generated from. */
export interface RuleParams {
  /** `job` label of the node agents (set by the generated PodMonitor / scrape config). */
  nodeJob: string;
  /** `job` label of the cluster role. */
  clusterJob: string;
  /** Base URL of the runbooks; `/<Alert>.md` is appended. */
  runbookBaseUrl: string;
  /** Base URL of Grafana dashboards; `/<uid>` is appended. */
  dashboardBaseUrl: string;
  dnsLatencyWarningSeconds: number;
  dnsLatencyCriticalSeconds: number;
  dnsErrorWarningRatio: number;
  dnsErrorCriticalRatio: number;
  /** Wire queries per lookup above which a search-list check is called expensive. */
  dnsSearchQueriesThreshold: number;
  /** Share of ready endpoints under which a Service is degraded. */
  endpointsDegradedRatio: number;
  /** p90 of route probe duration above which a route is slow. */
  ingressSlowSeconds: number;
  tlsExpiryWarningDays: number;
  tlsExpiryCriticalDays: number;
  /** Share of blocked neighbours above which a node is partitioned. */
  partitionRatio: number;
  /** Age of a prober's last run above which its loop is stalled. */
  proberStallSeconds: number;
}

/** The defaults used for the committed alerts/ and deploy/ files. */
export const DEFAULT_RULE_PARAMS: RuleParams = {
  nodeJob: 'netprobe-node',
  clusterJob: 'netprobe-cluster',
  runbookBaseUrl: 'https://github.com/netprobe/netprobe/blob/main/docs/runbooks',
  dashboardBaseUrl: 'https://grafana.example.com/d',
  dnsLatencyWarningSeconds: 1,
  dnsLatencyCriticalSeconds: 4,
  dnsErrorWarningRatio: 0.01,
  dnsErrorCriticalRatio: 0.03,
  dnsSearchQueriesThreshold: 3,
  endpointsDegradedRatio: 0.5,
  ingressSlowSeconds: 2,
  tlsExpiryWarningDays: 14,
  tlsExpiryCriticalDays: 3,
  partitionRatio: 0.5,
  proberStallSeconds: 300,
};

/** One alert as written in TypeScript, before it becomes a Prometheus rule. */
export interface AlertDef {
  alert: string;
  severity: Severity;
  expr: string;
  /** Pending duration; omitted for certificate expiry, which uses last_over_time instead. */
  for?: string;
  /** How long the alert keeps firing after the expression turns false, so one good sample does not resolve it. */
  keepFiringFor?: string;
  /** Time to detect and to clear at the default intervals, for docs/alerts.md. */
  timing: Timing;
  /** Static one-line summary. */
  summary: string;
  /** Go template naming the broken object with humanized values. */
  description: string;
  /** Dashboard uid and the `var-<name>` query parameters filled from alert labels. */
  dashboard?: { uid: string; vars: readonly string[] };
  /** What the alert means, for docs/alerts.md. */
  meaning: string;
  /** The series and conditions that make it fire, for docs/alerts.md. */
  needs: string;
}

/** A group of alerts about one area, as shipped in one rule group. */
export interface AlertGroup {
  name: string;
  alerts: AlertDef[];
}

/** A Prometheus alerting rule as it appears in the rule file. */
export interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: { severity: Severity };
  annotations: Record<string, string>;
}

/** A Prometheus rule group. */
export interface PromRuleGroup {
  name: string;
  rules: PromRule[];
}

/** Selectors and helpers the alert modules share. */
export interface RuleContext {
  p: RuleParams;
  /** `{job="<node job>",<extra>}` */
  node: (extra?: string) => string;
  /** `{job="<cluster job>",<extra>}` */
  cluster: (extra?: string) => string;
}

/** Builds the selector helpers for a parameter set. */
export function ruleContext(p: RuleParams): RuleContext {
  const sel = (job: string, extra?: string): string => `{job="${job}"${extra ? `,${extra}` : ''}}`;
  return { p, node: (e) => sel(p.nodeJob, e), cluster: (e) => sel(p.clusterJob, e) };
}

/** Every alert of the pack, grouped by area. */
export function alertGroups(params: Partial<RuleParams> = {}): AlertGroup[] {
  const ctx = ruleContext({ ...DEFAULT_RULE_PARAMS, ...params });
  return [
    { name: 'netprobe-dns', alerts: dnsAlerts(ctx) },
    { name: 'netprobe-endpoints', alerts: endpointAlerts(ctx) },
    { name: 'netprobe-ingress', alerts: ingressAlerts(ctx) },
    { name: 'netprobe-paths', alerts: pathAlerts(ctx) },
    { name: 'netprobe-agent', alerts: agentAlerts(ctx) },
  ];
}

/** The runbook URL of an alert. */
export function runbookUrl(alert: string, p: RuleParams = DEFAULT_RULE_PARAMS): string {
  return `${p.runbookBaseUrl}/${alert}.md`;
}

/** The templated dashboard URL of an alert (label values are filled by Alertmanager templating). */
export function dashboardUrl(def: AlertDef, p: RuleParams = DEFAULT_RULE_PARAMS): string | undefined {
  if (!def.dashboard) return undefined;
  const query = def.dashboard.vars.map((v) => `var-${v}={{ $labels.${v} }}`).join('&');
  return `${p.dashboardBaseUrl}/${def.dashboard.uid}${query ? `?${query}` : ''}`;
}

/** Converts one alert definition into a Prometheus rule. */
export function toPromRule(def: AlertDef, p: RuleParams = DEFAULT_RULE_PARAMS): PromRule {
  const annotations: Record<string, string> = {
    summary: def.summary,
    description: def.description,
    runbook_url: runbookUrl(def.alert, p),
  };
  const dash = dashboardUrl(def, p);
  if (dash) annotations.dashboard_url = dash;
  return {
    alert: def.alert,
    expr: def.expr,
    ...(def.for ? { for: def.for } : {}),
    ...(def.keepFiringFor ? { keep_firing_for: def.keepFiringFor } : {}),
    labels: { severity: def.severity },
    annotations,
  };
}

/** The rule groups of the pack, ready to be written as a Prometheus rule file. */
export function buildRuleGroups(params: Partial<RuleParams> = {}): PromRuleGroup[] {
  const p = { ...DEFAULT_RULE_PARAMS, ...params };
  return alertGroups(p).map((g) => ({ name: g.name, rules: g.alerts.map((a) => toPromRule(a, p)) }));
}
