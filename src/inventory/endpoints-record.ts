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
  terminating: number;
}

/** The state names, in the order they are exported. */
export const ENDPOINT_STATES = ['ready', 'not_ready', 'terminating'] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

// Rank used when one endpoint is listed twice (two slices, two address families) with different
// conditions during a rollout: the more alarming state wins, as it does within one endpoint.
const RANK: Record<EndpointState, number> = { not_ready: 0, ready: 1, terminating: 2 };

/** The state of one endpoint: terminating wins, then ready, else not_ready. */
export function endpointState(e: EndpointP): EndpointState {
  if (e.terminating) return 'terminating';
  return e.ready ? 'ready' : 'not_ready';
}

// A dual-stack pod appears once in the IPv4 slice and once in the IPv6 slice: the pod is the identity.
function endpointKey(e: EndpointP): string | undefined {
  if (e.targetPod !== undefined) return `pod:${e.targetPod}`;
  return e.addresses.length > 0 ? `ip:${e.addresses.join(',')}` : undefined;
}

/** Counts the distinct endpoints of a Service's slices by state. */
export function countEndpoints(slices: Iterable<EndpointSliceP>): EndpointCounts {
  const seen = new Map<string, EndpointState>();
  for (const slice of slices) {
    for (const e of slice.endpoints) {
      const key = endpointKey(e);
      if (key === undefined) continue;
      const state = endpointState(e);
      const before = seen.get(key);
      if (before === undefined || RANK[state] > RANK[before]) seen.set(key, state);
    }
  }
  const counts: EndpointCounts = { ready: 0, not_ready: 0, terminating: 0 };
  for (const state of seen.values()) counts[state]++;
  return counts;
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
    endpoints: countEndpoints(slices),
    selectorPods: hasSelector ? pods.length : null,
    unresolved,
  };
}

/** What was last written for a Service, so that stale series can be removed. Kept per Service; small. */
export interface RecordedSeries {
  info: InfoLabels;
  selectorPods: boolean;
  ports: string[];
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
  return { info: s.info, selectorPods: s.selectorPods !== null, ports };
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
}

function sameInfo(a: InfoLabels, b: InfoLabels): boolean {
  return a.type === b.type && a.selector === b.selector && a.headless === b.headless;
}
