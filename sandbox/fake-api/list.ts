import { objectKey, selectable, type KubeObject } from './objects.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import type { ResourceRoute } from './routes.js';
import { parseFieldSelector, parseLabelSelector, type Matcher } from './selectors.js';
import { expired, type FakeStore } from './store.js';
import { ApiError } from './status.js';

/** The label, field, namespace and name filters of a list or watch, as one predicate. */
export function routeMatcher(route: ResourceRoute, query: URLSearchParams): (obj: KubeObject) => boolean {
  const labels: Matcher = parseLabelSelector(query.get('labelSelector'));
  const fields: Matcher = parseFieldSelector(query.get('fieldSelector'), route.info.fieldLabels);
  return (obj) => {
    if (route.namespace !== undefined && obj.metadata.namespace !== route.namespace) return false;
    if (route.name !== undefined && obj.metadata.name !== route.name) return false;
    const view = selectable(obj);
    return labels(view) && fields(view);
  };
}

interface ContinueToken {
  rv: number;
  after: string;
}

/** Serves a list with limit/continue paging, as the apiserver answers GET on a collection. */
export function listObjects(store: FakeStore, route: ResourceRoute, query: URLSearchParams): unknown {
  const match = routeMatcher(route, query);
  const token = parseContinue(query.get('continue'), store);
  const rv = token?.rv ?? listVersion(store, query);
  const limit = parseLimit(query.get('limit'));
  const all = store.list(route.info.kind, route.namespace).filter(match);
  const rest = token === undefined ? all : all.filter((o) => keyOf(o) > token.after);
  const page = limit === undefined ? rest : rest.slice(0, limit);
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  const last = page[page.length - 1];
  if (rest.length > page.length && last !== undefined) {
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: keyOf(last) })).toString('base64url');
    metadata.remainingItemCount = rest.length - page.length;
  }
  return listBody(route.info, metadata, page);
}

/** A `<Kind>List` body; items drop apiVersion/kind as the real apiserver's JSON lists do. */
export function listBody(
  info: ResourceInfo,
  metadata: Record<string, unknown>,
  items: KubeObject[],
): unknown {
  const bare = items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  return { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata, items: bare };
}

function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name);
}

// Lists are always served at the latest state ("NotOlderThan", as from the watch cache); an Exact
// request for a version older than the history gets 410 like an etcd read of a compacted revision.
function listVersion(store: FakeStore, query: URLSearchParams): number {
  const raw = query.get('resourceVersion') ?? '';
  const current = store.resourceVersion();
  if (raw === '' || raw === '0') return current;
  const asked = parseVersion(raw);
  if (asked > current) {
    throw new ApiError(504, `Too large resource version: ${asked}, current: ${current}`, 'Timeout');
  }
  if (query.get('resourceVersionMatch') === 'Exact' && asked < store.oldestResourceVersion()) {
    throw expired(asked, store.oldestResourceVersion());
  }
  return current;
}

/** Parses a resourceVersion query parameter; ApiError 400 when it is not one the fake handed out. */
export function parseVersion(raw: string): number {
  if (!/^\d{1,15}$/.test(raw))
    throw new ApiError(400, `resourceVersion: Invalid value: "${raw}": must be a number`);
  return Number(raw);
}

function parseLimit(raw: string | null): number | undefined {
  if (raw === null || raw === '' || raw === '0') return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError(400, `limit: Invalid value: "${raw}"`);
  return Number(raw);
}

function parseContinue(raw: string | null, store: FakeStore): ContinueToken | undefined {
  if (raw === null || raw === '') return undefined;
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError(400, 'continue key is not valid: incorrect encoded start resourceVersion');
  }
  const t = token as Partial<ContinueToken> | null;
  if (t === null || typeof t !== 'object' || typeof t.rv !== 'number' || typeof t.after !== 'string') {
    throw new ApiError(400, 'continue key is not valid: incorrect encoded start resourceVersion');
  }
  if (t.rv < store.oldestResourceVersion()) {
    throw new ApiError(
      410,
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      'Expired',
    );
  }
  return { rv: t.rv, after: t.after };
}
