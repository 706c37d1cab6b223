import type { NodeFeatureFactory } from './node.js';

/** The node role's features, in start order. */
export function nodeFeatures(): NodeFeatureFactory[] {
  return [];
}
