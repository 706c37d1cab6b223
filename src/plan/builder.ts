import type { Config } from '../config/schema.js';
import type { EndpointSliceP, PodP, ServiceP } from '../kube/projections.js';
import { familyOf } from '../net/address.js';
import { PLAN_VERSION, type Plan, type PlanDnsServer, type PlanPath } from './schema.js';

/** What the builder reads from the cache. */
export interface PlanInputs {
  services: readonly ServiceP[];
  endpointSlices: readonly EndpointSliceP[];
  pods: readonly PodP[];
}

/** The expected verdict of a path for the node agents, and what decided it. */
export interface Expectation {
  expected: PlanPath['expected'];
  decidedBy: string;
}

/** A path target the expectation function is asked about. */
export interface PathQuery {
  kind: PlanPath['kind'] | 'neighbour' | 'sentinel';
  address: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Set when the target is a Service: the expectation covers all its backends. */
  service?: { namespace: string; name: string };
}

/** Asks the policy engine; the default knows nothing. */
export type ExpectFn = (q: PathQuery) => Expectation;

const unknownExpectation: ExpectFn = () => ({ expected: 'unknown', decidedBy: 'no policy engine' });

function splitRef(ref: string): [string, string] {
  const [ns = '', name = ''] = ref.split('/');
  return [ns, name];
}

function findService(inputs: PlanInputs, namespace: string, name: string): ServiceP | undefined {
  return inputs.services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
}

/**
 * The kube-dns Service and each ready CoreDNS replica from its EndpointSlices (pod name as the label).
 * A replica that is not ready (starting, failing its readiness probe, terminating) gets no queries
 * through the Service, so probing it would only page for what Kubernetes already reports.
 */
