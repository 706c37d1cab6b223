import type { ClusterFeatureFactory } from './cluster.js';

/** The cluster role's features, in start order. */
export function clusterFeatures(): ClusterFeatureFactory[] {
  return [];
}
