/** Label selector matching (metav1.LabelSelector semantics). */
import type { LabelSelector, Labels } from './model.js';

/** A compiled selector. */
export type LabelMatcher = (labels: Labels) => boolean;

/**
 * Compiles a selector. "The requirements are ANDed. An empty label selector matches all
 * objects." NotIn and DoesNotExist also match objects that lack the key.
 */
export function compileSelector(selector: LabelSelector): LabelMatcher {
  const checks: LabelMatcher[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checks.push((labels) => labels[key] === value);
  }
  for (const req of selector.matchExpressions ?? []) {
    const values = new Set(req.values ?? []);
    const { key } = req;
    switch (req.operator) {
      case 'In':
        checks.push((labels) => labels[key] !== undefined && values.has(labels[key]));
        break;
      case 'NotIn':
        checks.push((labels) => labels[key] === undefined || !values.has(labels[key]));
        break;
      case 'Exists':
        checks.push((labels) => Object.hasOwn(labels, key));
        break;
      case 'DoesNotExist':
        checks.push((labels) => !Object.hasOwn(labels, key));
        break;
    }
  }
  return (labels) => checks.every((check) => check(labels));
}

/** True when the selector has no requirement (selects everything). */
export function isEmptySelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  );
}

/** Kubernetes' string form of a selector ("app=web,tier in (a,b)"), "{}" when empty. */
export function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${values})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${values})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else parts.push(`!${req.key}`);
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}
