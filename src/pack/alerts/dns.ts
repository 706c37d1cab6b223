import type { AlertDef, RuleContext } from '../rules.js';
import { DEFAULT_INTERVALS as I, probed, windowed } from '../timing.js';

const LOOKUPS = 'netprobe_dns_lookups_total';
const FAILURES = 'netprobe_dns_consecutive_failures';
/**
 * Window of the latency and error ratios: with 30 s scrapes it holds two scrapes, and at the 10 s
 * probe interval six lookups per node, check and server. `for` is longer than the window, so one
 * slow or failed lookup (true for at most one window) never fires.
 */
const W = '1m';
const RATIO_FOR = '2m';
/** Keeps a firing ratio alert through one scrape that looks healthy, and still clears within 2 minutes. */
const KEEP = '30s';

/** DNS alerts: lookups from every node, per node, per CoreDNS replica; latency, errors, search cost. */
export function dnsAlerts(ctx: RuleContext): AlertDef[] {
  const { p, node } = ctx;
  // Lookups through the resolver and the kube-dns Service are what pods see; replicas are probed on their own.
  const podPath = node('via=~"resolver|service"');
  // The smallest failure streak of a group is > 0 when the last lookup of every member failed.
  const allFailing = (by: string, sel: string): string => `min by (${by}) (${FAILURES}${sel}) > 0`;
  const lookupTiming = probed(I.dnsProbe, I.dnsTimeout, 'DNS');
  // Per family: a dual-stack replica keeps its name (server) in both, and one family can fail alone.
  const latency = `histogram_quantile(0.99, sum by (cluster, via, server, family, le) (rate(netprobe_dns_lookup_duration_seconds_bucket${node()}[${W}])))`;
  const errors =
    `sum by (cluster, via, server, family) (rate(${LOOKUPS}${node('result=~"servfail|timeout"')}[${W}]))` +
    ` / sum by (cluster, via, server, family) (rate(${LOOKUPS}${node()}[${W}]))`;
  const ratioTiming = windowed(I.dnsProbe, W, 'DNS');
  const latencyDef = (severity: 'warning' | 'critical', threshold: number): AlertDef => ({
    alert: 'NetprobeDNSLatencyHigh',
    severity,
    expr: `${latency} > ${threshold}`,
    for: RATIO_FOR,
    keepFiringFor: KEEP,
    timing: ratioTiming,
    summary: 'DNS lookups are slow.',
    description: `p99 latency of DNS lookups via {{ $labels.via }} server {{ $labels.server }}{{ with $labels.family }} ({{ . }}){{ end }} is {{ $value | humanizeDuration }} (threshold ${threshold}s).`,
    dashboard: { uid: 'netprobe-dns', vars: ['server'] },
    meaning: `The 99th percentile of lookup duration to one DNS server, over all nodes and checks, is above ${threshold} s.`,
    needs: `netprobe_dns_lookup_duration_seconds from node agents; p99 over ${W} > ${threshold} s for ${RATIO_FOR}, kept firing ${KEEP}.`,
  });
  const errorsDef = (severity: 'warning' | 'critical', ratio: number): AlertDef => ({
    alert: 'NetprobeDNSErrorsHigh',
    severity,
    expr: `${errors} > ${ratio}`,
    for: RATIO_FOR,
    keepFiringFor: KEEP,
    timing: ratioTiming,
    summary: 'DNS lookups return SERVFAIL or time out.',
    description: `{{ $value | humanizePercentage }} of DNS lookups via {{ $labels.via }} server {{ $labels.server }}{{ with $labels.family }} ({{ . }}){{ end }} end in SERVFAIL or timeout (threshold ${ratio * 100}%).`,
    dashboard: { uid: 'netprobe-dns', vars: ['server'] },
    meaning: `More than ${ratio * 100} % of lookups to one DNS server end in SERVFAIL or a timeout.`,
    needs: `netprobe_dns_lookups_total{result=~"servfail|timeout"} share over ${W} > ${ratio} for ${RATIO_FOR}, kept firing ${KEEP}.`,
  });
  return [
    {
      alert: 'NetprobeDNSDown',
      severity: 'critical',
      // Across families: pods resolve through the one family their resolv.conf names, so one failing
      // family of the kube-dns Service alone is its ErrorsHigh (server is the ClusterIP), not an outage.
      expr: allFailing('cluster, check', podPath),
      // With 10 s probes and 30 s scrapes: two scrapes in a row, six lookups per node, all failed; pages within 2 minutes.
      for: '1m',
      timing: lookupTiming,
      summary: 'DNS lookups fail from every node.',
      description:
        'DNS check {{ $labels.check }} has failed from every node through the resolver and the kube-dns Service for at least a minute.',
      dashboard: { uid: 'netprobe-dns', vars: ['check'] },
      meaning:
        'The last lookups of this check from every node agent, through the pod resolver and the kube-dns Service, failed: pods cannot resolve it.',
      needs: `${FAILURES}{via=~"resolver|service"} > 0 on every node and server (the smallest streak > 0), for 1m.`,
    },
    {
      alert: 'NetprobeDNSNodeLookupsFailing',
      severity: 'warning',
      expr: allFailing('cluster, node, check', podPath),
      for: '2m',
      timing: lookupTiming,
      summary: 'DNS lookups fail from one node.',
      description:
        'DNS check {{ $labels.check }} has failed from node {{ $labels.node }} through the resolver and the kube-dns Service for at least 2 minutes.',
      dashboard: { uid: 'netprobe-dns', vars: ['node', 'check'] },
      meaning:
        'Pods on this node cannot resolve the check name through the resolver or the kube-dns Service.',
      needs: `${FAILURES}{via=~"resolver|service"} of one node > 0 for every server, for 2m.`,
    },
    {
      alert: 'NetprobeDNSReplicaFailing',
      severity: 'warning',
      // The smallest streak over all replicas is 0 only when some replica (not this one) answered last.
      expr:
        `${allFailing('cluster, server, family', node('via="replica"'))}` +
        ` and on (cluster) min by (cluster) (${FAILURES}${node('via="replica"')}) == 0`,
      for: '2m',
      timing: lookupTiming,
      summary: 'One CoreDNS replica fails while the others answer.',
      description:
        'CoreDNS replica {{ $labels.server }}{{ with $labels.family }} ({{ . }}){{ end }} has failed the last lookups from every node for at least 2 minutes while other replicas answer.',
      dashboard: { uid: 'netprobe-dns', vars: ['server'] },
      meaning:
        'Direct queries to one CoreDNS pod all fail while other replicas answer; the Service still sends it a share of the queries.',
      needs: `${FAILURES}{via="replica"} > 0 for the replica from every node and check while another replica's streak is 0, for 2m.`,
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
      timing: lookupTiming,
      summary: 'Short-name lookups cost many wire queries through the search list.',
      description:
        'DNS check {{ $labels.check }} needs {{ $value }} wire queries per lookup through the search list (ndots).',
      dashboard: { uid: 'netprobe-dns', vars: ['check'] },
      meaning: `A name looked up through resolv.conf's search list and ndots needs more than ${p.dnsSearchQueriesThreshold} queries: every pod doing the same multiplies CoreDNS load.`,
      needs: `netprobe_dns_search_queries > ${p.dnsSearchQueriesThreshold} on any node for 15m.`,
    },
  ];
}
