import { randomBytes } from 'node:crypto';
import { checkName, normalizeObject, type KubeObject } from './objects.js';
import { jsonPatch, mergePatch } from './patch.js';
import type { ResourceRoute } from './routes.js';
import { notFound, type FakeStore, type Origin } from './store.js';
import { ApiError } from './status.js';

/** Content types accepted for create and update. */
export const JSON_TYPES = ['application/json'] as const;
/** Content types accepted for patch; server-side apply is not implemented and gets 415. */
export const PATCH_TYPES = [
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
] as const;

/** Dependencies of the write handlers. */
export interface WriteContext {
  store: FakeStore;
  origin: Origin;
  /** Whether a namespaced create into a missing namespace is refused (as the real apiserver does). */
  requireNamespaces: boolean;
}

// Fields only the server sets; a client's values are ignored on create.
const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'deletionTimestamp',
  'managedFields',
];

/** GET of one object. */
export function getObject(store: FakeStore, route: ResourceRoute): KubeObject {
  const obj = store.get(route.info.kind, route.namespace, nameOf(route));
  if (obj === undefined) throw notFound(route.info, nameOf(route));
  return obj;
}

/** POST to a collection. */
export function createObject(ctx: WriteContext, route: ResourceRoute, body: unknown): KubeObject {
  const obj = normalizeObject(route.info, body, route.namespace ?? null);
  for (const f of SERVER_FIELDS) delete obj.metadata[f];
  if (
    obj.metadata.name === '' &&
    typeof obj.metadata.generateName === 'string' &&
    obj.metadata.generateName !== ''
  ) {
    obj.metadata.name = obj.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
  }
  checkName(route.info, obj.metadata.name);
  // With a status subresource, status is written only through /status.
  if (route.info.statusSubresource) delete obj.status;
  const ns = obj.metadata.namespace;
  if (ctx.requireNamespaces && ns !== undefined && ctx.store.get('Namespace', undefined, ns) === undefined) {
    throw new ApiError(404, `namespaces "${ns}" not found`, 'NotFound', { name: ns, kind: 'namespaces' });
  }
  return ctx.store.create(obj, ctx.origin);
}

/** PUT of an object (or of its status). */
export function updateObject(ctx: WriteContext, route: ResourceRoute, body: unknown): KubeObject {
  const obj = normalizeObject(route.info, body, route.namespace ?? null);
  const name = nameOf(route);
  if (obj.metadata.name !== name) {
    throw new ApiError(
      400,
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  const current = getObject(ctx.store, route);
  return ctx.store.update(splitStatus(route, current, obj), ctx.origin);
}

/** PATCH of an object (or of its status): merge, strategic-merge (as merge) or JSON patch. */
export function patchObject(
  ctx: WriteContext,
  route: ResourceRoute,
  patch: unknown,
  contentType: string,
): KubeObject {
  const current = getObject(ctx.store, route);
  const patched =
    contentType === 'application/json-patch+json' ? jsonPatch(current, patch) : mergePatch(current, patch);
  const obj = normalizeObject(route.info, patched, route.namespace ?? null);
  if (obj.metadata.name !== current.metadata.name)
    throw new ApiError(400, 'metadata.name cannot be changed by a patch');
  return ctx.store.update(splitStatus(route, current, obj), ctx.origin);
}

/** DELETE of one object; answers with the object as it was. */
export function deleteObject(ctx: WriteContext, route: ResourceRoute): KubeObject {
  return ctx.store.delete(route.info.kind, route.namespace, nameOf(route), ctx.origin);
}

// Writes to the object keep the stored status; writes to /status change nothing but status.
function splitStatus(route: ResourceRoute, current: KubeObject, next: KubeObject): KubeObject {
  if (route.subresource === 'status') {
    const out: KubeObject = { ...current, status: next.status };
    out.metadata = { ...current.metadata, resourceVersion: next.metadata.resourceVersion ?? '' };
    return out;
  }
  if (!route.info.statusSubresource) return next;
  const out: KubeObject = { ...next };
  if (current.status === undefined) delete out.status;
  else out.status = current.status;
  return out;
}

function nameOf(route: ResourceRoute): string {
  if (route.name === undefined) throw new ApiError(405, 'a name is required', 'MethodNotAllowed');
  return route.name;
}
