/** Defensive readers for JSON received from the API: wrong types become empty values, never exceptions. */

export type JsonRecord = Record<string, unknown>;

/** The value as a plain object, or an empty one. */
export function rec(v: unknown): JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : {};
}

/** The value as an array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value as a string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The value as a finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A map of string to string (labels, selectors); non-string values are dropped. */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}
