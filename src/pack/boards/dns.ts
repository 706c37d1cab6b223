import { q, rate, type BoardSpec } from '../dashboards.js';

const F = 'node=~"$node",server=~"$server",check=~"$check"';
const LOOKUPS = 'netprobe_dns_lookups_total';
const BUCKET = 'netprobe_dns_lookup_duration_seconds_bucket';

/** DNS: lookups, errors and latency per node, server (resolver, kube-dns Service, CoreDNS replica) and check. */
export function dnsBoard(): BoardSpec {
  return {
    uid: 'netprobe-dns',
    title: 'DNS',
    file: 'netprobe-dns.json',
    description:
      'DNS lookups from every node through the resolver, the kube-dns Service and each CoreDNS replica.',
    vars: [
      { name: 'node', label: 'Node', metric: LOOKUPS },
      { name: 'server', label: 'Server', metric: LOOKUPS },
      { name: 'check', label: 'Check', metric: LOOKUPS },
    ],
    rows: [
      {
        title: 'Answers',
        panels: [
          {
            kind: 'timeseries',
            title: 'Success ratio by server',
            description:
              'Share of lookups answered successfully, per server (via = resolver, service or replica).',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (via, server) (${rate(LOOKUPS, `${F},result="success"`)}) / sum by (via, server) (${rate(LOOKUPS, F)})`,
                legend: '{{via}} {{server}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Lookups by result',
            description:
              'Lookups per second by result: success, nxdomain, servfail, refused, timeout, error.',
            unit: 'reqps',
            queries: [{ expr: `sum by (result) (${rate(LOOKUPS, F)})`, legend: '{{result}}' }],
          },
          {
            kind: 'timeseries',
            title: 'SERVFAIL and timeout share by server',
            description: 'What NetprobeDNSErrorsHigh alerts on (warning 1 %, critical 3 %).',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (via, server) (${rate(LOOKUPS, `${F},result=~"servfail|timeout"`)}) / sum by (via, server) (${rate(LOOKUPS, F)})`,
                legend: '{{via}} {{server}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Failed lookups by node',
            description:
              'Lookups per second that did not succeed, per node: one node alone points at that node.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (node) (${rate(LOOKUPS, `${F},result!="success"`)})`, legend: '{{node}}' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Failed lookups in a row by server',
            description:
              'Longest current failure streak per server, over nodes and checks (0 = the last lookups succeeded): what NetprobeDNSDown, NetprobeDNSNodeLookupsFailing and NetprobeDNSReplicaFailing alert on.',
            unit: 'none',
            queries: [
              {
                expr: `max by (via, server) (${q('netprobe_dns_consecutive_failures', F)})`,
                legend: '{{via}} {{server}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Latency',
        panels: [
          {
            kind: 'heatmap',
            title: 'Lookup duration',
            description: 'Distribution of lookup durations (all wire queries of a lookup).',
            unit: 's',
            queries: [{ expr: `sum by (le) (${rate(BUCKET, F)})` }],
          },
          {
            kind: 'timeseries',
            title: 'p99 lookup duration by server',
            description: 'What NetprobeDNSLatencyHigh alerts on (warning 1 s, critical 4 s).',
            unit: 's',
            queries: [
              {
                expr: `histogram_quantile(0.99, sum by (via, server, le) (${rate(BUCKET, F)}))`,
                legend: '{{via}} {{server}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Mean lookup duration by node',
            description: 'Mean duration per node, from the histogram sum and count.',
            unit: 's',
            queries: [
              {
                expr: `sum by (node) (${rate('netprobe_dns_lookup_duration_seconds_sum', F)}) / sum by (node) (${rate('netprobe_dns_lookup_duration_seconds_count', F)})`,
                legend: '{{node}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Wire queries per search-list lookup',
            description:
              'Queries one short-name lookup costs through the search list and ndots (1 = no expansion cost).',
            unit: 'none',
            queries: [
              {
                expr: `max by (check) (${q('netprobe_dns_search_queries', 'node=~"$node",check=~"$check"')})`,
                legend: '{{check}}',
              },
            ],
          },
        ],
      },
    ],
  };
}
