import { readFileSync } from 'node:fs';
import type { DnsCheckConfig } from '../config/schema.js';
import { SeriesTracker } from '../metrics/series.js';
import { probeDns, type DnsOutcome, type DnsResult } from '../probers/dns.js';
import { clusterDomainFromSearch, parseResolvConf, type ResolvConf } from '../probers/resolv.js';
import type { Plan } from '../plan/schema.js';
import type { Job } from '../runner/scheduler.js';
import { familyOf } from '../net/address.js';
import type { NodeFeature } from './node.js';
import type { Runtime } from './runtime.js';

const RESULTS: readonly DnsOutcome[] = ['success', 'nxdomain', 'servfail', 'refused', 'timeout', 'error'];

/** A DNS server as probed: `server` is the label (pod name for replicas, else the address). */
export interface DnsServerTarget {
  via: 'resolver' | 'service' | 'replica' | 'config';
  server: string;
  address: string;
  port: number;
}

/** A (server, check) pair's identity: a dual-stack replica keeps its name in both families. */
function targetKey(srv: DnsServerTarget, check: DnsCheckConfig): string {
  const family = familyOf(srv.address);
  return family === 'ipv4'
    ? `${srv.via}/${srv.server}/${check.name}`
    : `${srv.via}/${srv.server}/${family}/${check.name}`;
}

function targetLabels(
  node: string,
  srv: DnsServerTarget,
  check: DnsCheckConfig,
): { node: string; check: string; via: string; server: string; family: string } {
  return { node, check: check.name, via: srv.via, server: srv.server, family: familyOf(srv.address) };
}

/**
 * The default checks, for the cluster domain. Where a DNS server of the node is IPv6 (an IPv6 or
 * dual-stack cluster) the kubernetes Service's AAAA record is checked too: an IPv4-only check
 * passes on NODATA and would never see a broken IPv6 record.
 */
export function defaultChecks(domain: string, externalName: string, ipv6 = false): DnsCheckConfig[] {
  const checks: DnsCheckConfig[] = [
    { name: 'cluster-fqdn', query: `kubernetes.default.svc.${domain}.`, type: 'A', mode: 'fqdn' },
    { name: 'cluster-short', query: 'kubernetes.default', type: 'A', mode: 'search' },
    {
      name: 'cluster-srv',
      query: `_https._tcp.kubernetes.default.svc.${domain}.`,
      type: 'SRV',
      mode: 'fqdn',
    },
  ];
  if (ipv6) {
    checks.push({
      name: 'cluster-fqdn-aaaa',
      query: `kubernetes.default.svc.${domain}.`,
      type: 'AAAA',
      mode: 'fqdn',
    });
  }
  if (externalName) checks.push({ name: 'external', query: externalName, type: 'A', mode: 'fqdn' });
  return checks;
}

/**
 * Servers to probe: resolv.conf's nameservers, the kube-dns Service (skipped when it is also a
 * nameserver), each CoreDNS replica, and any configured extra servers.
 */
export function dnsServerTargets(
  resolv: ResolvConf,
  plan: Plan | undefined,
  extra: DnsServerTarget[],
): DnsServerTarget[] {
  const out: DnsServerTarget[] = resolv.nameservers.map((ns) => ({
    via: 'resolver',
    server: ns,
    address: ns,
    port: 53,
  }));
  for (const s of plan?.dns.servers ?? []) {
    if (s.via === 'service' && resolv.nameservers.includes(s.address)) continue;
    out.push({
      via: s.via,
      server: s.via === 'replica' ? s.name : s.address,
      address: s.address,
      port: s.port,
    });
  }
  return [...out, ...extra];
}