export function dnsServers(inputs: PlanInputs, dnsService: string): PlanDnsServer[] {
  const [ns, name] = splitRef(dnsService);
  const out: PlanDnsServer[] = [];
  const svc = findService(inputs, ns, name);
  // The Service's own DNS port (53 in every real cluster; the unprivileged sandbox uses another).
  const svcPort = svc?.ports.find((p) => p.protocol === 'UDP')?.port ?? 53;
  // A dual-stack Service has one ClusterIP per family: each is its own path through kube-proxy.
  for (const ip of serviceIPs(svc)) out.push({ name, via: 'service', address: ip, port: svcPort });
  // A dual-stack replica is in one slice per family and is probed in each; within a family the
  // first slice by name wins, so the plan never depends on the informer's order.
  const seen = new Set<string>();
  const slices = inputs.endpointSlices
    .filter((s) => s.metadata.namespace === ns && s.serviceName === name)
    .filter((s) => s.addressType === 'IPv4' || s.addressType === 'IPv6')
    .sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  for (const slice of slices) {
    const dnsPort = slice.ports.find((p) => p.protocol === 'UDP')?.port ?? 53;
    for (const ep of slice.endpoints) {
      const addr = ep.addresses[0];
      if (!addr || !ep.ready) continue;
      const replica = ep.targetPod ?? addr;
      const key = `${replica}/${familyOf(addr)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: replica, via: 'replica', address: addr, port: dnsPort });
    }
  }
  // Service first, then by name, IPv4 before IPv6 within a name.
  return out.sort(
    (a, b) =>
      Number(a.via !== 'service') - Number(b.via !== 'service') ||
      compareStrings(a.name, b.name) ||
      compareStrings(familyOf(a.address), familyOf(b.address)),
  );
}

/** A Service's ClusterIPs, one per family (spec.clusterIPs); none for a headless Service. */
function serviceIPs(svc: ServiceP | undefined): string[] {
  const ips = (svc?.clusterIPs ?? []).filter((ip) => ip !== '' && ip !== 'None');
  const byFamily = new Map<string, string>();
  for (const ip of ips) if (!byFamily.has(familyOf(ip))) byFamily.set(familyOf(ip), ip);
  return [...byFamily.values()];
}

/**
 * Node agents: running pods of netprobe's node role, one per node, sorted by node name. When a node
 * has two (a rolling update), the ready one wins, then the first by name: never the input order.
 */
export function agentList(inputs: PlanInputs, config: Config): Plan['agents']['list'] {
  const { namespace, agentLabels } = config.cluster;
  const byNode = new Map<string, PodP>();
  for (const pod of inputs.pods) {
    if (pod.metadata.namespace !== namespace || pod.terminating || pod.phase !== 'Running') continue;
    if (!Object.entries(agentLabels).every(([k, v]) => pod.metadata.labels[k] === v)) continue;
    if (!pod.ips[0] || !pod.nodeName) continue;
    const other = byNode.get(pod.nodeName);
    if (!other || preferAgent(pod, other)) byNode.set(pod.nodeName, pod);
  }
  return [...byNode.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([node, pod]) => agentEntry(node, pod.ips));
}

/** An agent's primary pod IP, plus all its IPs (one per family) when it is dual-stack. */
function agentEntry(node: string, ips: readonly string[]): Plan['agents']['list'][number] {
  const perFamily = new Map<string, string>();
  for (const ip of ips) if (!perFamily.has(familyOf(ip))) perFamily.set(familyOf(ip), ip);
  const address = ips[0] ?? '';
  return perFamily.size > 1 ? { node, address, addresses: [...perFamily.values()] } : { node, address };
}

function preferAgent(a: PodP, b: PodP): boolean {
  if (a.ready !== b.ready) return a.ready;
  return compareStrings(a.metadata.name, b.metadata.name) < 0;
}

// Code-point order: localeCompare depends on the process locale, and the plan must not.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dnsEgressPaths(servers: PlanDnsServer[], expect: ExpectFn, dnsService: string): PlanPath[] {
  const [ns, name] = splitRef(dnsService);
  return servers.flatMap((s) =>
    (['UDP', 'TCP'] as const).map((protocol) => {
      const q: PathQuery = { kind: 'dns-egress', address: s.address, port: s.port, protocol };
      if (s.via === 'service') q.service = { namespace: ns, name };
      return {
        name: `dns-${protocol.toLowerCase()}-${s.name}`,
        kind: 'dns-egress' as const,
        address: s.address,
        port: s.port,
        protocol,
        check: protocol === 'UDP' ? ('dns' as const) : ('connect' as const),
        ...expect(q),
      };
    }),
  );
}

function apiserverPath(inputs: PlanInputs, expect: ExpectFn): PlanPath[] {
  const svc = findService(inputs, 'default', 'kubernetes');
  if (!svc) return [];
  const port = svc.ports.find((p) => p.name === 'https')?.port ?? svc.ports[0]?.port ?? 443;
  return serviceIPs(svc).map((ip) => {
    const q: PathQuery = {
      kind: 'apiserver',
      address: ip,
      port,
      protocol: 'TCP',
      service: { namespace: 'default', name: 'kubernetes' },
    };
    return {
      name: 'apiserver',
      kind: 'apiserver' as const,
      address: ip,
      port,
      protocol: 'TCP' as const,
      check: 'connect' as const,
      ...expect(q),
    };
  });
}

function declaredPaths(inputs: PlanInputs, config: Config, expect: ExpectFn): PlanPath[] {
  const out: PlanPath[] = [];
  for (const d of config.cluster.paths) {
    let addresses: string[];
    let port: number;
    let service: PathQuery['service'];
    if ('service' in d.to) {
      const [ns, name] = splitRef(d.to.service);
      const svc = findService(inputs, ns, name);
      const wanted = d.to.port;
      const sp = svc?.ports.find((p) => p.port === wanted || p.name === wanted);
      addresses = serviceIPs(svc);
      // A declared path to a Service that does not exist (yet) is left out until it does.
      if (!svc || !sp || addresses.length === 0) continue;
      port = sp.port;
      service = { namespace: ns, name };
    } else {
      addresses = [d.to.host];
      port = d.to.port;
    }
    for (const address of addresses) {
      const q: PathQuery = {
        kind: 'declared',
        address,
        port,
        protocol: d.protocol,
        ...(service ? { service } : {}),
      };
      const e = d.expect === 'auto' ? expect(q) : { expected: d.expect, decidedBy: 'declared in config' };
      const check = d.httpPayloadBytes !== undefined ? 'http' : d.protocol === 'UDP' ? 'dns' : 'connect';
      out.push({
        name: d.name,
        kind: 'declared',
        address,
        port,
        protocol: d.protocol,
        check,
        ...e,
        ...(d.httpPayloadBytes !== undefined ? { httpPayloadBytes: d.httpPayloadBytes } : {}),
      });
    }
  }
  return out;
}

/** Builds the plan content from the cache (generation is assigned by the publisher). */
export function buildPlan(inputs: PlanInputs, config: Config, expect: ExpectFn = unknownExpectation): Plan {
  const servers = dnsServers(inputs, config.cluster.dnsService);
  const agents = agentList(inputs, config);
  const neighbour = expect({
    kind: 'neighbour',
    address: '',
    port: config.node.neighbourPort,
    protocol: 'TCP',
  });
  const sentinel = expect({ kind: 'sentinel', address: '', port: config.node.sentinelPort, protocol: 'TCP' });
  return {
    version: PLAN_VERSION,
    generation: 0,
    generatedAt: '',
    clusterDomain: config.node.dns.clusterDomain,
    dns: { servers },
    agents: {
      port: config.node.neighbourPort,
      sentinelPort: config.node.sentinelPort,
      neighbourExpected: neighbour.expected === 'mixed' ? 'unknown' : neighbour.expected,
      sentinelExpected: sentinel.expected === 'mixed' ? 'unknown' : sentinel.expected,
      ring: { k: config.cluster.neighbours, vnodes: 1 },
      list: agents,
    },
    paths: [
      ...dnsEgressPaths(servers, expect, config.cluster.dnsService),
      ...apiserverPath(inputs, expect),
      ...declaredPaths(inputs, config, expect),
    ],
  };
}

/** The part of a plan that decides whether it changed (generation and timestamp excluded). */
export function planContentKey(plan: Plan): string {
  return JSON.stringify({ ...plan, generation: 0, generatedAt: '' });
}
