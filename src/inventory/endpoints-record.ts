import type { EndpointP, EndpointSliceP, PodP, ServiceP } from '../kube/projections.js';
import type { Metrics } from '../metrics/catalog.js';

/**
 * Pure part of the Service endpoint inventory: what one Service's series should be, given its
 * EndpointSlices and the pods its selector matches, and how to write (and later remove) them.
 */

/** Endpoint counts of one Service by state. */
export interface EndpointCounts {
  ready: number;
  not_ready: number;
  terminating_serving: number;
  terminating: number;
}

/** The state names, in the order they are exported. */
export const ENDPOINT_STATES = ['ready', 'not_ready', 'terminating_serving', 'terminating'] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

/**
 * One endpoint's state from its conditions, as discovery.k8s.io/v1 defines them (nil values are
 * resolved in the projection: ready nil is true, serving nil defers to ready, terminating nil is
 * false). A terminating endpoint is terminating_serving while serving is true (graceful shutdown,
 * traffic still arriving), else terminating; otherwise ready decides.
 */
export function endpointState(e: EndpointP): EndpointState {
  if (e.terminating) return e.serving ? 'terminating_serving' : 'terminating';
  return e.ready ? 'ready' : 'not_ready';
}

// When one endpoint is listed twice with different states (two slices during a rollout, or a
// dual-stack pod whose IPv4 and IPv6 entries disagree), the more alarming state wins: a pod that
// should serve and does not (not_ready) over one leaving without serving, over one leaving while
// still serving, over ready. The per-family counts show the disagreement itself.
const ALARM: Record<EndpointState, number> = {
  ready: 0,
  terminating_serving: 1,
  terminating: 2,
  not_ready: 3,
};

function worse(a: EndpointState | undefined, b: EndpointState): EndpointState {
  return a === undefined || ALARM[b] > ALARM[a] ? b : a;
}

// A dual-stack pod appears once in the IPv4 slice and once in the IPv6 slice: the pod is the identity.
function endpointKey(e: EndpointP): string | undefined {
  if (e.targetPod !== undefined) return `pod:${e.targetPod}`;
  return e.addresses.length > 0 ? `ip:${e.addresses.join(',')}` : undefined;
}

const zeroCounts = (): EndpointCounts => ({ ready: 0, not_ready: 0, terminating_serving: 0, terminating: 0 });

/** Endpoint counts of one address family (slice addressType) of a Service. */
export interface FamilyCounts {
  family: string;
  counts: EndpointCounts;
}

/** Distinct endpoints by state, and per family when the families disagree about an endpoint. */
export interface EndpointTally {
  total: EndpointCounts;
  /** Empty unless some endpoint's state differs between address families. */
  byFamily: FamilyCounts[];
}

/** Counts the distinct endpoints of a Service's slices by state, per family where families disagree. */
export function tallyEndpoints(slices: Iterable<EndpointSliceP>): EndpointTally {
  const seen = new Map<string, Map<string, EndpointState>>();
  for (const slice of slices) {
    for (const e of slice.endpoints) {
      const key = endpointKey(e);
      if (key === undefined) continue;
      const families = seen.get(key) ?? new Map<string, EndpointState>();
      families.set(slice.addressType, worse(families.get(slice.addressType), endpointState(e)));
      seen.set(key, families);
    }
  }
  const total = zeroCounts();
  const perFamily = new Map<string, EndpointCounts>();
  let disagree = false;
  for (const families of seen.values()) {
    const states = [...families.values()];
    if (new Set(states).size > 1) disagree = true;
    total[states.reduce<EndpointState | undefined>(worse, undefined) ?? 'not_ready']++;
    for (const [family, state] of families) {
      const counts = perFamily.get(family) ?? zeroCounts();
      counts[state]++;
      perFamily.set(family, counts);
    }
  }
  const byFamily = disagree
    ? [...perFamily].sort(([a], [b]) => a.localeCompare(b)).map(([family, counts]) => ({ family, counts }))
    : [];
  return { total, byFamily };
}

/** Counts the distinct endpoints of a Service's slices by state. */
export function countEndpoints(slices: Iterable<EndpointSliceP>): EndpointCounts {
  return tallyEndpoints(slices).total;
}

