import { q, rate, type BoardSpec } from '../dashboards.js';
import { DEFAULT_RULE_PARAMS } from '../rules.js';

const JOBS = `job=~"${DEFAULT_RULE_PARAMS.nodeJob}|${DEFAULT_RULE_PARAMS.clusterJob}"`;
const I = 'instance=~"$instance"';

/** Agent health: scrape targets, probe loops, Kubernetes watches and plan distribution. */
export function agentsBoard(): BoardSpec {
  return {
    uid: 'netprobe-agents',
    title: 'Agent health',
    file: 'netprobe-agents.json',
    description:
      'netprobe itself: targets up, probe loops, Kubernetes watches, and how the probe plan reaches the nodes.',
    vars: [{ name: 'instance', label: 'Instance', metric: 'netprobe_build_info' }],
    rows: [
      {
        title: 'Processes and probe loops',
        panels: [
          {
            kind: 'table',
            title: 'Targets down',
            description: 'netprobe scrape targets Prometheus cannot scrape.',
            unit: 'none',
            queries: [{ expr: `${q('up', `${JOBS},${I}`)} == 0` }],
          },
          {
            kind: 'table',
            title: 'Versions',
            description: 'netprobe processes by version and role.',
            unit: 'none',
            queries: [{ expr: `count by (version, role) (${q('netprobe_build_info', I)})` }],
          },
          {
            kind: 'timeseries',
            title: 'Time since last probe by prober',
            description: 'Age of the last finished probe; NetprobeProbeLoopStalled fires above 5 minutes.',
            unit: 's',
            queries: [
              {
                expr: `max by (prober) (time() - ${q('netprobe_prober_last_run_timestamp_seconds', I)})`,
                legend: '{{prober}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Probe runs by outcome',
            description: 'Probe runs per second, by prober and whether they hit the hard timeout.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (prober, outcome) (${rate('netprobe_prober_runs_total', I)})`,
                legend: '{{prober}} {{outcome}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Listener refusals',
            description:
              'Clients the metrics server, sentinel and neighbour listeners turned away, per second, by listener and reason (connection cap, timeout, body, bad request, rate limit).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (listener, reason) (${rate('netprobe_listener_refusals_total', I)})`,
                legend: '{{listener}} {{reason}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Overlap skips',
            description: 'Runs skipped because the previous run of the same target was still in flight.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (prober) (${rate('netprobe_prober_overlap_skips_total', I)})`,
                legend: '{{prober}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Targets by prober',
            description: 'Targets currently scheduled.',
            unit: 'none',
            queries: [{ expr: `sum by (prober) (${q('netprobe_prober_targets', I)})`, legend: '{{prober}}' }],
          },
        ],
      },
      {
        title: 'Kubernetes watches',
        panels: [
          {
            kind: 'table',
            title: 'Watches down',
            description: 'Watches disconnected or not synced.',
            unit: 'none',
            queries: [{ expr: `${q('netprobe_kube_watch_up', I)} == 0` }],
          },
          {
            kind: 'timeseries',
            title: 'Watch restarts',
            description: 'Watch restarts per second after errors, by resource.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (resource) (${rate('netprobe_kube_watch_restarts_total', I)})`,
                legend: '{{resource}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Cache age',
            description:
              'Seconds each cache may have been missing changes (its watch failing, the API unreachable); 0 while connected. The status page says STALE from 10 s.',
            unit: 's',
            queries: [
              {
                expr: `max by (resource) (${q('netprobe_kube_cache_age_seconds', I)})`,
                legend: '{{resource}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Cached objects',
            description: 'Objects held in the cache, by resource.',
            unit: 'none',
            queries: [
              { expr: `max by (resource) (${q('netprobe_kube_cache_objects', I)})`, legend: '{{resource}}' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Malformed objects skipped',
            description: 'Objects from the API that were malformed and skipped, per second.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (resource) (${rate('netprobe_kube_objects_rejected_total', I)})`,
                legend: '{{resource}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'API server /readyz',
            description:
              "The API server's own readiness as the cluster-role leader probes it (1 ready), and the p99 answer time.",
            unit: 'none',
            queries: [
              { expr: `max(${q('netprobe_kube_apiserver_ready', I)})`, legend: 'ready' },
              {
                expr: `histogram_quantile(0.99, sum by (le) (${rate('netprobe_kube_apiserver_probe_duration_seconds_bucket', I)}))`,
                legend: 'p99 seconds',
              },
              {
                expr: `sum by (result) (${rate('netprobe_kube_apiserver_probes_total', I)})`,
                legend: 'probes/s {{result}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Cluster-role leader',
        panels: [
          {
            kind: 'timeseries',
            title: 'Leader by replica',
            description:
              'netprobe_leader per cluster-role replica: 1 on the one that publishes the plan, probes routes and exports the inventory.',
            unit: 'none',
            queries: [{ expr: `max by (pod) (${q('netprobe_leader')})`, legend: '{{pod}}' }],
          },
          {
            kind: 'timeseries',
            title: 'Leader transitions',
            description:
              'Replicas starting or stopping to lead, per second (a failover shows as one of each).',
            unit: 'reqps',
            queries: [
              { expr: `sum by (event) (${rate('netprobe_leader_transitions_total')})`, legend: '{{event}}' },
            ],
          },
        ],
      },
      {
        title: 'Probe plan',
        panels: [
          {
            kind: 'timeseries',
            title: 'Plan generation',
            description: 'Generation published by the cluster role and the one each node agent uses.',
            unit: 'none',
            queries: [
              { expr: `max(${q('netprobe_plan_published_generation')})`, legend: 'published' },
              { expr: `max by (node) (${q('netprobe_plan_generation')})`, legend: '{{node}}' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Time since plan accepted',
            description:
              'Age of the plan each node agent last accepted (a plan that never changes grows old: that is fine).',
            unit: 's',
            queries: [
              {
                expr: `max by (node) (time() - ${q('netprobe_plan_last_update_timestamp_seconds')})`,
                legend: '{{node}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Plan updates by result',
            description: 'Plan documents received by node agents per second: accepted or rejected.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (result) (${rate('netprobe_plan_updates_total')})`, legend: '{{result}}' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Plan publishes by result',
            description: 'Writes of the plan ConfigMap per second: written, unchanged, error.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (result) (${rate('netprobe_plan_publishes_total')})`, legend: '{{result}}' },
            ],
          },
        ],
      },
    ],
  };
}
