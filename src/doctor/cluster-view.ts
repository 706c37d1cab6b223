import type { KubeConfig } from '@kubernetes/client-node';
import {
  projectEndpointSlice,
  projectPod,
  projectService,
  type EndpointSliceP,
  type PodP,
  type ServiceP,
} from '../kube/projections.js';
import { KubeApiError, listPages } from '../kube/rest.js';

/** The kinds doctor lists, with the collection path and the kind its items get. */
const RESOURCES = {
  namespaces: { path: '/api/v1/namespaces', kind: 'Namespace', apiVersion: 'v1' },
  pods: { path: '/api/v1/pods', kind: 'Pod', apiVersion: 'v1' },
  services: { path: '/api/v1/services', kind: 'Service', apiVersion: 'v1' },
  endpointslices: {
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
  },
  ingresses: {
    path: '/apis/networking.k8s.io/v1/ingresses',
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
  },
  ingressclasses: {
    path: '/apis/networking.k8s.io/v1/ingressclasses',
    kind: 'IngressClass',
    apiVersion: 'networking.k8s.io/v1',
  },
  networkpolicies: {
    path: '/apis/networking.k8s.io/v1/networkpolicies',
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
  },
} as const;

/** Resource names as in RBAC rules and error messages. */
export type DoctorResource = keyof typeof RESOURCES;

/** Everything doctor read from the API: raw items (kind set) and the projections the stages share. */
export interface ClusterView {
  raw: Record<DoctorResource, unknown[]>;
  pods: PodP[];
  services: ServiceP[];
  slices: EndpointSliceP[];
  /** Resources whose LIST failed, with the error; stages that need them say they were skipped. */
  failed: Partial<Record<DoctorResource, string>>;
  /** Items too malformed to read (no name, not an object), by resource. */
  unreadable: Record<string, number>;
  /** Resources listed in one namespace only (cluster-wide LIST forbidden, `--namespace` given). */
  scoped: DoctorResource[];
}

/** How doctor lists. */
export interface ListOptions {
  /** Items per page (default 500, as the informers use). */
  pageSize?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/**
 * Lists every page of one collection with plain LIST requests (no watch: doctor is one-shot).
 * Typed lists omit each item's kind; it is set here so that the policy snapshot can read the items.
 */
async function listAll(
  kc: KubeConfig,
  resource: DoctorResource,
  opts: ListOptions,
  namespace?: string,
): Promise<unknown[]> {
  const { kind, apiVersion } = RESOURCES[resource];
  const path = namespace === undefined ? RESOURCES[resource].path : namespacedPath(resource, namespace);
  const items: unknown[] = [];
  const listOpts = {
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
  };
  await listPages(kc, path, listOpts, (page) => {
    for (const item of page)
      items.push(
        item !== null && typeof item === 'object' && !Array.isArray(item)
          ? { kind, apiVersion, ...item }
          : item,
      );
  });
  return items;
}

function project<T>(
  resource: string,
  items: unknown[],
  fn: (o: unknown) => T | undefined,
  unreadable: Record<string, number>,
): T[] {
  const out: T[] = [];
  for (const item of items) {
    const p = fn(item);
    if (p !== undefined) out.push(p);
    else unreadable[resource] = (unreadable[resource] ?? 0) + 1;
  }
  return out;
}

const CLUSTER_SCOPED: readonly DoctorResource[] = ['namespaces', 'ingressclasses'];

/** "/api/v1/pods" -> "/api/v1/namespaces/NS/pods" (and likewise for the API groups). */
function namespacedPath(resource: DoctorResource, namespace: string): string {
  const path = RESOURCES[resource].path;
  const cut = path.lastIndexOf('/');
  return `${path.slice(0, cut)}/namespaces/${encodeURIComponent(namespace)}${path.slice(cut)}`;
}

/**
 * Lists one resource cluster-wide; with `namespace`, a forbidden cluster-wide LIST of a namespaced
 * kind falls back to that namespace (a user whose RBAC covers one namespace can still triage it).
 */
async function listResource(
  kc: KubeConfig,
  resource: DoctorResource,
  opts: ListOptions,
  namespace: string | undefined,
  scoped: DoctorResource[],
): Promise<unknown[]> {
  try {
    return await listAll(kc, resource, opts);
  } catch (err) {
    const forbidden = err instanceof KubeApiError && err.statusCode === 403;
    if (!forbidden || namespace === undefined || CLUSTER_SCOPED.includes(resource)) throw err;
    const items = await listAll(kc, resource, opts, namespace);
    scoped.push(resource);
    return items;
  }
}

/** Lists the kinds doctor reads; a failed LIST is recorded, not thrown (throws only when every LIST failed). */
export async function readCluster(
  kc: KubeConfig,
  opts: ListOptions = {},
  namespace?: string,
): Promise<ClusterView> {
  const names = Object.keys(RESOURCES) as DoctorResource[];
  const scoped: DoctorResource[] = [];
  const settled = await Promise.allSettled(names.map((r) => listResource(kc, r, opts, namespace, scoped)));
  const raw = {} as Record<DoctorResource, unknown[]>;
  const failed: ClusterView['failed'] = {};
  settled.forEach((s, i) => {
    const name = names[i] as DoctorResource;
    raw[name] = s.status === 'fulfilled' ? s.value : [];
    if (s.status === 'rejected')
      failed[name] = s.reason instanceof Error ? s.reason.message : String(s.reason);
  });
  if (Object.keys(failed).length === names.length) {
    throw new Error(`cannot read the cluster: ${Object.values(failed)[0] ?? 'every LIST failed'}`);
  }
  const unreadable: Record<string, number> = {};
  return {
    raw,
    pods: project('pods', raw.pods, projectPod, unreadable),
    services: project('services', raw.services, projectService, unreadable),
    slices: project('endpointslices', raw.endpointslices, projectEndpointSlice, unreadable),
    failed,
    unreadable,
    scoped: scoped.sort(),
  };
}

/** The first failed resource among `needed`, as a skip reason, or undefined when all were listed. */
export function missingInput(view: ClusterView, needed: readonly DoctorResource[]): string | undefined {
  for (const r of needed) {
    const err = view.failed[r];
    if (err !== undefined) return `cannot list ${r}: ${err}`;
  }
  return undefined;
}
