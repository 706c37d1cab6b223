import { isJsonObject, type JsonObject } from './patch.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import type { Selectable } from './selectors.js';
import { ApiError } from './status.js';

/** metadata as the fake API reads and sets it; other fields pass through untouched. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  generation?: number;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object in the shape `kubectl get -o json` prints. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Namespaces and Services need DNS labels, not subdomains: their names become DNS labels.
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/**
 * Checks a body against what the apiserver itself enforces on every kind (apiVersion/kind,
 * metadata.name, labels, annotations, namespace) and returns it typed with apiVersion/kind filled in.
 * `namespace` is the namespace of the request path (or null for cluster-scoped and programmatic writes).
 */
export function normalizeObject(info: ResourceInfo, body: unknown, namespace: string | null): KubeObject {
  if (!isJsonObject(body)) throw new ApiError(400, 'the body of the request was not a JSON object');
  const apiVersion = apiVersionOf(info);
  checkTypeField(body, 'apiVersion', apiVersion);
  checkTypeField(body, 'kind', info.kind);
  const meta = body.metadata === undefined ? {} : body.metadata;
  if (!isJsonObject(meta)) throw invalid(info, '', 'metadata: must be an object');
  const name = typeof meta.name === 'string' ? meta.name : '';
  checkStringMap(info, name, meta, 'labels');
  checkStringMap(info, name, meta, 'annotations');
  const out: JsonObject = { ...meta, name };
  const ns = resolveNamespace(info, meta, namespace, name);
  if (ns === undefined) delete out.namespace;
  else out.namespace = ns;
  return { ...body, apiVersion, kind: info.kind, metadata: out as ObjectMeta };
}

function checkTypeField(body: JsonObject, field: 'apiVersion' | 'kind', want: string): void {
  const got = body[field];
  if (got === undefined || got === '') return;
  if (got !== want)
    throw new ApiError(400, `${field} ${JSON.stringify(got)} does not match the resource (${want})`);
}

function checkStringMap(info: ResourceInfo, name: string, meta: JsonObject, field: string): void {
  const map = meta[field];
  if (map === undefined || map === null) return;
  if (!isJsonObject(map) || Object.values(map).some((v) => typeof v !== 'string')) {
    throw invalid(info, name, `metadata.${field}: Invalid value: must be a map of strings`);
  }
}

function resolveNamespace(
  info: ResourceInfo,
  meta: JsonObject,
  pathNs: string | null,
  name: string,
): string | undefined {
  const bodyNs = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
  if (!info.namespaced) return undefined;
  if (pathNs !== null && bodyNs !== undefined && bodyNs !== pathNs) {
    throw new ApiError(
      400,
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  const ns = pathNs ?? bodyNs ?? 'default';
  if (!LABEL.test(ns)) throw invalid(info, name, `metadata.namespace: Invalid value: "${ns}"`);
  return ns;
}

/** Rejects a name the real apiserver would reject (422 Invalid). */
export function checkName(info: ResourceInfo, name: string): void {
  if (name === '')
    throw invalid(info, name, 'metadata.name: Required value: name or generateName is required');
  const labelOnly = LABEL_NAMED.has(info.kind);
  const ok = labelOnly ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    const what = labelOnly ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
    throw invalid(info, name, `metadata.name: Invalid value: "${name}": must be ${what}`);
  }
}

function invalid(info: ResourceInfo, name: string, why: string): ApiError {
  return new ApiError(422, `${info.kind} "${name}" is invalid: ${why}`, 'Invalid', {
    name,
    group: info.group,
    kind: info.kind,
  });
}

/** The view of an object that label and field selectors read. */
export function selectable(obj: KubeObject): Selectable {
  return {
    labels: obj.metadata.labels ?? {},
    field: (path) => fieldValue(obj, path),
  };
}

// Field selectors compare strings; a missing field reads as "" as in the apiserver's field sets.
function fieldValue(obj: KubeObject, path: string): string {
  let node: unknown = obj;
  for (const part of path.split('.')) {
    node = isJsonObject(node) ? node[part] : undefined;
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return '';
}

/** "namespace/name" (or "name" when cluster-scoped), the store's key. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}