/** The DNS feature of the node role: one job per (server, check). */
export function createDnsFeature(rt: Runtime): NodeFeature {
  const cfg = rt.config.node.dns;
  const node = rt.config.node.name || 'standalone';
  const m = rt.metrics.dns;
  const series = new SeriesTracker();
  let resolv: ResolvConf;
  try {
    resolv = parseResolvConf(readFileSync(cfg.resolvConf, 'utf8'));
  } catch (err) {
    rt.logger.warn('cannot read resolv.conf; probing plan servers only', { file: cfg.resolvConf, err });
    resolv = parseResolvConf('');
    resolv.nameservers = [];
  }
  const extra: DnsServerTarget[] = cfg.servers.map((s) => ({
    via: 'config',
    server: s.name,
    address: s.address,
    port: s.port,
  }));

  // Keys of the current plan: a probe still in flight when the plan drops its server must not
  // bring back the series (and status row) that applyPlan just removed.
  // The address is part of it: a server that kept its name but moved is another target.
  let live = new Map<string, string>();
  // Failed lookups in a row per target key, for netprobe_dns_consecutive_failures.
  const streak = new Map<string, number>();
  const record = (srv: DnsServerTarget, check: DnsCheckConfig, r: DnsResult): void => {
    const key = targetKey(srv, check);
    if (live.get(key) !== `${srv.address}:${srv.port}`) return;
    const labels = targetLabels(node, srv, check);
    m.lookups.inc({ ...labels, result: r.outcome });
    m.lookupDuration.observe(labels, r.durationSeconds);
    // A gauge of the current streak lets alerts see "failing now" without a rate window.
    const failures = r.outcome === 'success' ? 0 : (streak.get(key) ?? 0) + 1;
    streak.set(key, failures);
    m.consecutiveFailures.set(labels, failures);
    series.track(key, m.consecutiveFailures, labels);
    if (check.mode === 'search') {
      m.searchQueries.set({ node, check: check.name }, r.queries);
      series.track(`check/${check.name}`, m.searchQueries, { node, check: check.name });
    }
    rt.history.record({
      prober: 'dns',
      target: key,
      ok: r.outcome === 'success',
      outcome: r.outcome,
      durationSeconds: r.durationSeconds,
      detail: r.detail ?? `${r.queries} quer${r.queries === 1 ? 'y' : 'ies'}, rcode ${r.rcode ?? '-'}`,
      at: Date.now(),
    });
  };

  const applyPlan = (plan: Plan | undefined): void => {
    const domain = clusterDomainFromSearch(resolv.search, plan?.clusterDomain ?? cfg.clusterDomain);
    const servers = dnsServerTargets(resolv, plan, extra);
    const ipv6 = servers.some((srv) => familyOf(srv.address) === 'ipv6');
    const checks = (cfg.checks ?? defaultChecks(domain, cfg.externalName, ipv6)).map((c) => ({
      ...c,
      query: c.query.replaceAll('{domain}', domain),
    }));
    const jobs: Job[] = [];
    const next = new Map<string, string>();
    for (const srv of servers) {
      for (const check of checks) {
        const key = targetKey(srv, check);
        next.set(key, `${srv.address}:${srv.port}`);
        const labels = targetLabels(node, srv, check);
        // Every result value exists from the start, so rate() and ratios work before the first failure.
        for (const result of RESULTS) {
          m.lookups.inc({ ...labels, result }, 0);
          series.track(key, m.lookups, { ...labels, result });
        }
        series.track(key, m.lookupDuration, labels);
        jobs.push(dnsJob(srv, check, resolv, { interval: cfg.interval, timeout: cfg.timeout }, record));
      }
    }
    // A server that left the plan or moved to another address starts a new streak.
    for (const key of streak.keys()) if (next.get(key) !== live.get(key)) streak.delete(key);
    live = next;
    const keep = new Set(next.keys());
    for (const check of checks) if (check.mode === 'search') keep.add(`check/${check.name}`);
    series.retain(keep);
    rt.history.retain('dns', keep);
    rt.scheduler.setJobs('dns', jobs);
  };

  applyPlan(undefined);
  return {
    name: 'dns',
    applyPlan,
    status: () => ({
      resolvConf: { nameservers: resolv.nameservers, search: resolv.search, ndots: resolv.ndots },
    }),
    stop: () => undefined,
  };
}

interface DnsJobTiming {
  interval: number;
  timeout: number;
}

function dnsJob(
  srv: DnsServerTarget,
  check: DnsCheckConfig,
  resolv: ResolvConf,
  { interval, timeout }: DnsJobTiming,
  record: (srv: DnsServerTarget, check: DnsCheckConfig, r: DnsResult) => void,
): Job {
  // A search lookup may need one query per candidate; each gets the per-query timeout.
  const candidates = check.mode === 'search' ? resolv.search.length + 1 : 1;
  const budget = timeout * Math.min(candidates, 8);
  return {
    key: targetKey(srv, check),
    intervalSeconds: interval,
    timeoutSeconds: budget + 1,
    run: async (signal) => {
      const r = await probeDns(
        {
          server: { address: srv.address, port: srv.port },
          name: check.query,
          type: check.type,
          mode: check.mode,
          search: resolv.search,
          ndots: resolv.ndots,
          timeoutSeconds: budget,
          // A dead server costs one query's timeout, not the whole search budget.
          queryTimeoutSeconds: timeout,
        },
        signal,
      );
      record(srv, check, r);
    },
  };
}
