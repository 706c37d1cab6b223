import { arr, num, rec, str, strMap, type JsonRecord } from './json.js';

/**
 * Compact projections of Kubernetes objects: only what netprobe uses, so that the cache of a
 * large cluster stays small. Each projector takes raw API JSON and returns undefined for an object
 * too malformed to use (no name); the caller counts those.
 */

/** Identity kept for every object (ListWatch needs name, namespace and resourceVersion). */
export interface Meta {
  name: string;
  namespace: string;
  resourceVersion: string;
  labels: Record<string, string>;
}

export interface NamespaceP {
  metadata: Meta;
}

export interface ContainerPort {
  name?: string;
  port: number;
  protocol: string;
}

export interface PodP {
  metadata: Meta;
  nodeName: string;
  phase: string;
  ready: boolean;
  terminating: boolean;
  ips: string[];
  ports: ContainerPort[];
  /** spec.hostNetwork: the pod uses the node's network namespace and IPs; NetworkPolicy selects it not. */
  hostNetwork: boolean;
  /** Containers and native sidecars whose status says not ready (what holds Ready back). */
  unreadyContainers: string[];
}

export interface ServicePortP {
  name: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

export interface ServiceP {
  metadata: Meta;
  type: string;
  clusterIPs: string[];
  /** null when the Service has no selector (endpoints managed by hand). */
  selector: Record<string, string> | null;
  ports: ServicePortP[];
  headless: boolean;
}

export interface EndpointP {
  addresses: string[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  targetPod?: string;
  nodeName?: string;
}

export interface EndpointSliceP {
  metadata: Meta;
  serviceName: string;
  addressType: string;
  endpoints: EndpointP[];
  ports: Array<{ name: string; port: number; protocol: string }>;
}

/** Ingress keeps spec and status as the API wrote them (the route builder validates them). */
export interface IngressP {
  metadata: Meta & { annotations: Record<string, string> };
  spec: JsonRecord;
  status: JsonRecord;
}

export interface IngressClassP {
  metadata: Meta & { annotations: Record<string, string> };
  controller: string;
}

export interface NetworkPolicyP {
  metadata: Meta;
  spec: JsonRecord;
}

export interface ConfigMapP {
  metadata: Meta;
  data: Record<string, string>;
}

function meta(obj: unknown): Meta | undefined {
  const m = rec(rec(obj).metadata);
  const name = str(m.name);
  if (!name) return undefined;
  return {
    name,
    namespace: str(m.namespace) ?? '',
    resourceVersion: str(m.resourceVersion) ?? '',
    labels: strMap(m.labels),
  };
}

/** Annotations netprobe reads; others are dropped to save memory. */
const KEPT_ANNOTATIONS =
  /^(netprobe\.io\/|kubernetes\.io\/ingress\.class$|ingressclass\.kubernetes\.io\/is-default-class$)/;

function metaWithAnnotations(obj: unknown): (Meta & { annotations: Record<string, string> }) | undefined {
  const m = meta(obj);
  if (!m) return undefined;
  const all = strMap(rec(rec(obj).metadata).annotations);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (KEPT_ANNOTATIONS.test(k)) annotations[k] = v;
  return { ...m, annotations };
}

export function projectNamespace(obj: unknown): NamespaceP | undefined {
  const m = meta(obj);
  return m && { metadata: m };
}

/**
 * Containers that serve while the pod runs: every container, then the native sidecars
 * (initContainers with restartPolicy: Always, GA in 1.33). Ordinary init containers have exited
 * by then. This is the order the endpoints controller resolves a named targetPort in.
 */
export function servingContainers<T>(containers: readonly T[], initContainers: readonly T[]): T[] {
  return [...containers, ...initContainers.filter((c) => rec(c).restartPolicy === 'Always')];
}

function containerPorts(spec: JsonRecord): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const c of servingContainers(arr(spec.containers), arr(spec.initContainers))) {
    for (const p of arr(rec(c).ports)) {
      const port = num(rec(p).containerPort);
      if (port === undefined) continue;
      const name = str(rec(p).name);
      out.push({ ...(name ? { name } : {}), port, protocol: str(rec(p).protocol) ?? 'TCP' });
    }
  }
  return out;
}

/**
 * Readiness of the containers the kubelet's Ready condition waits for: every container and every
 * native sidecar (ordinary init containers do not count), by name; undefined when not reported.
 */
function containerReadiness(spec: JsonRecord, status: JsonRecord): Array<[string, boolean | undefined]> {
  const ready = new Map<string, boolean>();
  for (const s of [...arr(status.containerStatuses), ...arr(status.initContainerStatuses)]) {
    const name = str(rec(s).name);
    if (name) ready.set(name, rec(s).ready === true);
  }
  return servingContainers(arr(spec.containers), arr(spec.initContainers)).map((c) => {
    const name = str(rec(c).name) ?? '';
    return [name, ready.get(name)];
  });
}

