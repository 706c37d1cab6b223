import { ApiError } from './status.js';

/** Something selectors can look at: an object's labels and its selectable fields. */
export interface Selectable {
  labels: Record<string, string>;
  field(path: string): string;
}

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: Selectable) => boolean;

type Requirement = (labels: Record<string, string>) => boolean;

// A label key: optional DNS-subdomain prefix and a name of alphanumerics, '-', '_', '.'.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** Parses a labelSelector (=, ==, !=, in, notin, exists, !exists, gt, lt) the way apimachinery does. */
export function parseLabelSelector(text: string | null): Matcher {
  if (text === null || text.trim() === '') return () => true;
  const reqs = splitTopLevel(text).map(parseRequirement);
  return (obj) => reqs.every((r) => r(obj.labels));
}

// Commas separate requirements, except inside the parentheses of in/notin.
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}

function parseRequirement(raw: string): Requirement {
  const set = /^([^\s!=<>()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw);
  if (set !== null) return setRequirement(raw, set[1] ?? '', set[2] === 'in', set[3] ?? '');
  const cmp = /^([^\s!=<>]+)\s*(==|=|!=|<|>)\s*(\S*)$/.exec(raw);
  if (cmp !== null) return compareRequirement(raw, cmp[1] ?? '', cmp[2] ?? '', cmp[3] ?? '');
  const exists = /^(!?)\s*([^\s!=<>()]+)$/.exec(raw);
  if (exists !== null) {
    const key = checkKey(raw, exists[2] ?? '');
    const want = exists[1] !== '!';
    return (labels) => Object.hasOwn(labels, key) === want;
  }
  throw badSelector(raw);
}

function setRequirement(raw: string, rawKey: string, inSet: boolean, list: string): Requirement {
  const key = checkKey(raw, rawKey);
  const values = list.split(',').map((v) => checkValue(raw, v.trim()));
  if (inSet) return (labels) => Object.hasOwn(labels, key) && values.includes(labels[key] ?? '');
  return (labels) => !Object.hasOwn(labels, key) || !values.includes(labels[key] ?? '');
}

function compareRequirement(raw: string, rawKey: string, op: string, rawValue: string): Requirement {
  const key = checkKey(raw, rawKey);
  const value = checkValue(raw, rawValue);
  if (op === '!=') return (labels) => labels[key] !== value;
  if (op === '=' || op === '==') return (labels) => Object.hasOwn(labels, key) && labels[key] === value;
  const bound = Number.parseInt(value, 10);
  if (!/^-?\d+$/.test(value))
    throw badSelector(raw, `for 'gt', 'lt' operators, the value must be an integer`);
  return (labels) => {
    const v = labels[key];
    if (v === undefined || !/^-?\d+$/.test(v)) return false;
    return op === '>' ? Number.parseInt(v, 10) > bound : Number.parseInt(v, 10) < bound;
  };
}

function checkKey(raw: string, key: string): string {
  if (!KEY.test(key)) throw badSelector(raw, `invalid label key "${key}"`);
  return key;
}

function checkValue(raw: string, value: string): string {
  if (value.length > 63 || !VALUE.test(value)) throw badSelector(raw, `invalid label value: "${value}"`);
  return value;
}

function badSelector(raw: string, why = 'found unexpected token'): ApiError {
  return new ApiError(400, `unable to parse requirement: "${raw}": ${why}`);
}

/** Parses a fieldSelector (=, ==, !=) over metadata.name, metadata.namespace and the kind's extra fields. */
export function parseFieldSelector(text: string | null, allowed: readonly string[]): Matcher {
  if (text === null || text.trim() === '') return () => true;
  const reqs = text.split(',').map((raw) => {
    const m = /^\s*([^\s!=]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (m === null) throw new ApiError(400, `invalid selector: '${text}'; can't understand '${raw}'`);
    const field = m[1] ?? '';
    const value = m[3] ?? '';
    if (!['metadata.name', 'metadata.namespace', ...allowed].includes(field)) {
      throw new ApiError(400, `field label not supported: ${field}`);
    }
    const equal = m[2] !== '!=';
    return (obj: Selectable): boolean => (obj.field(field) === value) === equal;
  });
  return (obj) => reqs.every((r) => r(obj));
}

/**
 * The name a list/watch is narrowed to by `metadata.name=NAME` in its fieldSelector; the apiserver
 * puts it in the request's attributes so RBAC resourceNames can allow a single-object watch.
 */
export function selectedName(fieldSelector: string | null): string | undefined {
  for (const term of (fieldSelector ?? '').split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m?.[1] !== undefined && m[1] !== '') return m[1];
  }
  return undefined;
}
