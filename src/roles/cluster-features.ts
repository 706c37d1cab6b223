import { createApiserverFeature } from './apiserver-feature.js';
import type { ClusterFeatureFactory } from './cluster.js';
import { createEndpointsFeature } from './endpoints-feature.js';
import { createIngressFeature } from './ingress-feature.js';
import { createPolicyFeature } from './policy-feature.js';

/** The cluster role's features, in start order. */
export function clusterFeatures(): ClusterFeatureFactory[] {
  return [createEndpointsFeature, createIngressFeature, createPolicyFeature, createApiserverFeature];
}