export function projectPod(obj: unknown): PodP | undefined {
  const m = meta(obj);
  if (!m) return undefined;
  const o = rec(obj);
  const spec = rec(o.spec);
  const status = rec(o.status);
  const readyCondition = arr(status.conditions).find((c) => str(rec(c).type) === 'Ready');
  const containers = containerReadiness(spec, status);
  // The kubelet's Ready condition decides; before it posts one, its own rule is applied to the
  // container statuses (a Running pod whose containers and sidecars all report ready).
  const ready =
    readyCondition === undefined
      ? str(status.phase) === 'Running' && containers.length > 0 && containers.every(([, r]) => r === true)
      : str(rec(readyCondition).status) === 'True';
  const ips = arr(status.podIPs)
    .map((p) => str(rec(p).ip))
    .filter((ip): ip is string => !!ip);
  const single = str(status.podIP);
  if (ips.length === 0 && single) ips.push(single);
  return {
    metadata: m,
    nodeName: str(spec.nodeName) ?? '',
    phase: str(status.phase) ?? 'Unknown',
    ready,
    terminating:
      rec(o.metadata).deletionTimestamp !== undefined && rec(o.metadata).deletionTimestamp !== null,
    ips,
    ports: containerPorts(spec),
    hostNetwork: spec.hostNetwork === true,
    unreadyContainers: containers.filter(([, r]) => r === false).map(([name]) => name),
  };
}

export function projectService(obj: unknown): ServiceP | undefined {
  const m = meta(obj);
  if (!m) return undefined;
  const spec = rec(rec(obj).spec);
  const clusterIPs = arr(spec.clusterIPs).filter((ip): ip is string => typeof ip === 'string');
  const single = str(spec.clusterIP);
  if (clusterIPs.length === 0 && single) clusterIPs.push(single);
  const selector = spec.selector === undefined || spec.selector === null ? null : strMap(spec.selector);
  const ports = arr(spec.ports).flatMap((p): ServicePortP[] => {
    const port = num(rec(p).port);
    if (port === undefined) return [];
    const tp = rec(p).targetPort;
    const targetPort = typeof tp === 'number' || typeof tp === 'string' ? tp : port;
    return [{ name: str(rec(p).name) ?? '', port, targetPort, protocol: str(rec(p).protocol) ?? 'TCP' }];
  });
  return {
    metadata: m,
    type: str(spec.type) ?? 'ClusterIP',
    clusterIPs,
    // A Service with an empty selector {} selects nothing in Kubernetes' endpoints controller.
    selector: selector && Object.keys(selector).length > 0 ? selector : null,
    ports,
    headless: single === 'None',
  };
}

function projectEndpoint(e: unknown): EndpointP {
  const r = rec(e);
  const cond = rec(r.conditions);
  // The API says: ready "nil should be interpreted as true"; serving likewise; terminating as false.
  const ready = cond.ready !== false;
  const target = rec(r.targetRef);
  const targetPod = str(target.kind) === 'Pod' ? str(target.name) : undefined;
  const nodeName = str(r.nodeName);
  return {
    addresses: arr(r.addresses).filter((a): a is string => typeof a === 'string'),
    ready,
    serving: cond.serving === undefined || cond.serving === null ? ready : cond.serving === true,
    terminating: cond.terminating === true,
    ...(targetPod ? { targetPod } : {}),
    ...(nodeName ? { nodeName } : {}),
  };
}

export function projectEndpointSlice(obj: unknown): EndpointSliceP | undefined {
  const m = meta(obj);
  if (!m) return undefined;
  const o = rec(obj);
  return {
    metadata: m,
    serviceName: m.labels['kubernetes.io/service-name'] ?? '',
    addressType: str(o.addressType) ?? 'IPv4',
    endpoints: arr(o.endpoints).map(projectEndpoint),
    ports: arr(o.ports).flatMap((p) => {
      const port = num(rec(p).port);
      return port === undefined
        ? []
        : [{ name: str(rec(p).name) ?? '', port, protocol: str(rec(p).protocol) ?? 'TCP' }];
    }),
  };
}

export function projectIngress(obj: unknown): IngressP | undefined {
  const m = metaWithAnnotations(obj);
  if (!m) return undefined;
  const o = rec(obj);
  return { metadata: m, spec: rec(o.spec), status: rec(o.status) };
}

export function projectIngressClass(obj: unknown): IngressClassP | undefined {
  const m = metaWithAnnotations(obj);
  if (!m) return undefined;
  return { metadata: m, controller: str(rec(rec(obj).spec).controller) ?? '' };
}

export function projectNetworkPolicy(obj: unknown): NetworkPolicyP | undefined {
  const m = meta(obj);
  return m && { metadata: m, spec: rec(rec(obj).spec) };
}

export function projectConfigMap(obj: unknown): ConfigMapP | undefined {
  const m = meta(obj);
  return m && { metadata: m, data: strMap(rec(obj).data) };
}
