import { EndpointInventory } from '../inventory/endpoints.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';

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
    status: () => ({ services: ctx.cache.services.list().length }),
    stop: () => inventory.stop(),
  };
}
