import { series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const NODE = { job: 'netprobe-node', instance: 'n1:9808', node: 'n1' };
const CLUSTER = { job: 'netprobe-cluster', instance: 'c1:9808' };

/** A path's reachability and, beside it, the expectation gauge (1 for as long as the values run). */
function path(name: string, kind: string, expected: string, values: string, family?: string): SeriesValues {
  const id = { ...NODE, path: name, kind, ...(family === undefined ? {} : { family }) };
  return {
    [series('netprobe_path_reachable', id)]: values,
    [series('netprobe_path_expected', { ...id, expected })]: '1x30',
  };
}

/** n1's neighbour paths: one entry per neighbour, its reachable values. */
function neighbours(values: Record<string, string>): SeriesValues {
  return Object.entries(values).reduce<SeriesValues>(
    (acc, [to, v]) => ({ ...acc, ...path(to, 'neighbour', 'allow', v) }),
    {},
  );
}

function clusterGauge(name: string, labels: Record<string, string>, values: string): SeriesValues {
  return { [series(name, { ...CLUSTER, ...labels })]: values };
}

const apiPath = (values: string): SeriesValues => path('kube-apiserver', 'apiserver', 'allow', values);
const SENTINEL_ID = { ...NODE, path: 'policy-sentinel', kind: 'sentinel' };
const sentinel = (expected: string, values: string): SeriesValues =>
  path('policy-sentinel', 'sentinel', expected, values);
const dnsBlocked = (values: string): SeriesValues =>
  clusterGauge('netprobe_policy_dns_egress_blocked_pods', { namespace: 'shop' }, values);
const backendBlocked = (values: string): SeriesValues =>
  clusterGauge(
    'netprobe_policy_ingress_backend_blocked',
    { namespace: 'shop', ingress: 'web', service: 'cart' },
    values,
  );

/** promtool cases of the path and NetworkPolicy alerts. */
export function pathCases(): AlertCase[] {
  return [
    {
      alert: 'NetprobePathBlocked',
      // Dual-stack: the IPv4 path works, the IPv6 one is blocked; only the IPv6 one fires.
      firing: {
        ...path('kube-apiserver', 'apiserver', 'allow', '1x30', 'ipv4'),
        ...path('kube-apiserver', 'apiserver', 'allow', '0x30', 'ipv6'),
      },
      fireAt: '5m',
      expect: [
        {
          labels: {
            severity: 'critical',
            job: 'netprobe-node',
            node: 'n1',
            path: 'kube-apiserver',
            kind: 'apiserver',
            family: 'ipv6',
            expected: 'allow',
          },
          description:
            'Path kube-apiserver (apiserver, ipv6) is blocked from node n1 although NetworkPolicy allows it.',
        },
      ],
      healthy: apiPath('1x30'),
      // The prober removes the series while the path is inconclusive (e.g. error results).
      edge: {
        name: 'an inconclusive probe (series absent) does not fire',
        series: apiPath('0 0 stale'),
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeNetworkPolicyNotEnforced',
      firing: sentinel('deny', '1x30'),
      fireAt: '15m',
      expect: [
        {
          labels: {
            severity: 'warning',
            job: 'netprobe-node',
            node: 'n1',
            path: 'policy-sentinel',
            kind: 'sentinel',
            expected: 'deny',
          },
          description:
            'Path policy-sentinel (sentinel) is reachable from node n1 although NetworkPolicy denies it.',
        },
      ],
      healthy: sentinel('deny', '0x30'),
      // A policy change flips the expectation to allow: the reachable series goes on, the alert ends.
      edge: {
        name: 'an expectation that flips from deny to allow',
        series: {
          ...sentinel('deny', '1x30'),
          [series('netprobe_path_expected', { ...SENTINEL_ID, expected: 'deny' })]: '1x10 stale',
          [series('netprobe_path_expected', { ...SENTINEL_ID, expected: 'allow' })]: '_x10 1x20',
        },
        evalAt: '20m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeDNSEgressBlockedByPolicy',
      firing: dnsBlocked('4x30'),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', namespace: 'shop' },
          description:
            '4 pods in namespace shop may not send DNS queries to kube-dns under their egress policies.',
        },
      ],
      healthy: dnsBlocked('0x30'),
      edge: {
        name: 'fixed before the wait ends',
        series: dnsBlocked('4x10 0x20'),
        evalAt: '15m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeIngressBackendBlockedByPolicy',
      firing: backendBlocked('1x30'),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', namespace: 'shop', ingress: 'web', service: 'cart' },
          description:
            'The ingress controller pods may not reach Service shop/cart, the backend of Ingress shop/web.',
        },
      ],
      healthy: backendBlocked('0x30'),
      edge: {
        name: 'fixed before the wait ends',
        series: backendBlocked('1x10 0x20'),
        evalAt: '15m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeNodeNetworkPartition',
      firing: neighbours({ n2: '0x30', n3: '0x30', n4: '1x30' }),
      fireAt: '5m',
      expect: [
        {
          labels: { severity: 'critical', node: 'n1' },
          description: 'Node n1 cannot reach 66.67% of the neighbour nodes it probes.',
        },
      ],
      healthy: neighbours({ n2: '1x30', n3: '1x30', n4: '1x30' }),
      // One neighbour of two down is that neighbour's problem, not this node's.
      edge: {
        name: 'exactly half the neighbours blocked',
        series: neighbours({ n2: '0x30', n3: '1x30' }),
        evalAt: '10m',
        expect: [],
      },
    },
  ];
}
