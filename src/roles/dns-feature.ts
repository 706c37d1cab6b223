import { readFileSync } from 'node:fs';
import type { DnsCheckConfig } from '../config/schema.js';
import { DnsRecorder, type DnsTarget } from '../metrics/record.js';
import { probeDns, type DnsResult } from '../probers/dns.js';
import { clusterDomainFromSearch, parseResolvConf, type ResolvConf } from '../probers/resolv.js';
import type { Plan } from '../plan/schema.js';
import { TargetSet } from '../runner/targets.js';
import { familyOf } from '../net/address.js';
import type { NodeFeature } from './node.js';
import type { Runtime } from './runtime.js';

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

function targetLabels(node: string, srv: DnsServerTarget, check: DnsCheckConfig): DnsTarget['labels'] {
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

/** The DNS feature of the node role: one target per (server, check). */
export function createDnsFeature(rt: Runtime): NodeFeature {
  const cfg = rt.config.node.dns;
  const node = rt.config.node.name || 'standalone';
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
  const recorder = new DnsRecorder(rt.metrics.dns, rt.history);
  const targets = new TargetSet<DnsTarget, DnsResult>('dns', rt.scheduler, recorder);
  const timing = { interval: cfg.interval, timeout: cfg.timeout };

  const applyPlan = (plan: Plan | undefined): void => {
    const domain = clusterDomainFromSearch(resolv.search, plan?.clusterDomain ?? cfg.clusterDomain);
    const servers = dnsServerTargets(resolv, plan, extra);
    const ipv6 = servers.some((srv) => familyOf(srv.address) === 'ipv6');
    const checks = (cfg.checks ?? defaultChecks(domain, cfg.externalName, ipv6)).map((c) => ({
      ...c,
      query: c.query.replaceAll('{domain}', domain),
    }));
    targets.set(servers.flatMap((srv) => checks.map((check) => dnsTarget(node, srv, check, resolv, timing))));
    recorder.retainChecks(checks.filter((c) => c.mode === 'search').map((c) => c.name));
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

function dnsTarget(
  node: string,
  srv: DnsServerTarget,
  check: DnsCheckConfig,
  resolv: ResolvConf,
  { interval, timeout }: DnsJobTiming,
): DnsTarget {
  // A search lookup may need one query per candidate; each gets the per-query timeout.
  const candidates = check.mode === 'search' ? resolv.search.length + 1 : 1;
  const budget = timeout * Math.min(candidates, 8);
  return {
    key: targetKey(srv, check),
    // The address is part of it: a server that kept its name but moved is another target.
    where: `${srv.address}:${srv.port}`,
    labels: targetLabels(node, srv, check),
    check,
    intervalSeconds: interval,
    timeoutSeconds: budget + 1,
    probe: (signal) =>
      probeDns(
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
      ),
  };
}
