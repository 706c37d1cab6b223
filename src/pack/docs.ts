import { stringify } from 'yaml';
import type { BoardSpec } from './dashboards.js';
import type { AlertGroup, RuleParams, Severity } from './rules.js';
import { DEFAULT_INTERVALS, durationSeconds } from './timing.js';

/** One Alertmanager inhibit rule, with why it exists. */
export interface Inhibition {
  why: string;
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

/** The inhibitions the pack recommends (docs/alerts.md shows them as an Alertmanager snippet). */
export const INHIBITIONS: readonly Inhibition[] = [
  {
    why: 'DNS down from every node explains each node failing the same check.',
    source_matchers: ['alertname="NetprobeDNSDown"'],
    target_matchers: [
      'alertname=~"NetprobeDNSNodeLookupsFailing|NetprobeDNSReplicaFailing|NetprobeDNSErrorsHigh|NetprobeDNSLatencyHigh"',
    ],
    equal: ['cluster'],
  },
  {
    why: 'One replica failing from every node explains its own error ratio and latency.',
    source_matchers: ['alertname="NetprobeDNSReplicaFailing"'],
    target_matchers: ['alertname=~"NetprobeDNSErrorsHigh|NetprobeDNSLatencyHigh"', 'via="replica"'],
    equal: ['cluster', 'server', 'family'],
  },
  {
    why: 'Failing lookups make every search-path expansion run to the end: its cost says nothing then.',
    source_matchers: ['alertname=~"NetprobeDNSDown|NetprobeDNSErrorsHigh"'],
    target_matchers: ['alertname="NetprobeDNSSearchPathExpensive"'],
    equal: ['cluster'],
  },
  {
    why: 'A host no controller serves explains its route being down.',
    source_matchers: ['alertname="NetprobeIngressNoRoute"'],
    target_matchers: ['alertname="NetprobeIngressRouteDown"'],
    equal: ['cluster', 'namespace', 'ingress', 'host', 'path'],
  },
  {
    why: 'The critical tier of a two-tier alert mutes its warning tier.',
    source_matchers: [
      'severity="critical"',
      'alertname=~"NetprobeDNSLatencyHigh|NetprobeDNSErrorsHigh|NetprobeTLSCertificateExpiring"',
    ],
    target_matchers: ['severity="warning"'],
    equal: ['cluster', 'alertname', 'via', 'server', 'family', 'namespace', 'ingress', 'host'],
  },
  {
    why: 'An expired certificate needs no expiry warning.',
    source_matchers: ['alertname="NetprobeTLSCertificateExpired"'],
    target_matchers: ['alertname="NetprobeTLSCertificateExpiring"'],
    equal: ['cluster', 'namespace', 'ingress', 'host'],
  },
  {
    why: "A route that is down says more than its backend's static problem or slowness.",
    source_matchers: ['alertname="NetprobeIngressRouteDown"'],
    target_matchers: ['alertname=~"NetprobeIngressBackendProblem|NetprobeIngressSlow"'],
    equal: ['cluster', 'namespace', 'ingress', 'host', 'path'],
  },
  {
    why: 'A certificate that clients refuse (wrong host, expired) explains the routes of its host failing the TLS handshake.',
    source_matchers: ['alertname=~"NetprobeTLSHostnameMismatch|NetprobeTLSCertificateExpired"'],
    target_matchers: ['alertname="NetprobeIngressRouteDown"'],
    equal: ['cluster', 'namespace', 'ingress', 'host'],
  },
  {
    why: 'A partitioned node explains its other blocked paths and failing DNS.',
    source_matchers: ['alertname="NetprobeNodeNetworkPartition"'],
    target_matchers: ['alertname=~"NetprobePathBlocked|NetprobeDNSNodeLookupsFailing"'],
    equal: ['cluster', 'node'],
  },
  {
    why: 'An agent that cannot be scraped explains its own stalled loops and watches.',
    source_matchers: ['alertname=~"NetprobeNodeAgentDown|NetprobeClusterAgentDown"'],
    target_matchers: ['alertname=~"NetprobeProbeLoopStalled|NetprobeKubeWatchDown|NetprobePlanStale"'],
    equal: ['cluster', 'instance'],
  },
  {
    why: "With the cluster agent gone no plan is published; node agents' plans look stale.",
    source_matchers: ['alertname="NetprobeClusterAgentDown"'],
    target_matchers: ['alertname="NetprobePlanStale"'],
    equal: ['cluster'],
  },
];

const FOR_NOTE = 'none (last_over_time over 1h)';

/** "≤ 40 s" or "≤ 2m 40s" for a worst-case number of seconds. */
function upTo(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `≤ ${m === 0 ? `${s} s` : `${m}m${s === 0 ? '' : ` ${s}s`}`}`;
}

function alertTable(groups: AlertGroup[], p: RuleParams): string {
  const rows = groups.flatMap((g) =>
    g.alerts.map((a) => {
      const t = a.timing;
      const firing = t.trueSeconds + durationSeconds(a.for);
      const cleared = t.clearSeconds + durationSeconds(a.keepFiringFor);
      const keep = a.keepFiringFor ? ` + keep_firing_for ${a.keepFiringFor}` : '';
      return `| [${a.alert}](runbooks/${a.alert}.md) | ${a.severity} | ${a.for ?? FOR_NOTE}${keep} | ${upTo(t.trueSeconds)} | ${upTo(firing)} | ${upTo(cleared)} | ${a.meaning} | ${a.needs.replace(/\|/g, '\\|')} |`;
    }),
  );
  const bases = [...new Set(groups.flatMap((g) => g.alerts.map((a) => a.timing.basis)))];
  return [
    `Defaults shown; every threshold is a parameter of \`src/pack/rules.ts\` (\`RuleParams\`). Node-agent series are selected with \`job="${p.nodeJob}"\`, cluster-role series with \`job="${p.clusterJob}"\`.`,
    '',
    `Timing columns are worst cases at the default intervals (DNS probes ${DEFAULT_INTERVALS.dnsProbe} s, path probes ${DEFAULT_INTERVALS.pathProbe} s, route probes ${DEFAULT_INTERVALS.ingressProbe} s, scrapes ${DEFAULT_INTERVALS.scrape} s; \`src/pack/timing.ts\`), derived from the expressions: **true** is fault to expression true, **firing** adds \`for\`, **clears** is fix to inactive (including \`keep_firing_for\`). Add one rule evaluation interval to each (30 s with prometheus-operator's default, 1m with plain Prometheus's). The figures follow from: ${bases.join('; ')}.`,
    '',
    '| Alert | Severity | for | True | Firing | Clears | Meaning | Fires when |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** An alert that must be true (pending or firing) on the faulty sandbox, and the labels naming the object. */
export interface ExpectedAlert {
  alert: string;
  severity: Severity;
  labels: Record<string, string>;
}

/**
 * What the rules must say about one of the sandbox's planted faults; `noAlert` explains a fault no
 * alert catches. The sandbox (outside src/) supplies the list, so the product has no sandbox code.
 */
export interface FaultAlerts {
  fault: string;
  alerts: ExpectedAlert[];
  noAlert?: string;
}

function sandboxTable(faults: readonly FaultAlerts[]): string {
  const cell = (f: FaultAlerts): string =>
    f.alerts.length === 0
      ? `none: ${f.noAlert ?? ''}`
      : f.alerts
          .map((a) => {
            const labels = Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`);
            return `\`${a.alert}{${labels.join(',')}}\` (${a.severity})`;
          })
          .join('<br>');
  return [
    '| Planted fault | Alerts it makes pending or firing |',
    '|---|---|',
    ...faults.map((f) => `| ${f.fault.replace(/\|/g, '\\|')} | ${cell(f)} |`),
  ].join('\n');
}

function inhibitSnippet(): string {
  const rules = INHIBITIONS.map((i) => ({
    source_matchers: i.source_matchers,
    target_matchers: i.target_matchers,
    equal: i.equal,
  }));
  return stringify({ inhibit_rules: rules }, { lineWidth: 0 });
}

/** docs/alerts.md, generated from the rule definitions so the two cannot drift. */
export function renderAlertsDoc(groups: AlertGroup[], p: RuleParams, faults: readonly FaultAlerts[]): string {
  return `<!-- Generated by scripts/generate-pack.ts from src/pack/. Do not edit. -->
# netprobe alerts

The rules live in \`alerts/netprobe-rules.yaml\` (plain Prometheus) and
\`deploy/prometheus-operator/prometheusrule.yaml\` (PrometheusRule); both are generated from
\`src/pack/rules.ts\` and tested with \`promtool test rules alerts/tests/*.yaml\`.

Severities: \`critical\` pages now, \`warning\` makes a ticket, \`info\` is context only. Expressions
read the last result (gauges such as \`netprobe_dns_consecutive_failures\`, \`netprobe_path_reachable\`,
\`netprobe_ingress_route_up\`), so they turn true within a probe and a scrape of the fault, and \`for\` carries
the persistence: 1m for DNS down (it pages within 2 minutes), 2m for one node or replica failing and for
latency and error ratios, 5m for other user-visible hard failures, 15m for drift and agent health.
Latency and error ratios use 1m windows, kept firing 30s through one healthy-looking scrape, so they clear
within 2 minutes of the fix; their \`for\` is longer than the window, so one slow or failed lookup never
fires them. Certificate expiry has no \`for\` and reads the last value over an hour instead, so a missed
probe neither resolves nor delays it. Aggregations keep \`cluster\` (\`by (cluster, ...)\` or \`without (...)\`) so routing labels survive.

## Alerts

${alertTable(groups, p)}

## On the sandbox

The sandbox (\`npm run demo\`) demonstrates ${new Set(faults.flatMap((f) => f.alerts.map((a) => a.alert))).size} of these alerts with its planted faults; with \`--healthy\` no alert
expression is true. \`test/pack/sandbox-prometheus.int.test.ts\` proves both in real Prometheus
(this rule file, both roles scraped as the PodMonitors do) and checks that every dashboard panel query has data
(except the few problem lists it names). Exactly these alerts are true on the faulty sandbox (object labels
shown; \`sandbox/pack-faults.ts\`):

${sandboxTable(faults)}

## Labels and scraping

- Node-agent series carry \`node\` themselves. The generated PodMonitor for node agents also sets
  \`node\` from the pod's node (same value), so \`up\` and the agent's process series name the node too.
  The cluster role gets no \`node\` target label: it exports \`node\` for other nodes
  (\`netprobe_path_incoming_probes\`), which a target label would overwrite.
- netprobe's own series use \`namespace\` for the **watched object's** namespace. Both PodMonitors set
  \`honorLabels: true\` (exported labels win over target labels) and move the pod's namespace to
  \`netprobe_namespace\` (then drop the target's \`namespace\`), so \`namespace\` on any netprobe series
  means one thing. Plain Prometheus users: keep \`honor_labels: true\` and do not add a \`namespace\` target label.
- Job names: \`${p.nodeJob}\` and \`${p.clusterJob}\` (parameters \`nodeJob\`, \`clusterJob\`); the
  PodMonitors set them with a \`job\` relabeling. If you scrape differently, regenerate with your job names.

## Decisions

- **NetprobePlanStale** compares generations, not ages. The cluster role rewrites the plan only when it
  changes, so an old plan is not a stale one. A node is stale when its \`netprobe_plan_generation\` is below
  \`netprobe_plan_published_generation\` (or, when the cluster role is not scraped, below the newest generation on
  any node) for 15m. That covers both causes: the node's ConfigMap watch is down, or it rejects the new plan as
  invalid (it keeps the last valid one). \`NetprobeKubeWatchDown\` names the watch when that is the cause.
- **NetprobeIngressRouteDown vs NetprobeIngressNoRoute**: a route failing with a \`no_route\` result (the
  controller's default backend answered) is a configuration problem and raises only \`NetprobeIngressNoRoute\`;
  every other failure raises \`NetprobeIngressRouteDown\`.
- **Neighbour paths** do not raise \`NetprobePathBlocked\`: one node going down would make every neighbour
  page. \`NetprobeNodeNetworkPartition\` fires when more than half of a node's conclusive neighbour paths are blocked.
- **Inconclusive probes** export no \`netprobe_path_reachable\` series, so they can never fire a path alert.
- **NetprobeDNSDown** is per check: the last lookup of the check failed from every node through the resolver
  and the kube-dns Service (\`min\` of \`netprobe_dns_consecutive_failures\` > 0). Lookups that are not made
  (no series) are not failures. The DNS "failing now" alerts read that gauge, not a rate window: a
  \`rate(success[2m]) == 0\` condition turns true only two minutes after the last success.

## Inhibitions

${INHIBITIONS.map((i) => `- ${i.why}`).join('\n')}

Alertmanager snippet (\`equal\` on labels both alerts lack, such as \`cluster\` on a single-cluster Prometheus,
counts as equal):

\`\`\`yaml
${inhibitSnippet()}\`\`\`
`;
}

/** docs/dashboards.md, generated from the dashboard specs. */
export function renderDashboardsDoc(specs: BoardSpec[]): string {
  const sections = specs.map((s) => {
    const vars = ['datasource', 'cluster (hidden)', ...s.vars.map((v) => v.name)].join(', ');
    const panels = s.rows.flatMap((r) =>
      r.panels.map((p) => `- **${r.title} / ${p.title}** (${p.kind}, ${p.unit}): ${p.description}`),
    );
    return `## Netprobe / ${s.title}\n\nuid \`${s.uid}\`, file \`dashboards/${s.file}\`. ${s.description}\n\nVariables: ${vars}.\n\n${panels.join('\n')}\n`;
  });
  return `<!-- Generated by scripts/generate-pack.ts from src/pack/. Do not edit. -->
# netprobe dashboards

Generated from \`src/pack/dashboards.ts\` with @grafana/grafana-foundation-sdk (exact version pinned in
package.json) into \`dashboards/*.json\`, and into \`deploy/prometheus-operator/dashboards-configmap.yaml\` for the
Grafana sidecar (label \`grafana_dashboard: "1"\`). All are read-only, tagged \`netprobe\`, and start with the
\`datasource\` and hidden \`cluster\` variables; every rate uses \`$__rate_interval\`; latency histograms are heatmaps.

${sections.join('\n')}`;
}
