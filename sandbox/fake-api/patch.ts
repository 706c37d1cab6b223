import { ApiError } from './status.js';

/** A JSON object as parsed from a request body. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies an RFC 7386 JSON merge patch; strategic merge patches are treated the same (lists replace). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // Strategic-merge directives have no meaning for a merge patch; drop them rather than store them.
    if (key.startsWith('$') || key === '__proto__') continue;
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** Applies an RFC 6902 JSON patch (add, remove, replace, move, copy, test); throws ApiError 422 when an operation fails. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiError(400, 'json patch body must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops) {
    const op = toOperation(raw);
    doc = applyOperation(doc, op);
  }
  return doc;
}

function toOperation(raw: unknown): Operation {
  if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
    throw new ApiError(400, 'json patch operation needs string "op" and "path"');
  }
  const op: Operation = { op: raw.op, path: raw.path, value: raw.value };
  if (typeof raw.from === 'string') op.from = raw.from;
  return op;
}

function applyOperation(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case 'add':
      return setAt(doc, op.path, structuredClone(op.value), 'add');
    case 'replace':
      return setAt(doc, op.path, structuredClone(op.value), 'replace');
    case 'remove':
      return removeAt(doc, op.path);
    case 'move': {
      const value = getAt(doc, fromOf(op));
      return setAt(removeAt(doc, fromOf(op)), op.path, value, 'add');
    }
    case 'copy':
      return setAt(doc, op.path, structuredClone(getAt(doc, fromOf(op))), 'add');
    case 'test':
      if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
        throw new ApiError(
          422,
          `the server rejected our request due to an error in our request: test failed at ${op.path}`,
        );
      }
      return doc;
    default:
      throw new ApiError(400, `unknown json patch operation "${op.op}"`);
  }
}

function fromOf(op: Operation): string {
  if (op.from === undefined) throw new ApiError(400, `json patch "${op.op}" needs "from"`);
  return op.from;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError(400, `invalid json pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      // A JSON object key, never the prototype of the object being patched.
      if (t === '__proto__') throw new ApiError(422, `invalid json pointer "${pointer}"`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function missing(pointer: string): ApiError {
  return new ApiError(
    422,
    `the server rejected our request due to an error in our request: path ${pointer} not found`,
  );
}

function child(container: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(container, token, pointer, false)];
  if (isJsonObject(container) && Object.hasOwn(container, token)) return container[token];
  throw missing(pointer);
}

function arrayIndex(arr: unknown[], token: string, pointer: string, forInsert: boolean): number {
  if (token === '-' && forInsert) return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw missing(pointer);
  const idx = Number(token);
  if (idx > arr.length || (!forInsert && idx === arr.length)) throw missing(pointer);
  return idx;
}

function getAt(doc: unknown, pointer: string): unknown {
  return tokens(pointer).reduce((node, t) => child(node, t, pointer), doc);
}

// Walks to the parent of the pointer's last token and hands it to `edit`, which mutates it in place.
function editParent(doc: unknown, pointer: string, edit: (parent: unknown, last: string) => void): unknown {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) return undefined;
  const parent = path.reduce((node, t) => child(node, t, pointer), doc);
  edit(parent, last);
  return doc;
}

function setAt(doc: unknown, pointer: string, value: unknown, mode: 'add' | 'replace'): unknown {
  if (pointer === '') return value;
  return editParent(doc, pointer, (parent, last) => {
    if (Array.isArray(parent)) {
      const idx = arrayIndex(parent, last, pointer, mode === 'add');
      parent.splice(idx, mode === 'add' ? 0 : 1, value);
    } else if (isJsonObject(parent)) {
      if (mode === 'replace' && !Object.hasOwn(parent, last)) throw missing(pointer);
      parent[last] = value;
    } else throw missing(pointer);
  });
}

function removeAt(doc: unknown, pointer: string): unknown {
  return editParent(doc, pointer, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, pointer, false), 1);
    else if (isJsonObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
    else throw missing(pointer);
  });
}
