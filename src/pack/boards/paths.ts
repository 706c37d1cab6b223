import { q, rate, type BoardSpec } from '../dashboards.js';

const F = 'node=~"$node",path=~"$path"';
const NS = 'namespace=~"$namespace"';
const REACH = 'netprobe_path_reachable';

/** Paths observed `observed` while expected `expected`, with the expectation as a label. */
export function unexpected(observed: 0 | 1, expected: string, filter = F): string {
  const id = 'node, path, kind';
  return `(max by (${id}) (${q(REACH, filter)}) == ${observed}) * on (${id}) group_left (expected) max by (${id}, expected) (${q('netprobe_path_expected', `${filter ? `${filter},` : ''}expected="${expected}"`)})`;
}

/** Paths & NetworkPolicy: observed verdicts against expected ones, and the policy engine's findings. */
export function pathsBoard(): BoardSpec {
  return {
    uid: 'netprobe-paths',
    title: 'Paths & NetworkPolicy',
    file: 'netprobe-paths.json',
    description:
      'Active path probes from every node compared with what NetworkPolicy expects, and static policy findings.',
    vars: [
      { name: 'node', label: 'Node', metric: REACH },
      { name: 'path', label: 'Path', metric: REACH },
      { name: 'namespace', label: 'Namespace', metric: 'netprobe_policy_namespace_default_deny' },
    ],
    rows: [
      {
        title: 'Paths',
        panels: [
          {
            kind: 'table',
            title: 'Unexpected verdicts',
            description: 'Paths blocked although allowed (value 0) or reachable although denied (value 1).',
            unit: 'none',
            queries: [
              { expr: unexpected(0, 'allow'), legend: 'blocked' },
              { expr: unexpected(1, 'deny'), legend: 'not enforced' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Blocked neighbour share by node',
            description: 'What NetprobeNodeNetworkPartition alerts on (over 50 %).',
            unit: 'percentunit',
            queries: [
              {
                expr: `(count by (node) (${q(REACH, `${F},kind="neighbour"`)} == 0) or count by (node) (${q(REACH, `${F},kind="neighbour"`)}) * 0) / count by (node) (${q(REACH, `${F},kind="neighbour"`)})`,
                legend: '{{node}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Path probes by result',
            description: 'Probes per second by result: open, refused, timeout, unreachable, error.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (kind, result) (${rate('netprobe_path_probes_total', F)})`,
                legend: '{{kind}} {{result}}',
              },
            ],
          },
          {
            kind: 'heatmap',
            title: 'Path probe duration',
            description: 'Distribution of path probe durations.',
            unit: 's',
            queries: [
              { expr: `sum by (le) (${rate('netprobe_path_duration_seconds_bucket', 'node=~"$node"')})` },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Mean path probe duration by kind',
            description: 'Mean duration per kind of path, from the histogram sum and count.',
            unit: 's',
            queries: [
              {
                expr: `sum by (kind) (${rate('netprobe_path_duration_seconds_sum', 'node=~"$node"')}) / sum by (kind) (${rate('netprobe_path_duration_seconds_count', 'node=~"$node"')})`,
                legend: '{{kind}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Incoming neighbour probes by node',
            description: 'How many agents the plan has probing each node.',
            unit: 'none',
            queries: [
              {
                expr: `max by (node) (${q('netprobe_path_incoming_probes', 'node=~"$node"')})`,
                legend: '{{node}}',
              },
            ],
          },
        ],
      },
      {
        title: 'NetworkPolicy findings',
        panels: [
          {
            kind: 'table',
            title: 'Pods with DNS egress blocked',
            description: 'Pods per namespace whose egress policies block DNS to kube-dns.',
            unit: 'none',
            queries: [
              { expr: `max by (namespace) (${q('netprobe_policy_dns_egress_blocked_pods', NS)}) > 0` },
            ],
          },
          {
            kind: 'table',
            title: 'Ingress backends blocked',
            description: 'Ingress backends the ingress controller pods may not reach.',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, ingress, service) (${q('netprobe_policy_ingress_backend_blocked', NS)}) == 1`,
              },
            ],
          },
          {
            kind: 'table',
            title: 'Services unreachable by policy',
            description: 'Services whose pods admit ingress from nowhere.',
            unit: 'none',
            queries: [
              { expr: `max by (namespace, service) (${q('netprobe_policy_unreachable_service', NS)}) == 1` },
            ],
          },
          {
            kind: 'table',
            title: 'Namespaces without default deny',
            description: 'Namespaces where no policy isolates every pod, per direction.',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, direction) (${q('netprobe_policy_namespace_default_deny', NS)}) == 0`,
              },
            ],
          },
        ],
      },
    ],
  };
}
