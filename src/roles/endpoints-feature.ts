import { EndpointInventory } from '../inventory/endpoints.js';
import type { Metrics } from '../metrics/catalog.js';
import type { ServiceProblem } from '../server/status-page.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';

type Sample = { labels: Partial<Record<string, string | number>>; value: number };

/**
 * Services with endpoint problems, read back from the inventory's own series so that the status
 * page says what the alerts see: a selector matching no pod, no ready endpoint although pods
 * match, or a named targetPort no matching pod declares.
 */
export async function serviceProblems(m: Metrics['service']): Promise<ServiceProblem[]> {
  const byService = new Map<string, ServiceProblem>();
  const entry = (s: Sample): ServiceProblem => {
    const namespace = String(s.labels.namespace ?? '');
    const service = String(s.labels.service ?? '');
    const key = `${namespace}/${service}`;
    let e = byService.get(key);
    if (e === undefined) {
      e = { namespace, service, ready: 0, notReady: 0, terminating: 0, selectorPods: null, problems: [] };
      byService.set(key, e);
    }
    return e;
  };
  const [endpoints, selectorPods, unresolved] = await Promise.all([
    m.endpoints.get(),
    m.selectorPods.get(),
    m.targetPortUnresolved.get(),
  ]);
  for (const s of endpoints.values) {
    const e = entry(s);
    if (s.labels.state === 'ready') e.ready = s.value;
    else if (s.labels.state === 'not_ready') e.notReady = s.value;
    // The page shows one terminating column: leaving endpoints, serving or not.
    else if (s.labels.state === 'terminating' || s.labels.state === 'terminating_serving')
      e.terminating += s.value;
  }
  for (const s of selectorPods.values) entry(s).selectorPods = s.value;
  const ports = new Map<string, string[]>();
  for (const s of unresolved.values) {
    if (s.value !== 1) continue;
    const e = entry(s);
    const key = `${e.namespace}/${e.service}`;
    ports.set(key, [...(ports.get(key) ?? []), String(s.labels.port ?? '')]);
  }
  const out: ServiceProblem[] = [];
  for (const [key, e] of byService) {
    // As in the alerts: a selector-less Service's endpoints are managed by hand and are not judged.
    if (e.selectorPods === 0) e.problems.push('selector matches no pod');
    else if (e.selectorPods !== null && e.ready === 0)
      e.problems.push(`no ready endpoint (${e.notReady} not ready)`);
    for (const port of ports.get(key) ?? [])
      e.problems.push(`named targetPort of port ${port} is declared by no matching pod`);
    if (e.problems.length > 0) out.push(e);
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}

/** The endpoint inventory as a cluster-role feature. */
export function createEndpointsFeature(ctx: ClusterContext): ClusterFeature {
  const inventory = new EndpointInventory({
    cache: ctx.cache,
    metrics: ctx.rt.metrics,
    logger: ctx.rt.logger,
  });
  return {
    name: 'endpoints',
    start: () => inventory.start(),
    status: async () => ({
      services: ctx.cache.services.list().length,
      problems: await serviceProblems(ctx.rt.metrics.service),
    }),
    sections: async () => ({ services: await serviceProblems(ctx.rt.metrics.service) }),
    stop: () => inventory.stop(),
  };
}
