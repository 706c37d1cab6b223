import type { ServerResponse } from 'node:http';
import type { FaultState, RequestInfo } from './faults.js';
import { parseVersion, routeMatcher } from './list.js';
import type { KubeObject } from './objects.js';
import { apiVersionOf } from './resources.js';
import type { ResourceRoute } from './routes.js';
import { ApiError, statusBody } from './status.js';
import type { FakeStore, StoreEvent } from './store.js';

/** Watch timing knobs. */
export interface WatchOptions {
  /** How often BOOKMARK events go to watches that allow them. */
  bookmarkIntervalMs: number;
  /** A watch's life when the client sets no timeoutSeconds (the apiserver's min-request-timeout). */
  maxWatchSeconds: number;
}

interface WatchEvent {
  type: string;
  object: unknown;
}

/**
 * Serves GET ...?watch=true: newline-delimited JSON events from the requested resourceVersion.
 * A resourceVersion older than the history gets a 410 ERROR event, then the stream ends, as from a real apiserver.
 */
export function serveWatch(
  ctx: { store: FakeStore; faults: FaultState; opts: WatchOptions },
  route: ResourceRoute,
  query: URLSearchParams,
  res: ServerResponse,
  info: RequestInfo,
): void {
  const { store } = ctx;
  const match = routeMatcher(route, query);
  const rawRv = query.get('resourceVersion') ?? '';
  const fromScratch = rawRv === '' || rawRv === '0' || query.get('sendInitialEvents') === 'true';
  const since = fromScratch ? store.resourceVersion() : parseVersion(rawRv);
  const timeoutSeconds = parseTimeout(query.get('timeoutSeconds'), ctx.opts.maxWatchSeconds);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();
  const send = (event: WatchEvent): void => {
    if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(event) + '\n');
  };

  let backlog: StoreEvent[];
  try {
    backlog = store.eventsSince(since);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    send({ type: 'ERROR', object: statusBody(err.code, err.message, err.reason) });
    res.end();
    return;
  }
  if (fromScratch) {
    for (const obj of store.list(route.info.kind, route.namespace).filter(match))
      send({ type: 'ADDED', object: obj });
  }
  const bookmark = (initialEnd: boolean): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(store.resourceVersion()) };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    send({
      type: 'BOOKMARK',
      object: { kind: route.info.kind, apiVersion: apiVersionOf(route.info), metadata },
    });
  };
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  if (fromScratch && query.get('sendInitialEvents') === 'true' && allowBookmarks) bookmark(true);

  const deliver = (e: StoreEvent): void => {
    if (e.kind !== route.info.kind) return;
    const out = translate(e, match);
    if (out !== undefined) send(out);
  };
  backlog.forEach(deliver);
  const unsubscribe = store.subscribe(deliver);
  const timers = [setTimeout(() => res.end(), timeoutSeconds * 1000)];
  if (allowBookmarks) timers.push(setInterval(() => bookmark(false), ctx.opts.bookmarkIntervalMs));
  const untrack = ctx.faults.trackWatch({
    info,
    close: (abrupt) => (abrupt ? res.socket?.destroy() : res.end()),
  });
  res.on('close', () => {
    unsubscribe();
    untrack();
    timers.forEach(clearTimeout);
  });
}

// As the apiserver's watch cache does: an object that starts or stops matching the selectors
// shows up as ADDED or DELETED (the latter with its old content and the new resourceVersion).
function translate(e: StoreEvent, match: (o: KubeObject) => boolean): WatchEvent | undefined {
  if (e.type === 'DELETED') return match(e.object) ? { type: 'DELETED', object: e.object } : undefined;
  const now = match(e.object);
  const before = e.prev !== undefined && match(e.prev);
  if (now && before) return { type: 'MODIFIED', object: e.object };
  if (now) return { type: 'ADDED', object: e.object };
  if (before && e.prev !== undefined) {
    const object = {
      ...e.prev,
      metadata: { ...e.prev.metadata, resourceVersion: String(e.resourceVersion) },
    };
    return { type: 'DELETED', object };
  }
  return undefined;
}

function parseTimeout(raw: string | null, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError(400, `timeoutSeconds: Invalid value: "${raw}"`);
  return Number(raw) === 0 ? fallback : Number(raw);
}
