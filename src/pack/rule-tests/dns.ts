import { counterValues, series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const LOOKUPS = 'netprobe_dns_lookups_total';
const FAILURES = 'netprobe_dns_consecutive_failures';
/** Failure streaks, one sample a minute at 10 s probes: healthy, failing from 2m, failing from 2m and healed at 6m. */
const OK = '0x30';
const FAILING = '0 0 1+6x30';
const HEALED = '0 0 1+6x3 0x30';

/** Failure streak of one node's lookups of check `kubernetes` through one server. */
function streak(node: string, via: string, server: string, values: string): SeriesValues {
  const l = { job: 'netprobe-node', instance: `${node}:9808`, node, check: 'kubernetes', via, server };
  return { [series(FAILURES, l)]: values };
}

const SERVICE = { via: 'service', server: 'kube-dns' };
const SERVICE_LABELS = {
  job: 'netprobe-node',
  instance: 'n1:9808',
  node: 'n1',
  check: 'kubernetes',
  ...SERVICE,
};

/** 30 s samples (rates over 1m need two): bad from sample 3 (so the 1m window at 2m holds only bad ones), healed from sample `healAt` (never by default). */
const bad =
  (healAt = Infinity) =>
  (k: number): boolean =>
    k >= 3 && k < healAt;
const HEAL_SAMPLE = 12;

/**
 * Latency buckets of lookups through the kube-dns Service, 10 lookups per 30 s sample: all under
 * 0.5 s, except while `slow(k)`, when all land in the bucket ending at `le`.
 */
function latency(le: string, slow: (k: number) => boolean = () => true): SeriesValues {
  const out: SeriesValues = {};
  for (const bound of ['0.5', '1', '2', '5', '+Inf']) {
    const l = { ...SERVICE_LABELS, le: bound };
    const counts = (k: number): boolean => bound === '+Inf' || Number(bound) >= Number(slow(k) ? le : '0.5');
    out[series('netprobe_dns_lookup_duration_seconds_bucket', l)] = counterValues((k) =>
      counts(k) ? 10 : 0,
    );
  }
  return out;
}

/** Lookups through the kube-dns Service, 100 per 30 s sample, `n` of them SERVFAIL while `failing(k)`. */
function servfails(n: number, failing: (k: number) => boolean = () => true): SeriesValues {
  const errors = (k: number): number => (failing(k) ? n : 0);
  return {
    [series(LOOKUPS, { ...SERVICE_LABELS, result: 'success' })]: counterValues((k) => 100 - errors(k)),
    [series(LOOKUPS, { ...SERVICE_LABELS, result: 'servfail' })]: counterValues(errors),
  };
}

function searchQueries(n: number): SeriesValues {
  return {
    [series('netprobe_dns_search_queries', {
      job: 'netprobe-node',
      instance: 'n1:9808',
      node: 'n1',
      check: 'external',
    })]: `${n}x30`,
  };
}

const latencyDesc = (v: string, t: number): string =>
  `p99 latency of DNS lookups via service server kube-dns is ${v} (threshold ${t}s).`;
const errorDesc = (v: string, t: number): string =>
  `${v} of DNS lookups via service server kube-dns end in SERVFAIL or timeout (threshold ${t}%).`;

/** promtool cases of the DNS alerts. */
export function dnsCases(): AlertCase[] {
  const downDesc =
    'DNS check kubernetes has failed from every node through the resolver and the kube-dns Service for at least a minute.';
  const replicaDesc =
    'CoreDNS replica coredns-a has failed the last lookups from every node for at least 2 minutes while other replicas answer.';
  const nodeDesc =
    'DNS check kubernetes has failed from node n1 through the resolver and the kube-dns Service for at least 2 minutes.';
  return [
    {
      alert: 'NetprobeDNSDown',
      firing: {
        ...streak('n1', 'resolver', 'nameserver-0', FAILING),
        ...streak('n2', 'resolver', 'nameserver-0', FAILING),
      },
      // Failing from 2m, `for: 1m`.
      fireAt: '3m',
      expect: [{ labels: { severity: 'critical', check: 'kubernetes' }, description: downDesc }],
      healthy: {
        ...streak('n1', 'resolver', 'nameserver-0', OK),
        ...streak('n2', 'resolver', 'nameserver-0', OK),
      },
      edge: {
        name: 'one node still resolves',
        series: {
          ...streak('n1', 'resolver', 'nameserver-0', FAILING),
          ...streak('n2', 'resolver', 'nameserver-0', OK),
        },
        evalAt: '10m',
        expect: [],
      },
      heal: {
        series: {
          ...streak('n1', 'resolver', 'nameserver-0', HEALED),
          ...streak('n2', 'resolver', 'nameserver-0', HEALED),
        },
        firingAt: '5m',
        clearAt: '6m',
      },
    },
    {
      alert: 'NetprobeDNSNodeLookupsFailing',
      firing: {
        ...streak('n1', 'service', 'kube-dns', FAILING),
        ...streak('n2', 'service', 'kube-dns', OK),
      },
      // Failing from 2m, `for: 2m`.
      fireAt: '4m',
      expect: [{ labels: { severity: 'warning', node: 'n1', check: 'kubernetes' }, description: nodeDesc }],
      healthy: {
        ...streak('n1', 'service', 'kube-dns', OK),
        ...streak('n2', 'service', 'kube-dns', OK),
      },
      edge: {
        name: 'the kube-dns Service still answers the node whose resolver fails',
        series: {
          ...streak('n1', 'resolver', 'nameserver-0', FAILING),
          ...streak('n1', 'service', 'kube-dns', OK),
        },
        evalAt: '10m',
        expect: [],
      },
      heal: {
        series: {
          ...streak('n1', 'service', 'kube-dns', HEALED),
          ...streak('n2', 'service', 'kube-dns', OK),
        },
        firingAt: '5m',
        clearAt: '6m',
      },
    },
    {
      alert: 'NetprobeDNSReplicaFailing',
      firing: {
        ...streak('n1', 'replica', 'coredns-a', FAILING),
        ...streak('n1', 'replica', 'coredns-b', OK),
      },
      fireAt: '4m',
      expect: [{ labels: { severity: 'warning', server: 'coredns-a' }, description: replicaDesc }],
      healthy: {
        ...streak('n1', 'replica', 'coredns-a', OK),
        ...streak('n1', 'replica', 'coredns-b', OK),
      },
      edge: {
        name: 'every replica failing is DNS down, not one replica',
        series: {
          ...streak('n1', 'replica', 'coredns-a', FAILING),
          ...streak('n1', 'replica', 'coredns-b', FAILING),
        },
        evalAt: '10m',
        expect: [],
      },
      heal: {
        series: {
          ...streak('n1', 'replica', 'coredns-a', HEALED),
          ...streak('n1', 'replica', 'coredns-b', OK),
        },
        firingAt: '5m',
        clearAt: '6m',
      },
    },
    {
      alert: 'NetprobeDNSLatencyHigh',
      seriesInterval: '30s',
      firing: latency('5', bad()),
      // Slow from 2m, `for: 2m`.
      fireAt: '4m',
      expect: [
        { labels: { severity: 'warning', ...SERVICE }, description: latencyDesc('4.97s', 1) },
        { labels: { severity: 'critical', ...SERVICE }, description: latencyDesc('4.97s', 4) },
      ],
      healthy: latency('0.5'),
      edge: {
        name: 'between the thresholds only the warning fires',
        series: latency('2', bad()),
        evalAt: '5m',
        expect: [{ labels: { severity: 'warning', ...SERVICE }, description: latencyDesc('1.99s', 1) }],
      },
      // Fast again from 6m: out of the 1m window at 7m, kept firing through that evaluation, inactive at the next.
      heal: { series: latency('5', bad(HEAL_SAMPLE)), firingAt: '5m', clearAt: '8m' },
    },
    {
      alert: 'NetprobeDNSErrorsHigh',
      seriesInterval: '30s',
      firing: servfails(5, bad()),
      fireAt: '4m',
      expect: [
        { labels: { severity: 'warning', ...SERVICE }, description: errorDesc('5%', 1) },
        { labels: { severity: 'critical', ...SERVICE }, description: errorDesc('5%', 3) },
      ],
      healthy: servfails(0),
      edge: {
        name: 'one bad sample (true for one evaluation) does not fire',
        series: servfails(5, (k) => k === 6),
        evalAt: '3m',
        expect: [],
      },
      heal: { series: servfails(5, bad(HEAL_SAMPLE)), firingAt: '5m', clearAt: '8m' },
    },
    {
      alert: 'NetprobeDNSSearchPathExpensive',
      firing: searchQueries(6),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'info', check: 'external' },
          description: 'DNS check external needs 6 wire queries per lookup through the search list (ndots).',
        },
      ],
      healthy: searchQueries(1),
      edge: {
        name: 'exactly the threshold is not expensive',
        series: searchQueries(3),
        evalAt: '20m',
        expect: [],
      },
    },
  ];
}
