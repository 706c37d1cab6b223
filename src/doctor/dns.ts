import type { Config } from '../config/schema.js';
import { dnsServers } from '../plan/builder.js';
import type { PlanDnsServer } from '../plan/schema.js';
import { probeDns, type DnsResult } from '../probers/dns.js';
import { kubectl, sliceCommand } from './commands.js';
import { missingInput, type ClusterView } from './cluster-view.js';
import { emptyOutcome, type DoctorFinding, type ObjectRef, type StageOutcome } from './types.js';

/**
 * A server is slow when the median of its successful lookups exceeds both this floor and
 * SLOW_FACTOR times the median of the fastest replica: the floor keeps sub-millisecond jitter
 * between healthy replicas from counting, the factor keeps a uniformly distant cluster (doctor
 * run from far away) from flagging every replica.
 */
export const SLOW_FLOOR_SECONDS = 0.1;
export const SLOW_FACTOR = 3;

/** How many lookups each server gets (a median needs a few). */
export const DNS_LOOKUPS = 5;

/** What the DNS stage needs besides the cluster. */
export interface DnsStageOptions {
  config: Config;
  lookups?: number;
}

/** The lookups of one server and what they add up to. */
export interface ServerSample {
  server: PlanDnsServer;
  results: DnsResult[];
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid] ?? 0;
  return s.length % 2 === 1 ? hi : ((s[mid - 1] ?? 0) + hi) / 2;
}

const good = (r: DnsResult): boolean => r.outcome === 'success' && r.answers > 0;
const answered = (r: DnsResult): boolean => r.outcome !== 'timeout' && r.outcome !== 'error';

/** Median duration of a server's good lookups, in seconds. */
export function medianSeconds(sample: ServerSample): number | undefined {
  return median(sample.results.filter(good).map((r) => r.durationSeconds));
}

/** The slowness threshold for a set of samples: max(floor, factor x fastest replica's median). */
export function slowThreshold(samples: readonly ServerSample[]): number {
  const medians = samples
    .filter((s) => s.server.via === 'replica')
    .map(medianSeconds)
    .filter((m): m is number => m !== undefined);
  const fastest = medians.length === 0 ? 0 : Math.min(...medians);
  return Math.max(SLOW_FLOOR_SECONDS, SLOW_FACTOR * fastest);
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}