/** True when every selector pair is among the labels ("An empty label selector matches all objects"; callers keep {} out). */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** Pods that count for a selector: Succeeded and Failed pods never become endpoints again. */
export function isCountedPod(pod: PodP): boolean {
  return pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/** The `port` label of a Service port: its name, or its number when unnamed. */
export function portLabel(port: ServiceP['ports'][number]): string {
  return port.name !== '' ? port.name : String(port.port);
}

/** Labels of netprobe_service_info other than namespace and service. */
export interface InfoLabels {
  type: string;
  selector: 'true' | 'false';
  headless: 'true' | 'false';
}

/** Everything exported for one Service. */
export interface ServiceSummary {
  namespace: string;
  service: string;
  info: InfoLabels;
  endpoints: EndpointCounts;
  /** Per-family counts, only while a dual-stack Service's families disagree about an endpoint. */
  families: FamilyCounts[];
  /** null for a Service without a selector (its endpoints are managed by hand). */
  selectorPods: number | null;
  /** One entry per named targetPort: port label and 1 when no matching pod declares that port. */
  unresolved: Array<{ port: string; value: 0 | 1 }>;
}

/**
 * Summarises one Service. `pods` are the counted pods its selector matches (ignored without a selector).
 *
 * netprobe_service_target_port_unresolved is exported 0 or 1 for every named targetPort, so that
 * "the series exists" tells the check ran; the extra cardinality is bounded by named Service ports.
 * With no matching pod it is 0: nothing can be judged, and selector_pods == 0 already says what is
 * wrong (one cause, one alert). Like the endpoints controller, a name resolves only with the same protocol.
 */
export function summarizeService(
  svc: ServiceP,
  slices: Iterable<EndpointSliceP>,
  pods: readonly PodP[],
): ServiceSummary {
  const hasSelector = svc.selector !== null;
  const unresolved: ServiceSummary['unresolved'] = [];
  if (hasSelector) {
    for (const p of svc.ports) {
      if (typeof p.targetPort !== 'string') continue;
      const name = p.targetPort;
      const declared =
        pods.length === 0 ||
        pods.some((pod) => pod.ports.some((cp) => cp.name === name && cp.protocol === p.protocol));
      unresolved.push({ port: portLabel(p), value: declared ? 0 : 1 });
    }
  }
  return {
    namespace: svc.metadata.namespace,
    service: svc.metadata.name,
    info: {
      type: svc.type,
      selector: hasSelector ? 'true' : 'false',
      headless: svc.headless ? 'true' : 'false',
    },
    ...endpointSeries(slices),
    selectorPods: hasSelector ? pods.length : null,
    unresolved,
  };
}

function endpointSeries(slices: Iterable<EndpointSliceP>): Pick<ServiceSummary, 'endpoints' | 'families'> {
  const t = tallyEndpoints(slices);
  return { endpoints: t.total, families: t.byFamily };
}

/** What was last written for a Service, so that stale series can be removed. Kept per Service; small. */
export interface RecordedSeries {
  info: InfoLabels;
  selectorPods: boolean;
  ports: string[];
  families: string[];
}

type ServiceMetrics = Metrics['service'];

/** Writes a Service's series and removes the ones its previous summary had and this one lacks. */
export function recordService(
  m: ServiceMetrics,
  s: ServiceSummary,
  prev: RecordedSeries | undefined,
): RecordedSeries {
  const id = { namespace: s.namespace, service: s.service };
  for (const state of ENDPOINT_STATES) m.endpoints.set({ ...id, state }, s.endpoints[state]);
  if (prev !== undefined && !sameInfo(prev.info, s.info)) m.info.remove({ ...id, ...prev.info });
  m.info.set({ ...id, ...s.info }, 1);
  if (s.selectorPods !== null) m.selectorPods.set(id, s.selectorPods);
  else if (prev?.selectorPods === true) m.selectorPods.remove(id);
  const ports = s.unresolved.map((u) => u.port);
  for (const port of prev?.ports ?? [])
    if (!ports.includes(port)) m.targetPortUnresolved.remove({ ...id, port });
  for (const u of s.unresolved) m.targetPortUnresolved.set({ ...id, port: u.port }, u.value);
  const families = s.families.map((f) => f.family);
  for (const family of prev?.families ?? []) if (!families.includes(family)) removeFamily(m, id, family);
  for (const f of s.families)
    for (const state of ENDPOINT_STATES)
      m.endpointsByFamily.set({ ...id, family: f.family, state }, f.counts[state]);
  return { info: s.info, selectorPods: s.selectorPods !== null, ports, families };
}

/** Removes every series written for a Service. */
export function removeService(
  m: ServiceMetrics,
  namespace: string,
  service: string,
  prev: RecordedSeries,
): void {
  const id = { namespace, service };
  for (const state of ENDPOINT_STATES) m.endpoints.remove({ ...id, state });
  m.info.remove({ ...id, ...prev.info });
  if (prev.selectorPods) m.selectorPods.remove(id);
  for (const port of prev.ports) m.targetPortUnresolved.remove({ ...id, port });
  for (const family of prev.families) removeFamily(m, id, family);
}

function removeFamily(m: ServiceMetrics, id: { namespace: string; service: string }, family: string): void {
  for (const state of ENDPOINT_STATES) m.endpointsByFamily.remove({ ...id, family, state });
}

function sameInfo(a: InfoLabels, b: InfoLabels): boolean {
  return a.type === b.type && a.selector === b.selector && a.headless === b.headless;
}
