import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/catalog.js';
import { RestartingInformer, type ChangeType, type InformerHooks, type ResourceSpec } from './informer.js';
import {
  projectConfigMap,
  projectEndpointSlice,
  projectIngress,
  projectIngressClass,
  projectNamespace,
  projectNetworkPolicy,
  projectPod,
  projectService,
  type ConfigMapP,
  type EndpointSliceP,
  type IngressClassP,
  type IngressP,
  type Meta,
  type NamespaceP,
  type NetworkPolicyP,
  type PodP,
  type ServiceP,
} from './projections.js';

/** Informer hooks that feed the kube metric family. */
export function kubeHooks(metrics: Metrics): InformerHooks {
  return {
    onUp: (r, up) => metrics.kube.watchUp.set({ resource: r }, up ? 1 : 0),
    onRestart: (r) => metrics.kube.watchRestarts.inc({ resource: r }),
    onObjects: (r, n) => metrics.kube.cacheObjects.set({ resource: r }, n),
    onRejected: (r) => metrics.kube.objectsRejected.inc({ resource: r }),
  };
}

/** Pre-initialises the kube series of a resource so dashboards and alerts see them from the start. */
function initSeries(metrics: Metrics, resource: string): void {
  metrics.kube.watchUp.set({ resource }, 0);
  metrics.kube.watchRestarts.inc({ resource }, 0);
  metrics.kube.cacheObjects.set({ resource }, 0);
  metrics.kube.objectsRejected.inc({ resource }, 0);
}

/** The cluster role's cache: one informer per kind it watches, cluster-wide. */
export interface ClusterCache {
  namespaces: RestartingInformer<NamespaceP>;
  pods: RestartingInformer<PodP>;
  services: RestartingInformer<ServiceP>;
  endpointSlices: RestartingInformer<EndpointSliceP>;
  ingresses: RestartingInformer<IngressP>;
  ingressClasses: RestartingInformer<IngressClassP>;
  networkPolicies: RestartingInformer<NetworkPolicyP>;
}

/** Names of the cluster cache's informers, in start order. */
export type ClusterResource = keyof ClusterCache;

interface Deps {
  kc: KubeConfig;
  logger: Logger;
  metrics: Metrics;
  /** List page size (default 500). */
  pageSize?: number;
}

function informer<T extends { metadata: Meta }>(deps: Deps, spec: ResourceSpec<T>): RestartingInformer<T> {
  initSeries(deps.metrics, spec.resource);
  const inf = new RestartingInformer(deps.kc, spec, {
    logger: deps.logger,
    hooks: kubeHooks(deps.metrics),
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
  });
  deps.metrics.kube.staleness.set(spec.resource, () => inf.staleSeconds);
  return inf;
}

/** A cache older than this is reported stale: twice the informer's backoff cap, plus slack. */
export const STALE_AFTER_SECONDS = 10;

/** What /status and the status page say about the age of the role's caches. */
export interface Staleness {
  stale: boolean;
  /** Resources whose cache may be missing changes, with the seconds since their watch failed. */
  resources: Array<{ resource: string; seconds: number }>;
}

/** The staleness of every informer the role created (the same numbers as netprobe_kube_cache_age_seconds). */
export function cacheStaleness(metrics: Metrics): Staleness {
  const resources = [...metrics.kube.staleness]
    .map(([resource, age]) => ({ resource, seconds: Math.floor(age()) }))
    .filter((r) => r.seconds >= STALE_AFTER_SECONDS);
  return { stale: resources.length > 0, resources };
}

/** Creates (but does not start) the cluster role's informers. */
export function createClusterCache(deps: Deps): ClusterCache {
  return {
    namespaces: informer(deps, {
      resource: 'namespaces',
      path: '/api/v1/namespaces',
      project: projectNamespace,
    }),
    pods: informer(deps, { resource: 'pods', path: '/api/v1/pods', project: projectPod }),
    services: informer(deps, { resource: 'services', path: '/api/v1/services', project: projectService }),
    endpointSlices: informer(deps, {
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      project: projectEndpointSlice,
    }),
    ingresses: informer(deps, {
      resource: 'ingresses',
      path: '/apis/networking.k8s.io/v1/ingresses',
      project: projectIngress,
    }),
    ingressClasses: informer(deps, {
      resource: 'ingressclasses',
      path: '/apis/networking.k8s.io/v1/ingressclasses',
      project: projectIngressClass,
    }),
    networkPolicies: informer(deps, {
      resource: 'networkpolicies',
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      project: projectNetworkPolicy,
    }),
  };
}

/** Starts every informer of a cache. */
export function startCache(cache: ClusterCache): void {
  for (const inf of Object.values(cache) as Array<RestartingInformer<{ metadata: Meta }>>) inf.start();
}

/** Stops every informer of a cache. */
export function stopCache(cache: ClusterCache): void {
  for (const inf of Object.values(cache) as Array<RestartingInformer<{ metadata: Meta }>>) inf.stop();
}

/** True once every informer has loaded its first list. */
export function cacheSynced(cache: ClusterCache): boolean {
  return (Object.values(cache) as Array<RestartingInformer<{ metadata: Meta }>>).every((i) => i.hasSynced);
}

/** Calls cb for every change of every resource of the cache. */
export function onCacheChange(
  cache: ClusterCache,
  cb: (resource: ClusterResource, type: ChangeType) => void,
): void {
  for (const [name, inf] of Object.entries(cache) as Array<
    [ClusterResource, RestartingInformer<{ metadata: Meta }>]
  >) {
    inf.onChange((type) => cb(name, type));
  }
}

/** The node role's single informer: the plan ConfigMap, selected by name. */
export function createPlanInformer(
  deps: Deps,
  namespace: string,
  name: string,
): RestartingInformer<ConfigMapP> {
  return informer(deps, {
    resource: 'configmaps',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    fieldSelector: `metadata.name=${name}`,
    project: projectConfigMap,
  });
}
