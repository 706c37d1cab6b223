import type { AlertDef, RuleContext } from '../rules.js';
import { DEFAULT_INTERVALS as I, probed, WATCHED } from '../timing.js';

/** Labels of the scrape target that change when an agent pod is replaced; dropped so alerts stay steady. */
const TARGET = 'instance, pod';

/** Path identity shared by netprobe_path_reachable and netprobe_path_expected. */
const PATH_ID = 'cluster, job, node, path, kind, family';

/**
 * Paths whose observed reachability is `observed` while the policy engine expects `expected`; the
 * expectation is its own gauge so that a flipped expectation never resets the probe counters.
 */
function mismatch(node: RuleContext['node'], reach: string, observed: 0 | 1, expected: string): string {
  return (
    `(max without (${TARGET}) (netprobe_path_reachable${node(reach)}) == ${observed})` +
    ` * on (${PATH_ID}) group_left (expected) max without (${TARGET}) (netprobe_path_expected${node(`expected="${expected}"`)})`
  );
}

/** Path and NetworkPolicy alerts: observed verdicts against expected ones, and static policy findings. */
export function pathAlerts(ctx: RuleContext): AlertDef[] {
  const { p, node, cluster } = ctx;
  const pathTiming = probed(I.pathProbe, I.pathTimeout, 'path');
  const neighbours = (extra: string): string =>
    `count by (cluster, node) (netprobe_path_reachable${node('kind="neighbour"')}${extra})`;
  return [
    {
      alert: 'NetprobePathBlocked',
      severity: 'critical',
      timing: pathTiming,
      // Inconclusive probes export no series, so they can never match. Neighbours: NetprobeNodeNetworkPartition.
      expr: mismatch(node, 'kind!="neighbour"', 0, 'allow'),
      for: '5m',
      summary: 'A path that policy allows is blocked.',
      description:
        'Path {{ $labels.path }} ({{ $labels.kind }}{{ with $labels.family }}, {{ . }}{{ end }}) is blocked from node {{ $labels.node }} although NetworkPolicy allows it.',
      dashboard: { uid: 'netprobe-paths', vars: ['node', 'path'] },
      meaning:
        'Probes of a path the policy engine expects to be allowed time out or get ICMP unreachable: something outside NetworkPolicy (CNI, firewall, routing, security group) drops it.',
      needs:
        'netprobe_path_reachable{kind!="neighbour"} == 0 where netprobe_path_expected{expected="allow"} is 1, for 5m (absent while inconclusive).',
    },
    {
      alert: 'NetprobeNetworkPolicyNotEnforced',
      severity: 'warning',
      timing: pathTiming,
      expr: mismatch(node, '', 1, 'deny'),
      for: '15m',
      summary: 'A path that policy denies is reachable.',
      description:
        'Path {{ $labels.path }} ({{ $labels.kind }}{{ with $labels.family }}, {{ . }}{{ end }}) is reachable from node {{ $labels.node }} although NetworkPolicy denies it.',
      dashboard: { uid: 'netprobe-paths', vars: ['node', 'path'] },
      meaning:
        'NetworkPolicy is not enforced for this path: the CNI ignores policies, or a policy the engine does not know allows it.',
      needs: 'netprobe_path_reachable == 1 where netprobe_path_expected{expected="deny"} is 1, for 15m.',
    },
    {
      alert: 'NetprobeDNSEgressBlockedByPolicy',
      severity: 'warning',
      timing: WATCHED,
      expr: `max by (cluster, namespace) (netprobe_policy_dns_egress_blocked_pods${cluster()}) > 0`,
      for: '15m',
      summary: 'Egress NetworkPolicies block DNS for some pods.',
      description:
        '{{ $value }} pods in namespace {{ $labels.namespace }} may not send DNS queries to kube-dns under their egress policies.',
      dashboard: { uid: 'netprobe-paths', vars: ['namespace'] },
      meaning:
        'Egress policies select these pods and allow no UDP/TCP 53 to kube-dns: every name lookup of theirs fails.',
      needs: 'netprobe_policy_dns_egress_blocked_pods > 0 for 15m.',
    },
    {
      alert: 'NetprobeIngressBackendBlockedByPolicy',
      severity: 'warning',
      timing: WATCHED,
      expr: `max by (cluster, namespace, ingress, service) (netprobe_policy_ingress_backend_blocked${cluster()}) == 1`,
      for: '15m',
      summary: 'NetworkPolicy blocks the ingress controller from an Ingress backend.',
      description:
        'The ingress controller pods may not reach Service {{ $labels.namespace }}/{{ $labels.service }}, the backend of Ingress {{ $labels.namespace }}/{{ $labels.ingress }}.',
      dashboard: { uid: 'netprobe-paths', vars: ['namespace'] },
      meaning:
        'Ingress policies of the backend pods admit no traffic from the controller pods: the route answers 502/504.',
      needs: 'netprobe_policy_ingress_backend_blocked == 1 for 15m.',
    },
    {
      alert: 'NetprobeNodeNetworkPartition',
      severity: 'critical',
      timing: pathTiming,
      expr: `${neighbours(' == 0')} / ${neighbours('')} > ${p.partitionRatio}`,
      for: '5m',
      summary: 'A node cannot reach most of its neighbours.',
      description:
        'Node {{ $labels.node }} cannot reach {{ $value | humanizePercentage }} of the neighbour nodes it probes.',
      dashboard: { uid: 'netprobe-paths', vars: ['node'] },
      meaning:
        'Pod-network traffic from this node to most other nodes is dropped: the node is cut off from the pod network.',
      needs: `Share of the node's conclusive neighbour paths with netprobe_path_reachable == 0 > ${p.partitionRatio}, for 5m.`,
    },
  ];
}