function outcomeText(results: DnsResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) {
    if (good(r)) continue;
    const key = r.outcome === 'success' ? 'no A record' : r.outcome;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

interface Target {
  ref: ObjectRef;
  label: string;
  next: string;
}

function targetOf(server: PlanDnsServer, dnsNs: string, dnsName: string): Target {
  if (server.via === 'service')
    return {
      ref: { kind: 'Service', namespace: dnsNs, name: dnsName },
      label: `the ${dnsName} Service (${server.address}:${server.port})`,
      next: sliceCommand(dnsNs, dnsName),
    };
  return {
    ref: { kind: 'Pod', namespace: dnsNs, name: server.name },
    label: `replica ${server.name} (${server.address}:${server.port})`,
    next: kubectl(dnsNs, 'logs', server.name, '--tail=50'),
  };
}

function serverCount(samples: readonly ServerSample[], dnsName: string): string {
  const replicas = samples.filter((s) => s.server.via === 'replica').length;
  const service = samples.some((s) => s.server.via === 'service');
  return `${service ? `the ${dnsName} Service and ` : ''}${replicas} replica(s)`;
}

/** Findings from the samples: failing, flaky and slow servers (pure, for tests). */
export function judgeDns(
  samples: readonly ServerSample[],
  fqdn: string,
  dnsService: string,
): DoctorFinding[] {
  const [dnsNs = '', dnsName = ''] = dnsService.split('/');
  const findings: DoctorFinding[] = [];
  const make = (s: ServerSample, f: Omit<DoctorFinding, 'stage' | 'object' | 'next'>): DoctorFinding => {
    const t = targetOf(s.server, dnsNs, dnsName);
    return { ...f, stage: 'dns', object: t.ref, next: t.next };
  };
  if (samples.length > 0 && samples.every((s) => !s.results.some(answered))) {
    return [
      {
        severity: 'warning',
        stage: 'dns',
        code: 'dns-unreachable-from-here',
        object: { kind: 'Service', namespace: dnsNs, name: dnsName },
        problem: `no DNS server answered (${serverCount(samples, dnsName)}): either DNS is down or this machine cannot reach cluster IPs`,
        why: 'if DNS is down, every pod fails to resolve names; run doctor inside the cluster to tell the two apart',
        next: kubectl(dnsNs, 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'wide'),
      },
    ];
  }
  // Every server answers, and every answer is NXDOMAIN: the servers work, the name is wrong. The
  // usual cause is a cluster domain other than the one doctor assumed (node.dns.clusterDomain).
  const all = samples.flatMap((s) => s.results);
  if (all.length > 0 && all.every((r) => r.outcome === 'nxdomain')) {
    return [
      {
        severity: 'warning',
        stage: 'dns',
        code: 'dns-cluster-domain-mismatch',
        object: { kind: 'Service', namespace: dnsNs, name: dnsName },
        problem: `every DNS server answers NXDOMAIN for ${fqdn}: the cluster domain is probably not ${fqdn.split('.svc.')[1] ?? fqdn}`,
        why: 'doctor could not judge DNS health; set node.dns.clusterDomain in --config to the cluster domain',
        next: kubectl(dnsNs, 'get', 'configmap', 'coredns', '-o', 'yaml'),
      },
    ];
  }
  const threshold = slowThreshold(samples);
  for (const s of samples) {
    const t = targetOf(s.server, dnsNs, dnsName);
    const bad = s.results.filter((r) => !good(r));
    if (bad.length === s.results.length && s.results.length > 0) {
      findings.push(
        make(s, {
          severity: 'critical',
          code: 'dns-server-failing',
          problem: `${t.label} failed every lookup of ${fqdn} (${outcomeText(s.results)})`,
          why:
            s.server.via === 'service'
              ? 'pods resolve names through this Service: name lookups fail cluster-wide now'
              : 'the replica is still an endpoint of the DNS Service, so a share of all lookups fails or waits for a retry',
        }),
      );
      continue;
    }
    if (bad.length > 0) {
      findings.push(
        make(s, {
          severity: 'warning',
          code: 'dns-server-flaky',
          problem: `${t.label} failed ${bad.length} of ${s.results.length} lookups of ${fqdn} (${outcomeText(s.results)})`,
          why: 'some name lookups fail or wait for a retry (seconds of delay for the application)',
        }),
      );
    }
    const m = medianSeconds(s);
    if (m !== undefined && m > threshold) {
      findings.push(
        make(s, {
          severity: 'warning',
          code: 'dns-server-slow',
          problem: `${t.label} answers slowly: median ${ms(m)} over ${s.results.length} lookups (threshold ${ms(threshold)}: ${SLOW_FACTOR}x the fastest replica, at least ${ms(SLOW_FLOOR_SECONDS)})`,
          why: 'every lookup it serves adds this delay to the request that needed it',
        }),
      );
    }
  }
  return findings;
}

async function sample(
  server: PlanDnsServer,
  fqdn: string,
  lookups: number,
  timeoutSeconds: number,
): Promise<ServerSample> {
  const results: DnsResult[] = [];
  // Sequential: lookups of one server must not queue behind each other and skew its median.
  for (let i = 0; i < lookups; i++) {
    results.push(
      await probeDns(
        {
          server: { address: server.address, port: server.port },
          name: fqdn,
          type: 'A',
          mode: 'fqdn',
          search: [],
          ndots: 1,
          timeoutSeconds,
        },
        AbortSignal.timeout(timeoutSeconds * 1000 + 500),
      ),
    );
  }
  return { server, results };
}

/**
 * Stage 4: DNS from where doctor runs: the DNS Service's ClusterIP and each CoreDNS endpoint (from
 * its EndpointSlices, as the probe plan finds them) are asked for kubernetes.default.svc.<domain>.
 */
export async function checkDns(view: ClusterView, opts: DnsStageOptions): Promise<StageOutcome> {
  const out = emptyOutcome();
  const missing = missingInput(view, ['services', 'endpointslices']);
  if (missing !== undefined) {
    out.skipped.push({ stage: 'dns', check: 'DNS', reason: missing });
    return out;
  }
  const dnsService = opts.config.cluster.dnsService;
  const [ns = '', name = ''] = dnsService.split('/');
  const servers = dnsServers(
    { services: view.services, endpointSlices: view.slices, pods: view.pods },
    dnsService,
  );
  if (!servers.some((s) => s.via === 'service')) {
    out.findings.push({
      severity: 'warning',
      stage: 'dns',
      code: 'dns-service-not-found',
      object: { kind: 'Service', namespace: ns, name },
      problem: `the DNS Service ${dnsService} does not exist or has no ClusterIP`,
      why: 'pods resolve names through it; if the cluster DNS Service has another name, set cluster.dnsService',
      next: kubectl('', 'get', 'services', '-A', '-l', 'k8s-app=kube-dns'),
    });
  }
  if (servers.length === 0) return out;
  const fqdn = `kubernetes.default.svc.${opts.config.node.dns.clusterDomain}`;
  const lookups = opts.lookups ?? DNS_LOOKUPS;
  const samples = await Promise.all(
    servers.map((s) => sample(s, fqdn, lookups, opts.config.node.dns.timeout)),
  );
  out.findings.push(...judgeDns(samples, fqdn, dnsService));
  return out;
}
