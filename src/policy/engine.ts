/**
 * The NetworkPolicy engine: compile once, then evaluate flows. Pure (no I/O).
 * Semantics follow the networking.k8s.io/v1 API documentation; where it leaves behaviour to
 * the network plugin, an option decides (see EngineOptions and docs/policy.md).
 */
import { cidrContains, parseCidr, parseIp, type Cidr, type IpAddress } from './cidr.js';
import type {
  LabelSelector,
  NamespaceInfo,
  PodInfo,
  PolicyInfo,
  PolicyPeer,
  PolicyPort,
  PolicyType,
  Protocol,
} from './model.js';
import { compileSelector, type LabelMatcher } from './selector.js';

/** Behaviour the API leaves to the network plugin. */
export interface EngineOptions {
  /**
   * Whether ipBlock peers match pod IPs. Default false: the API docs say ipBlock "should be
   * cluster-external IPs, since Pod IPs are ephemeral and unpredictable", and plugins differ.
   */
  ipBlockMatchesPods?: boolean;
  /** Whether a pod may always reach itself. Default true: most plugins never filter loopback. */
  allowSelfTraffic?: boolean;
}

/** One end of a flow: a pod by namespace and name, or an IP address. */
export type EndpointRef = { namespace: string; pod: string } | { ip: string };

/** A flow to evaluate; protocol defaults to TCP, a string port is a container port name. */
export interface Flow {
  from: EndpointRef;
  to: EndpointRef;
  port: number | string;
  protocol?: Protocol;
}

/** Direction of one side of a verdict. */
export type Direction = 'egress' | 'ingress';

/** Where a rule allowed the flow: peer/port null when the rule had none (= all). */
export interface RuleMatch {
  policy: string;
  rule: number;
  peer: number | null;
  port: number | null;
}

/** The verdict of one side: egress of the source, or ingress of the destination. */
export interface SideVerdict {
  direction: Direction;
  /** The pod whose policies decide this side; null when that end is not a pod. */
  subject: string | null;
  isolated: boolean;
  /** Policies ("ns/name") that select the subject for this direction. */
  policies: string[];
  allowed: boolean;
  allowedBy: RuleMatch[];
  notes: string[];
}

/** The answer to a flow: allowed, denied, or unknown (could not be evaluated, see reason). */
export interface Verdict {
  from: string;
  to: string;
  port: number | string;
  protocol: Protocol;
  /** The destination port number after resolving a named port. */
  resolvedPort: number | null;
  status: 'allowed' | 'denied' | 'unknown';
  allowed: boolean | null;
  reason?: string;
  egress: SideVerdict;
  ingress: SideVerdict;
  notes: string[];
}

/** A compiled snapshot; evaluate() answers flows, the rest serves lint and explanations. */
export interface PolicyEngine {
  readonly options: Required<EngineOptions>;
  readonly namespaces: readonly NamespaceInfo[];
  readonly pods: readonly PodInfo[];
  readonly policies: readonly PolicyInfo[];
  evaluate(flow: Flow): Verdict;
  findPod(namespace: string, name: string): PodInfo | undefined;
  /** Pods of the namespace matching the selector. */
  podsMatching(namespace: string, selector: LabelSelector): PodInfo[];
  /** Pods a policy selects (its podSelector within its namespace). */
  selectedPods(policy: PolicyInfo): PodInfo[];
  /** Policies selecting the pod that affect the direction. */
  policiesFor(pod: PodInfo, direction: Direction): PolicyInfo[];
  /** Whether any source at all (any pod in the snapshot, or any IP) may reach the pod's port. */
  admitsAnySource(pod: PodInfo, port: number, protocol: Protocol): boolean;
}

// ---- compiled structures

type CompiledPeer =
  { kind: 'pods'; members: Uint8Array; count: number } | { kind: 'ipBlock'; cidr: Cidr; except: Cidr[] };

interface CompiledRule {
  /** null: the rule lists no peers, so it matches all sources/destinations. */
  peers: CompiledPeer[] | null;
  /** null: the rule lists no ports, so it matches all ports and protocols. */
  ports: PolicyPort[] | null;
}

