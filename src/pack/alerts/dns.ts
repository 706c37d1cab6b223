import type { AlertDef, RuleContext } from '../rules.js';

const LOOKUPS = 'netprobe_dns_lookups_total';
/** Window of the failure rates: long enough for several lookups at the default 10 s interval. */
const W = '2m';

/** DNS alerts: lookups from every node, per node, per CoreDNS replica; latency, errors, search cost. */
export function dnsAlerts(ctx: RuleContext): AlertDef[] {
  const { p, node } = ctx;
  // Lookups through the resolver and the kube-dns Service are what pods see; replicas are probed on their own.
  const podPath = node('via=~"resolver|service"');
  const noSuccess = (by: string, sel: string, okSel: string): string =>
    `sum by (${by}) (rate(${LOOKUPS}${okSel}[${W}])) == 0 and sum by (${by}) (rate(${LOOKUPS}${sel}[${W}])) > 0`;
  const latency = `histogram_quantile(0.99, sum by (cluster, via, server, le) (rate(netprobe_dns_lookup_duration_seconds_bucket${node()}[5m])))`;
  const errors =
    `sum by (cluster, via, server) (rate(${LOOKUPS}${node('result=~"servfail|timeout"')}[5m]))` +
    ` / sum by (cluster, via, server) (rate(${LOOKUPS}${node()}[5m]))`;
  const latencyDef = (severity: 'warning' | 'critical', threshold: number): AlertDef => ({
    alert: 'NetprobeDNSLatencyHigh',
    severity,
    expr: `${latency} > ${threshold}`,
    for: '10m',
    summary: 'DNS lookups are slow.',
    description: `p99 latency of DNS lookups via {{ $labels.via }} server {{ $labels.server }} is {{ $value | humanizeDuration }} (threshold ${threshold}s).`,
    dashboard: { uid: 'netprobe-dns', vars: ['server'] },
    meaning: `The 99th percentile of lookup duration to one DNS server, over all nodes and checks, is above ${threshold} s.`,
    needs: `netprobe_dns_lookup_duration_seconds from node agents; p99 over 5m > ${threshold} s for 10m.`,
  });
  const errorsDef = (severity: 'warning' | 'critical', ratio: number): AlertDef => ({
    alert: 'NetprobeDNSErrorsHigh',
    severity,
    expr: `${errors} > ${ratio}`,
    for: '10m',
    summary: 'DNS lookups return SERVFAIL or time out.',
    description: `{{ $value | humanizePercentage }} of DNS lookups via {{ $labels.via }} server {{ $labels.server }} end in SERVFAIL or timeout (threshold ${ratio * 100}%).`,
    dashboard: { uid: 'netprobe-dns', vars: ['server'] },
    meaning: `More than ${ratio * 100} % of lookups to one DNS server end in SERVFAIL or a timeout.`,
    needs: `netprobe_dns_lookups_total{result=~"servfail|timeout"} share over 5m > ${ratio} for 10m.`,
  });
  return [
    {
      alert: 'NetprobeDNSDown',
      severity: 'critical',
      expr: noSuccess('cluster, check', podPath, node('via=~"resolver|service",result="success"')),
      for: '5m',
      summary: 'DNS lookups fail from every node.',
      description:
        'DNS check {{ $labels.check }} has not succeeded from any node through the resolver or the kube-dns Service for 5 minutes.',
      dashboard: { uid: 'netprobe-dns', vars: ['check'] },
      meaning:
        'No node agent got a successful answer for this check through the pod resolver or the kube-dns Service: pods cannot resolve it.',
      needs: `${LOOKUPS}{via=~"resolver|service"}: lookups made but none successful over ${W}, summed over all nodes, for 5m.`,
    },
    {
      alert: 'NetprobeDNSNodeLookupsFailing',
      severity: 'warning',
      expr: noSuccess('cluster, node, check', podPath, node('via=~"resolver|service",result="success"')),
      for: '5m',
      summary: 'DNS lookups fail from one node.',
      description:
        'DNS check {{ $labels.check }} has not succeeded from node {{ $labels.node }} for 5 minutes.',
      dashboard: { uid: 'netprobe-dns', vars: ['node', 'check'] },
      meaning:
        'Pods on this node cannot resolve the check name through the resolver or the kube-dns Service.',
      needs: `${LOOKUPS}{via=~"resolver|service"} of one node: lookups made but none successful over ${W}, for 5m.`,
    },
    {
      alert: 'NetprobeDNSReplicaFailing',
      severity: 'warning',
      expr:
        `(${noSuccess('cluster, server', node('via="replica"'), node('via="replica",result="success"'))})` +
        ` and on (cluster) sum by (cluster) (rate(${LOOKUPS}${node('via="replica",result="success"')}[${W}])) > 0`,
      for: '5m',
      summary: 'One CoreDNS replica fails while the others answer.',
      description:
        'CoreDNS replica {{ $labels.server }} has answered no lookup from any node for 5 minutes while other replicas answer.',
      dashboard: { uid: 'netprobe-dns', vars: ['server'] },
      meaning:
        'Direct queries to one CoreDNS pod all fail while other replicas answer; the Service still sends it a share of the queries.',
      needs: `${LOOKUPS}{via="replica"}: no success for the replica over ${W} while another replica succeeds, for 5m.`,
    },
    latencyDef('warning', p.dnsLatencyWarningSeconds),
    latencyDef('critical', p.dnsLatencyCriticalSeconds),
    errorsDef('warning', p.dnsErrorWarningRatio),
    errorsDef('critical', p.dnsErrorCriticalRatio),
    {
      alert: 'NetprobeDNSSearchPathExpensive',
      severity: 'info',
      expr: `max by (cluster, check) (netprobe_dns_search_queries${node()}) > ${p.dnsSearchQueriesThreshold}`,
      for: '15m',
      summary: 'Short-name lookups cost many wire queries through the search list.',
      description:
        'DNS check {{ $labels.check }} needs {{ $value }} wire queries per lookup through the search list (ndots).',
      dashboard: { uid: 'netprobe-dns', vars: ['check'] },
      meaning: `A name looked up through resolv.conf's search list and ndots needs more than ${p.dnsSearchQueriesThreshold} queries: every pod doing the same multiplies CoreDNS load.`,
      needs: `netprobe_dns_search_queries > ${p.dnsSearchQueriesThreshold} on any node for 15m.`,
    },
  ];
}
