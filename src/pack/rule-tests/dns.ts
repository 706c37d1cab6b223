import { series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const LOOKUPS = 'netprobe_dns_lookups_total';
const RISING = '0+6x30';
const FLAT = '0x30';

/** Success and timeout counters of one node's lookups of check `kubernetes` through one server. */
function lookups(node: string, via: string, server: string, ok: boolean): SeriesValues {
  const l = { job: 'netprobe-node', instance: `${node}:9808`, node, check: 'kubernetes', via, server };
  return {
    [series(LOOKUPS, { ...l, result: 'success' })]: ok ? RISING : FLAT,
    [series(LOOKUPS, { ...l, result: 'timeout' })]: ok ? FLAT : RISING,
  };
}

/** Latency buckets of lookups through the kube-dns Service, all observations in the bucket ending at `le`. */
function latency(le: string): SeriesValues {
  const out: SeriesValues = {};
  for (const bound of ['0.5', '1', '2', '5', '+Inf']) {
    const l = {
      job: 'netprobe-node',
      instance: 'n1:9808',
      node: 'n1',
      check: 'kubernetes',
      via: 'service',
      server: 'kube-dns',
      le: bound,
    };
    const filled = bound === '+Inf' || Number(bound) >= Number(le);
    out[series('netprobe_dns_lookup_duration_seconds_bucket', l)] = filled ? '0+10x30' : FLAT;
  }
  return out;
}

/** Lookups through the kube-dns Service with `bad` of every 100 ending in SERVFAIL. */
function servfails(bad: number): SeriesValues {
  const l = {
    job: 'netprobe-node',
    instance: 'n1:9808',
    node: 'n1',
    check: 'kubernetes',
    via: 'service',
    server: 'kube-dns',
  };
  return {
    [series(LOOKUPS, { ...l, result: 'success' })]: `0+${100 - bad}x30`,
    [series(LOOKUPS, { ...l, result: 'servfail' })]: `0+${bad}x30`,
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

const SERVICE = { via: 'service', server: 'kube-dns' };
const latencyDesc = (v: string, t: number): string =>
  `p99 latency of DNS lookups via service server kube-dns is ${v} (threshold ${t}s).`;
const errorDesc = (v: string, t: number): string =>
  `${v} of DNS lookups via service server kube-dns end in SERVFAIL or timeout (threshold ${t}%).`;

/** promtool cases of the DNS alerts. */
export function dnsCases(): AlertCase[] {
  const downDesc =
    'DNS check kubernetes has not succeeded from any node through the resolver or the kube-dns Service for 5 minutes.';
  const replicaDesc =
    'CoreDNS replica coredns-a has answered no lookup from any node for 5 minutes while other replicas answer.';
  return [
    {
      alert: 'NetprobeDNSDown',
      firing: {
        ...lookups('n1', 'resolver', 'nameserver-0', false),
        ...lookups('n2', 'resolver', 'nameserver-0', false),
      },
      fireAt: '6m',
      expect: [{ labels: { severity: 'critical', check: 'kubernetes' }, description: downDesc }],
      healthy: {
        ...lookups('n1', 'resolver', 'nameserver-0', true),
        ...lookups('n2', 'resolver', 'nameserver-0', true),
      },
      edge: {
        name: 'one node still resolves',
        series: {
          ...lookups('n1', 'resolver', 'nameserver-0', false),
          ...lookups('n2', 'resolver', 'nameserver-0', true),
        },
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeDNSNodeLookupsFailing',
      firing: {
        ...lookups('n1', 'service', 'kube-dns', false),
        ...lookups('n2', 'service', 'kube-dns', true),
      },
      fireAt: '6m',
      expect: [
        {
          labels: { severity: 'warning', node: 'n1', check: 'kubernetes' },
          description: 'DNS check kubernetes has not succeeded from node n1 for 5 minutes.',
        },
      ],
      healthy: {
        ...lookups('n1', 'service', 'kube-dns', true),
        ...lookups('n2', 'service', 'kube-dns', true),
      },
      edge: {
        name: 'a node that makes no lookups is not failing',
        series: {
          [series(LOOKUPS, {
            job: 'netprobe-node',
            instance: 'n1:9808',
            node: 'n1',
            check: 'kubernetes',
            ...SERVICE,
            result: 'timeout',
          })]: FLAT,
        },
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeDNSReplicaFailing',
      firing: {
        ...lookups('n1', 'replica', 'coredns-a', false),
        ...lookups('n1', 'replica', 'coredns-b', true),
      },
      fireAt: '6m',
      expect: [{ labels: { severity: 'warning', server: 'coredns-a' }, description: replicaDesc }],
      healthy: {
        ...lookups('n1', 'replica', 'coredns-a', true),
        ...lookups('n1', 'replica', 'coredns-b', true),
      },
      edge: {
        name: 'every replica failing is DNS down, not one replica',
        series: {
          ...lookups('n1', 'replica', 'coredns-a', false),
          ...lookups('n1', 'replica', 'coredns-b', false),
        },
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeDNSLatencyHigh',
      firing: latency('5'),
      fireAt: '11m',
      expect: [
        { labels: { severity: 'warning', ...SERVICE }, description: latencyDesc('4.97s', 1) },
        { labels: { severity: 'critical', ...SERVICE }, description: latencyDesc('4.97s', 4) },
      ],
      healthy: latency('0.5'),
      edge: {
        name: 'between the thresholds only the warning fires',
        series: latency('2'),
        evalAt: '11m',
        expect: [{ labels: { severity: 'warning', ...SERVICE }, description: latencyDesc('1.99s', 1) }],
      },
    },
    {
      alert: 'NetprobeDNSErrorsHigh',
      firing: servfails(5),
      fireAt: '11m',
      expect: [
        { labels: { severity: 'warning', ...SERVICE }, description: errorDesc('5%', 1) },
        { labels: { severity: 'critical', ...SERVICE }, description: errorDesc('5%', 3) },
      ],
      healthy: servfails(0),
      edge: {
        name: 'between the thresholds only the warning fires',
        series: servfails(2),
        evalAt: '11m',
        expect: [{ labels: { severity: 'warning', ...SERVICE }, description: errorDesc('2%', 1) }],
      },
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