interface CompiledPolicy {
  info: PolicyInfo;
  id: string;
  affects: Record<Direction, boolean>;
  rules: Record<Direction, CompiledRule[]>;
  selected: number[];
}

/** The other end and the port, as one side of a flow sees them. */
interface SideFlow {
  other: Resolved;
  port: PortQuery;
}

interface Resolved {
  label: string;
  /** Index of the pod, or -1 for an address that is not a pod. */
  pod: number;
  ip: IpAddress | undefined;
}

/** The API's defaulting of policyTypes (pkg/apis/networking/v1/defaults.go). */
export function effectivePolicyTypes(policy: PolicyInfo): PolicyType[] {
  // "If this field is not specified, it will default based on the existence of ingress or
  // egress rules; policies that contain an egress section are assumed to affect egress, and
  // all policies (whether or not they contain an ingress section) are assumed to affect
  // ingress." The API server tests len(egress) != 0, so `egress: []` does not imply Egress,
  // and an empty policyTypes list counts as unspecified.
  if (policy.policyTypes && policy.policyTypes.length > 0) return policy.policyTypes;
  return (policy.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function ipKey(ip: IpAddress): string {
  return `${ip.family}:${ip.value.toString(16)}`;
}

function inIpBlock(peer: { cidr: Cidr; except: Cidr[] }, ip: IpAddress): boolean {
  return cidrContains(peer.cidr, ip) && !peer.except.some((ex) => cidrContains(ex, ip));
}

interface Index {
  pods: readonly PodInfo[];
  podIps: (IpAddress | undefined)[][];
  byNamespace: Map<string, number[]>;
  nsLabels: Map<string, Readonly<Record<string, string>>>;
}

/** Pods a selector picks in one namespace; host-network pods are outside NetworkPolicy. */
function matchInNamespace(index: Index, namespace: string, matcher: LabelMatcher): number[] {
  return (index.byNamespace.get(namespace) ?? []).filter((i) => {
    const pod = index.pods[i];
    return pod !== undefined && pod.hostNetwork !== true && matcher(pod.labels);
  });
}

function compilePeer(index: Index, policyNamespace: string, peer: PolicyPeer): CompiledPeer {
  if (peer.ipBlock) {
    const cidr = parseCidr(peer.ipBlock.cidr);
    if (!cidr) throw new Error(`invalid CIDR ${peer.ipBlock.cidr}`); // the converter validated it
    return {
      kind: 'ipBlock',
      cidr,
      except: (peer.ipBlock.except ?? []).flatMap((text) => parseCidr(text) ?? []),
    };
  }
  const podMatcher = compileSelector(peer.podSelector ?? {});
  // podSelector alone: pods in the policy's own namespace. namespaceSelector (alone or with a
  // podSelector, ANDed in one peer): pods in every namespace the namespaceSelector selects.
  let namespaces = [policyNamespace];
  if (peer.namespaceSelector) {
    const nsMatcher = compileSelector(peer.namespaceSelector);
    namespaces = [...index.nsLabels].filter(([, labels]) => nsMatcher(labels)).map(([name]) => name);
  }
  const members = new Uint8Array(index.pods.length);
  let count = 0;
  for (const ns of namespaces) {
    for (const i of matchInNamespace(index, ns, podMatcher)) {
      members[i] = 1;
      count += 1;
    }
  }
  return { kind: 'pods', members, count };
}

function compileRules(index: Index, policy: PolicyInfo, direction: Direction): CompiledRule[] {
  const rules =
    direction === 'ingress'
      ? (policy.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
      : (policy.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
  // "If this field is empty or missing, this rule matches all sources/destinations" and
  // "all ports": both an empty list and a missing one mean "everything".
  return rules.map((r) => ({
    peers: r.peers && r.peers.length > 0 ? r.peers.map((p) => compilePeer(index, policy.namespace, p)) : null,
    ports: r.ports && r.ports.length > 0 ? r.ports : null,
  }));
}

function compilePolicy(index: Index, policy: PolicyInfo): CompiledPolicy {
  const types = effectivePolicyTypes(policy);
  return {
    info: policy,
    id: podKey(policy.namespace, policy.name),
    affects: { ingress: types.includes('Ingress'), egress: types.includes('Egress') },
    rules: { ingress: compileRules(index, policy, 'ingress'), egress: compileRules(index, policy, 'egress') },
    // A policy selects pods only in its own namespace.
    selected: matchInNamespace(index, policy.namespace, compileSelector(policy.podSelector)),
  };
}

function buildIndex(namespaces: readonly NamespaceInfo[], pods: readonly PodInfo[]): Index {
  const byNamespace = new Map<string, number[]>();
  pods.forEach((pod, i) => {
    const list = byNamespace.get(pod.namespace);
    if (list) list.push(i);
    else byNamespace.set(pod.namespace, [i]);
  });
  const nsLabels = new Map(namespaces.map((ns) => [ns.name, ns.labels]));
  // A pod's namespace exists even when the caller did not list it; give it the label the API
  // server sets on every namespace, so namespaceSelectors on that label still work.
  for (const name of byNamespace.keys()) {
    if (!nsLabels.has(name)) nsLabels.set(name, { 'kubernetes.io/metadata.name': name });
  }
  return { pods, byNamespace, nsLabels, podIps: pods.map((pod) => pod.ips.map(parseIp)) };
}

// ---- evaluation helpers

interface PortQuery {
  number: number;
  protocol: Protocol;
  /** The destination pod, whose container ports give named policy ports their number. */
  destination: PodInfo | undefined;
}

function namedPort(pod: PodInfo | undefined, name: string, protocol: Protocol): number | undefined {
  return pod?.ports.find((p) => p.name === name && p.protocol === protocol)?.port;
}

function portMatches(spec: PolicyPort, query: PortQuery, notes: string[]): boolean {
  // "protocol ... If not specified, this field defaults to TCP."
  if ((spec.protocol ?? 'TCP') !== query.protocol) return false;
  if (spec.port === undefined) return true; // "If omitted, this port matches all port numbers"
  if (typeof spec.port === 'number') {
    return spec.endPort === undefined
      ? spec.port === query.number
      : query.number >= spec.port && query.number <= spec.endPort;
  }
  // A named port is a container port name on the destination pod. A destination that does
  // not declare it (or is not a pod) gives the name no number, so the entry matches nothing.
  const resolved = namedPort(query.destination, spec.port, query.protocol);
  if (resolved === undefined) {
    notes.push(
      `named port "${spec.port}"/${query.protocol} is not declared by the destination; that port entry matches nothing`,
    );
    return false;
  }
  return resolved === query.number;
}

/** A verdict side for an end that is not a pod: no policy applies there. */
function openSide(direction: Direction, note: string): SideVerdict {
  return {
    direction,
    subject: null,
    isolated: false,
    policies: [],
    allowed: true,
    allowedBy: [],
    notes: [note],
  };
}

/** Compiles policies over a snapshot once; evaluate() then answers flows. */
export function compilePolicies(
  policies: readonly PolicyInfo[],
  namespaces: readonly NamespaceInfo[],
  pods: readonly PodInfo[],
  options: EngineOptions = {},
): PolicyEngine {
  const opts: Required<EngineOptions> = {
    ipBlockMatchesPods: options.ipBlockMatchesPods ?? false,
    allowSelfTraffic: options.allowSelfTraffic ?? true,
  };
  const index = buildIndex(namespaces, pods);
  const podLabels = pods.map((pod) => podKey(pod.namespace, pod.name));
  const podIndex = new Map<string, Map<string, number>>();
  pods.forEach((pod, i) => {
    const names = podIndex.get(pod.namespace) ?? new Map<string, number>();
    names.set(pod.name, i);
    podIndex.set(pod.namespace, names);
  });
  const indexOf = (pod: { namespace: string; name: string }): number | undefined =>
    podIndex.get(pod.namespace)?.get(pod.name);
  const ipIndex = new Map<string, number>();
  pods.forEach((pod, i) => {
    // Terminal pods' IPs may already belong to another pod; host-network pods share the node's.
    if (pod.terminal === true || pod.hostNetwork === true) return;
    for (const ip of index.podIps[i] ?? []) if (ip) ipIndex.set(ipKey(ip), i);
  });
  const compiled = policies.map((p) => compilePolicy(index, p));
  // Per pod and direction, the policies that select it and affect that direction.
  const selecting: Record<Direction, number[][]> = {
    ingress: pods.map(() => []),
    egress: pods.map(() => []),
  };
  compiled.forEach((policy, pi) => {
    for (const direction of ['ingress', 'egress'] as const) {
      if (!policy.affects[direction]) continue;
      for (const i of policy.selected) selecting[direction][i]?.push(pi);
    }
  });

  function peerMatches(peer: CompiledPeer, other: Resolved): boolean {
    if (peer.kind === 'pods') return other.pod >= 0 && peer.members[other.pod] === 1;
    if (other.pod < 0) return other.ip !== undefined && inIpBlock(peer, other.ip);
    // A host-network pod's traffic is the node's: only an ipBlock holding the node IP matches it.
    if (!opts.ipBlockMatchesPods && pods[other.pod]?.hostNetwork !== true) return false;
    return (index.podIps[other.pod] ?? []).some((ip) => ip !== undefined && inIpBlock(peer, ip));
  }

  // Plain loops, no closures: evaluate() runs a million times for a reachability matrix.
  function firstPeer(peers: CompiledPeer[], other: Resolved): number {
    for (let i = 0; i < peers.length; i += 1) {
      const peer = peers[i];
      if (peer && peerMatches(peer, other)) return i;
    }
    return -1;
  }

  function firstPort(ports: PolicyPort[], port: PortQuery, notes: string[]): number {
    for (let i = 0; i < ports.length; i += 1) {
      const spec = ports[i];
      if (spec && portMatches(spec, port, notes)) return i;
    }
    return -1;
  }

  function collectMatches(
    policy: CompiledPolicy,
    direction: Direction,
    flow: SideFlow,
    side: SideVerdict,
  ): void {
    const rules = policy.rules[direction];
    for (let ri = 0; ri < rules.length; ri += 1) {
      const rule = rules[ri];
      if (!rule) continue;
      const peer = rule.peers === null ? null : firstPeer(rule.peers, flow.other);
      if (peer === -1) continue;
      const port = rule.ports === null ? null : firstPort(rule.ports, flow.port, side.notes);
      if (port === -1) continue;
      side.allowedBy.push({ policy: policy.id, rule: ri, peer, port });
    }
  }

  function evaluateSide(direction: Direction, subject: Resolved, flow: SideFlow): SideVerdict {
    if (subject.pod < 0)
      return openSide(direction, `${subject.label} is not a pod; no ${direction} policy applies`);
    const chosen = selecting[direction][subject.pod] ?? [];
    const side: SideVerdict = {
      direction,
      subject: subject.label,
      isolated: chosen.length > 0,
      policies: [],
      allowed: chosen.length === 0,
      allowedBy: [],
      notes: [],
    };
    for (const pi of chosen) {
      const policy = compiled[pi];
      if (!policy) continue;
      side.policies.push(policy.id);
      // Additive: the flow is allowed when any rule of any selecting policy allows it.
      collectMatches(policy, direction, flow, side);
    }
    if (side.isolated) side.allowed = side.allowedBy.length > 0;
    if (side.notes.length > 1) side.notes = [...new Set(side.notes)];
    return side;
  }

  function resolve(ref: EndpointRef): Resolved | string {
    if ('ip' in ref) {
      const ip = parseIp(ref.ip);
      if (!ip) return `invalid IP address ${JSON.stringify(ref.ip)}`;
      const pod = ipIndex.get(ipKey(ip)) ?? -1;
      return { label: podLabels[pod] ?? ref.ip, pod, ip };
    }
    const pod = podIndex.get(ref.namespace)?.get(ref.pod);
    if (pod === undefined) return `unknown pod ${podKey(ref.namespace, ref.pod)}`;
    return { label: podLabels[pod] ?? '', pod, ip: index.podIps[pod]?.[0] };
  }

  function unknown(flow: Flow, reason: string, labels: { from: string; to: string }): Verdict {
    const side = (direction: Direction): SideVerdict => ({
      direction,
      subject: null,
      isolated: false,
      policies: [],
      allowed: false,
      allowedBy: [],
      notes: [],
    });
    return {
      ...labels,
      port: flow.port,
      protocol: flow.protocol ?? 'TCP',
      resolvedPort: null,
      status: 'unknown',
      allowed: null,
      reason,
      egress: side('egress'),
      ingress: side('ingress'),
      notes: [],
    };
  }

  /** The end as the caller named it (an IP stays an IP even when it is a pod's). */
  function refLabel(ref: EndpointRef, resolved: Resolved | string): string {
    if ('ip' in ref) return ref.ip;
    return typeof resolved === 'string' ? podKey(ref.namespace, ref.pod) : resolved.label;
  }

  function evaluate(flow: Flow): Verdict {
    const protocol = flow.protocol ?? 'TCP';
    const from = resolve(flow.from);
    const to = resolve(flow.to);
    const labels = { from: refLabel(flow.from, from), to: refLabel(flow.to, to) };
    if (typeof from === 'string') return unknown(flow, from, labels);
    if (typeof to === 'string') return unknown(flow, to, labels);
    const destination = to.pod >= 0 ? pods[to.pod] : undefined;
    const number = typeof flow.port === 'number' ? flow.port : namedPort(destination, flow.port, protocol);
    if (number === undefined) {
      return unknown(
        flow,
        `destination ${to.label} declares no container port named "${flow.port}"/${protocol}`,
        labels,
      );
    }
    const port: PortQuery = { number, protocol, destination };
    const notes: string[] = [];
    if ('ip' in flow.from && from.pod >= 0) notes.push(`source ${labels.from} is pod ${from.label}`);
    if ('ip' in flow.to && to.pod >= 0) notes.push(`destination ${labels.to} is pod ${to.label}`);
    // Egress is decided by the source pod's policies, ingress by the destination pod's.
    const egress = evaluateSide('egress', from, { other: to, port });
    const ingress = evaluateSide('ingress', to, { other: from, port });
    let allowed = egress.allowed && ingress.allowed;
    if (!allowed && opts.allowSelfTraffic && from.pod >= 0 && from.pod === to.pod) {
      allowed = true;
      notes.push('a pod reaching itself is not filtered (allowSelfTraffic)');
    }
    const status = allowed ? 'allowed' : 'denied';
    return {
      from: labels.from,
      to: labels.to,
      port: flow.port,
      protocol,
      resolvedPort: number,
      status,
      allowed,
      egress,
      ingress,
      notes,
    };
  }

  function admitsAnySource(pod: PodInfo, port: number, protocol: Protocol): boolean {
    const i = indexOf(pod);
    if (i === undefined) return false;
    const chosen = selecting.ingress[i] ?? [];
    if (chosen.length === 0) return true;
    const query: PortQuery = { number: port, protocol, destination: pod };
    return chosen.some((pi) =>
      (compiled[pi]?.rules.ingress ?? []).some(
        (rule) =>
          (rule.ports === null || rule.ports.some((p) => portMatches(p, query, []))) &&
          (rule.peers === null || rule.peers.some((peer) => peer.kind === 'ipBlock' || peer.count > 0)),
      ),
    );
  }

  return {
    options: opts,
    namespaces,
    pods,
    policies,
    evaluate,
    findPod: (namespace, name) => {
      const i = indexOf({ namespace, name });
      return i === undefined ? undefined : pods[i];
    },
    podsMatching: (namespace, selector) =>
      matchInNamespace(index, namespace, compileSelector(selector)).flatMap((i) => pods[i] ?? []),
    selectedPods: (policy) => {
      const found = compiled.find((c) => c.info === policy) ?? compilePolicy(index, policy);
      return found.selected.flatMap((i) => pods[i] ?? []);
    },
    policiesFor: (pod, direction) => {
      const i = indexOf(pod);
      return i === undefined ? [] : (selecting[direction][i] ?? []).flatMap((pi) => compiled[pi]?.info ?? []);
    },
    admitsAnySource,
  };
}
