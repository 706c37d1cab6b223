import type { Verb } from './faults.js';
import { findResource, type ResourceInfo } from './resources.js';
import { ApiError } from './status.js';

/** A request for a served resource, parsed from its path and method. */
export interface ResourceRoute {
  info: ResourceInfo;
  verb: Verb;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

/**
 * Parses /api/v1/... and /apis/<group>/<version>/... resource paths; undefined when the path is not
 * a resource path at all (discovery, /version, unknown), ApiError 404/405 when it names nothing served.
 */
export function parseRoute(method: string, path: string, query: URLSearchParams): ResourceRoute | undefined {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeSegment);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1' && parts.length > 2) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length > 3) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  const version = parts[0] === 'api' ? 'v1' : (parts[2] ?? '');
  const route = locate(group, version, rest);
  if (route === undefined)
    throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
  const verb = verbOf(method, route.name !== undefined, query);
  if (route.subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) {
    throw new ApiError(405, `${verb} is not supported on ${route.info.plural}/status`, 'MethodNotAllowed');
  }
  return { ...route, verb };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `invalid path segment "${segment}"`);
  }
}

function locate(group: string, version: string, rest: string[]): Omit<ResourceRoute, 'verb'> | undefined {
  const nsPlural =
    rest[0] === 'namespaces' && rest.length >= 3 ? findResource(group, version, rest[2] ?? '') : undefined;
  if (nsPlural?.namespaced === true && rest[1] !== undefined) {
    return withTail(nsPlural, rest.slice(3), rest[1]);
  }
  const info = findResource(group, version, rest[0] ?? '');
  if (info === undefined) return undefined;
  // A namespaced kind is reachable cluster-wide only as a collection (list/watch across namespaces).
  if (info.namespaced && rest.length > 1) return undefined;
  return withTail(info, rest.slice(1), undefined);
}

function withTail(
  info: ResourceInfo,
  tail: string[],
  namespace: string | undefined,
): Omit<ResourceRoute, 'verb'> | undefined {
  if (tail.length > 2) return undefined;
  const [name, sub] = tail;
  if (sub !== undefined && (sub !== 'status' || !info.statusSubresource)) return undefined;
  const route: Omit<ResourceRoute, 'verb'> = { info };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (sub === 'status') route.subresource = 'status';
  return route;
}

function verbOf(method: string, named: boolean, query: URLSearchParams): Verb {
  const watch = query.get('watch');
  switch (method) {
    case 'GET':
      if (watch === 'true' || watch === '1') return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      if (!named) return 'create';
      break;
    case 'PUT':
      if (named) return 'update';
      break;
    case 'PATCH':
      if (named) return 'patch';
      break;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
  }
  throw new ApiError(
    405,
    `the server does not allow this method on the requested resource`,
    'MethodNotAllowed',
  );
}
