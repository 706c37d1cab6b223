import { EndpointInventory } from '../inventory/endpoints.js';
import type { ServiceSummary } from '../inventory/endpoints-record.js';
import type { ServiceProblem } from '../server/status-page.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';

/**
 * Services with endpoint problems, from the same summaries the inventory exported, so the status
 * page says what the alerts see: a selector matching no pod, no ready endpoint although pods
 * match, or a named targetPort no matching pod declares.
 */
export function serviceProblems(summaries: readonly ServiceSummary[]): ServiceProblem[] {
  const out: ServiceProblem[] = [];
  for (const s of summaries) {
    const problems: string[] = [];
    const e = s.endpoints;
    // As in the alerts: a selector-less Service's endpoints are managed by hand and are not judged.
    if (s.selectorPods === 0) problems.push('selector matches no pod');
    else if (s.selectorPods !== null && e.ready === 0)
      problems.push(`no ready endpoint (${e.not_ready} not ready)`);
    for (const u of s.unresolved) {
      if (u.value === 1) problems.push(`named targetPort of port ${u.port} is declared by no matching pod`);
    }
    if (problems.length === 0) continue;
    out.push({
      namespace: s.namespace,
      service: s.service,
      ready: e.ready,
      notReady: e.not_ready,
      // The page shows one terminating column: leaving endpoints, serving or not.
      terminating: e.terminating + e.terminating_serving,
      selectorPods: s.selectorPods,
      problems,
    });
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
    status: () => ({
      services: ctx.cache.services.list().length,
      problems: serviceProblems(inventory.summaries()),
    }),
    sections: () => ({ services: serviceProblems(inventory.summaries()) }),
    stop: () => inventory.stop(),
  };
}
