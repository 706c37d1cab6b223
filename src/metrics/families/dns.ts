import { counter, exponentialRange, gauge, histogram, type DefineContext } from '../define.js';

/** 14 exponential buckets from 0.5 ms to 5 s. */
export const DNS_BUCKETS = exponentialRange(0.0005, 5, 14);

/**
 * DNS lookups from each node, per check, per server. `family` (ipv4, ipv6) is the server address's:
 * a dual-stack kube-dns Service or replica is probed once per family.
 */
export function dnsMetrics(ctx: DefineContext) {
  return {
    lookupDuration: histogram(ctx, {
      name: 'netprobe_dns_lookup_duration_seconds',
      help: 'Duration of DNS lookups (all wire queries of one lookup), by check and server.',
      labelNames: ['node', 'check', 'via', 'server', 'family'] as const,
      role: 'node',
      buckets: DNS_BUCKETS,
    }),
    lookups: counter(ctx, {
      name: 'netprobe_dns_lookups_total',
      help: 'DNS lookups by result: success, nxdomain, servfail, refused, timeout, error (socket error, malformed reply, reply still truncated over TCP, other RCODE).',
      labelNames: ['node', 'check', 'via', 'server', 'family', 'result'] as const,
      role: 'node',
    }),
    consecutiveFailures: gauge(ctx, {
      name: 'netprobe_dns_consecutive_failures',
      help: 'Lookups in a row, up to the last one, that did not succeed (0 after a success); absent before the first lookup.',
      labelNames: ['node', 'check', 'via', 'server', 'family'] as const,
      role: 'node',
    }),
    searchQueries: gauge(ctx, {
      name: 'netprobe_dns_search_queries',
      help: 'Wire queries the last search-list lookup of this check needed (1 = no expansion cost).',
      labelNames: ['node', 'check'] as const,
      role: 'node',
    }),
  };
}
