// The upstream e2e NetworkPolicy model (test/e2e/network/netpol): namespaces x, y, z with pods
// a, b, c each, serving ports 80 and 81 over TCP, UDP and SCTP, and reachability truth tables.
import { compilePolicies, type EngineOptions } from '../../src/policy/engine.js';
import { toPolicyInfo, type NamespaceInfo, type PodInfo, type Protocol } from '../../src/policy/model.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const ALL_PODS = NAMESPACES.flatMap((ns) => POD_NAMES.map((pod) => `${ns}/${pod}`));

/** IPv4 address of a model pod: x/a = 10.1.1.1, y/b = 10.1.2.2 ... */
export function podIp(pod: string): string {
  const [ns = '', name = ''] = pod.split('/');
  return `10.1.${NAMESPACES.indexOf(ns as 'x') + 1}.${POD_NAMES.indexOf(name as 'a') + 1}`;
}

/** IPv6 address of a model pod: x/a = fd00:1::101 ... */
export function podIp6(pod: string): string {
  const [ns = '', name = ''] = pod.split('/');
  return `fd00:1::${NAMESPACES.indexOf(ns as 'x') + 1}0${POD_NAMES.indexOf(name as 'a') + 1}`;
}

export function modelNamespaces(): NamespaceInfo[] {
  return NAMESPACES.map((name) => ({ name, labels: { ns: name, 'kubernetes.io/metadata.name': name } }));
}

export function modelPods(): PodInfo[] {
  return ALL_PODS.map((key) => {
    const [namespace = '', name = ''] = key.split('/');
    const ports = (['TCP', 'UDP', 'SCTP'] as const).flatMap((protocol) =>
      [80, 81].map((port) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, port, protocol })),
    );
    return {
      namespace,
      name,
      labels: { pod: name },
      ips: [podIp(key), podIp6(key)],
      ports,
      phase: 'Running',
    };
  });
}

type Matcher = { namespace?: string; pod?: string };

function matches(m: Matcher, pod: string): boolean {
  const [ns, name] = pod.split('/');
  return (m.namespace === undefined || m.namespace === ns) && (m.pod === undefined || m.pod === name);
}

/** Expected reachability, set like the upstream Reachability helper. */
export interface Truth {
  expectPeer(from: Matcher, to: Matcher, allowed: boolean): Truth;
  expectAllIngress(to: Matcher, allowed: boolean): Truth;
  expectAllEgress(from: Matcher, allowed: boolean): Truth;
  /** "loopback logic follows no policy": call last. */
  allowLoopback(): Truth;
  get(from: string, to: string): boolean;
}

export function truth(defaultAllowed: boolean): Truth {
  const table = new Map<string, boolean>();
  for (const from of ALL_PODS) for (const to of ALL_PODS) table.set(`${from}>${to}`, defaultAllowed);
  const t: Truth = {
    expectPeer(fromM, toM, allowed) {
      for (const from of ALL_PODS)
        for (const to of ALL_PODS)
          if (matches(fromM, from) && matches(toM, to)) table.set(`${from}>${to}`, allowed);
      return t;
    },
    expectAllIngress: (toM, allowed) => t.expectPeer({}, toM, allowed),
    expectAllEgress: (fromM, allowed) => t.expectPeer(fromM, {}, allowed),
    allowLoopback() {
      for (const pod of ALL_PODS) table.set(`${pod}>${pod}`, true);
      return t;
    },
    get: (from, to) => table.get(`${from}>${to}`) ?? false,
  };
  return t;
}

/** A grid as the e2e tests print it: rows are sources, '.' allowed, 'X' denied. */
export function renderGrid(get: (from: string, to: string) => boolean): string {
  const lines = [['-', ...ALL_PODS].join('\t')];
  for (const from of ALL_PODS)
    lines.push([from, ...ALL_PODS.map((to) => (get(from, to) ? '.' : 'X'))].join('\t'));
  return lines.join('\n');
}

/** One port/protocol probe of a scenario and the truth table expected for it. */
export interface Probe {
  port: number | string;
  protocol: Protocol;
  expect: Truth;
}

export interface Scenario {
  name: string;
  /** Raw NetworkPolicy objects (as in YAML), converted with toPolicyInfo. */
  policies: unknown[];
  probes: Probe[];
  options?: EngineOptions;
}

/** The observed grid for one probe. */
export function observe(scenario: Scenario, probe: Probe): string {
  const engine = compilePolicies(
    scenario.policies.map(toPolicyInfo),
    modelNamespaces(),
    modelPods(),
    scenario.options,
  );
  return renderGrid((from, to) => {
    const [fns = '', fpod = ''] = from.split('/');
    const [tns = '', tpod = ''] = to.split('/');
    const verdict = engine.evaluate({
      from: { namespace: fns, pod: fpod },
      to: { namespace: tns, pod: tpod },
      port: probe.port,
      protocol: probe.protocol,
    });
    if (verdict.status === 'unknown') throw new Error(`${from} -> ${to}: ${verdict.reason ?? ''}`);
    return verdict.allowed === true;
  });
}

/** A NetworkPolicy object literal in namespace x unless given. */
export function netpol(name: string, spec: Record<string, unknown>, namespace = 'x'): unknown {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
