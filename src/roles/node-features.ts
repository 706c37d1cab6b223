import { createDnsFeature } from './dns-feature.js';
import type { NodeFeatureFactory } from './node.js';
import { createPathFeature } from './path-feature.js';

/** The node role's features, in start order. */
export function nodeFeatures(): NodeFeatureFactory[] {
  return [createDnsFeature, createPathFeature];
}
