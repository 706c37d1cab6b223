import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { discoveryDocument, FAKE_VERSION } from './discovery.js';
import { createFaultState, type FaultState, type Faults, type RequestInfo, type Verb } from './faults.js';
import { readJsonBody, sendJson, sendStatus, statusOf } from './http.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { listBody, listObjects, routeMatcher } from './list.js';
import { parseRoute, type ResourceRoute } from './routes.js';
import { selectedName } from './selectors.js';
import { statusBody } from './status.js';
import { createStore, type FakeStore } from './store.js';
import { selfSignedCert } from './tls.js';
import { serveWatch, type WatchOptions } from './watch.js';
import {
  createObject,
  deleteObject,
  getObject,
  JSON_TYPES,
  PATCH_TYPES,
  patchObject,
  updateObject,
  type WriteContext,
} from './writes.js';

/** What the authorization hook is asked, in RBAC terms. */
export type AuthorizeRequest = RequestInfo;

/** One served resource request, for tests that check which permissions were used. */
export interface RequestRecord extends RequestInfo {
  status: number;
  /** The query parameters as sent (resourceVersion, allowWatchBookmarks, timeoutSeconds, ...). */
  query: Record<string, string>;
}

/** Options of startFakeApi; every field is optional. */
export interface FakeApiOptions {
  /** Serve HTTPS with a fresh self-signed certificate (default false: plain HTTP). */
  tls?: boolean;
  host?: string;
  port?: number;
  /** Extra bearer tokens and the user each one authenticates as. */
  tokens?: Record<string, string>;
  /** Consulted for every resource request of a user other than the built-in admin; false means 403. */
  authorize?: (req: AuthorizeRequest) => boolean;
  /** Events kept for resuming watches (default 1000). */
  historySize?: number;
  /** BOOKMARK period for watches with allowWatchBookmarks=true (default 5000 ms). */
  bookmarkIntervalMs?: number;
  /** Watch length when the client gives no timeoutSeconds (default 1800 s). */
  maxWatchSeconds?: number;
  /** Refuse API creates into a namespace that does not exist, like the apiserver (default true). */
  requireNamespaces?: boolean;
}

/** A running fake API server. */
export interface FakeApi {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Bearer token of the built-in admin user (never subject to `authorize`). */
  token: string;
  /** The server certificate (its own CA) when serving HTTPS. */
  caCertPem?: string;
  store: FakeStore;
  faults: Faults;
  /** Every resource request served so far, oldest first (clear with `requests.length = 0`). */
  requests: RequestRecord[];
  /** A kubeconfig for this server, authenticating with `token` (default: the admin token). */
  kubeconfig(token?: string, namespace?: string): string;
  writeKubeconfig(path: string, token?: string, namespace?: string): Promise<void>;
  close(): Promise<void>;
}

/** The user the built-in token authenticates as. */
export const ADMIN_USER = 'admin';
// Health and version are public on a real apiserver (system:public-info-viewer).
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

interface Context {
  store: FakeStore;
  faults: FaultState;
  requests: RequestRecord[];
  users: Map<string, string>;
  opts: FakeApiOptions;
  watch: WatchOptions;
  address: () => string;
}

/** Starts a fake Kubernetes API server on loopback (port 0 by default). */
export async function startFakeApi(opts: FakeApiOptions = {}): Promise<FakeApi> {
  const token = randomBytes(16).toString('hex');
  const store = createStore(opts.historySize === undefined ? {} : { historySize: opts.historySize });
  const ctx: Context = {
    store,
    faults: createFaultState(store),
    requests: [],
    users: new Map([...Object.entries(opts.tokens ?? {}), [token, ADMIN_USER]]),
    opts,
    watch: {
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
      maxWatchSeconds: opts.maxWatchSeconds ?? 1800,
    },
    address: () => '',
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(ctx, req, res).catch((err: unknown) => failSafe(res, err));
  };
  const cert = opts.tls === true ? await selfSignedCert() : undefined;
  const server: Server =
    cert === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostPort = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  ctx.address = () => hostPort;
  const url = `${cert === undefined ? 'http' : 'https'}://${hostPort}`;
  const kubeconfig = (tok = token, namespace?: string): string =>
    kubeconfigYaml({
      server: url,
      token: tok,
      ...(cert === undefined ? {} : { caCertPem: cert.certPem }),
      ...(namespace === undefined ? {} : { namespace }),
    });
  return {
    url,
    token,
    ...(cert === undefined ? {} : { caCertPem: cert.certPem }),
    store,
    faults: ctx.faults.faults,
    requests: ctx.requests,
    kubeconfig,
    writeKubeconfig: (path, tok, namespace) => writeFile(path, kubeconfig(tok, namespace), { mode: 0o600 }),
    close: () => closeServer(server, ctx.faults),
  };
}

async function closeServer(server: Server, faults: FaultState): Promise<void> {
  faults.faults.dropWatches();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

// Last resort: a handler bug must answer 500, not crash the process or hang the client.
function failSafe(res: ServerResponse, err: unknown): void {
  if (!res.headersSent) sendStatus(res, statusOf(err));
  else res.destroy();
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (PUBLIC_PATHS.has(path) && req.method === 'GET') {
    if (path === '/version') sendJson(res, 200, FAKE_VERSION);
    else res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  const user = authenticate(ctx, req);
  if (user === undefined) {
    sendStatus(res, statusBody(401, 'Unauthorized'));
    return;
  }
  let route: ResourceRoute | undefined;
  try {
    route = parseRoute(req.method ?? 'GET', path, url.searchParams);
  } catch (err) {
    sendStatus(res, statusOf(err));
    return;
  }
  if (route === undefined) {
    serveNonResource(ctx, req, res, path);
    return;
  }
  await serveResource(ctx, { req, res, route, user, query: url.searchParams });
}

function authenticate(ctx: Context, req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1] === undefined ? undefined : ctx.users.get(m[1]);
}

function serveNonResource(ctx: Context, req: IncomingMessage, res: ServerResponse, path: string): void {
  const doc = req.method === 'GET' ? discoveryDocument(path, ctx.address()) : undefined;
  if (doc === undefined) sendStatus(res, statusBody(404, 'the server could not find the requested resource'));
  else sendJson(res, 200, doc);
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  user: string;
  query: URLSearchParams;
}

async function serveResource(ctx: Context, call: Call): Promise<void> {
  const { route, user, res } = call;
  const info: RequestInfo = { user, verb: route.verb, group: route.info.group, resource: route.info.plural };
  if (route.subresource !== undefined) info.subresource = route.subresource;
  if (route.namespace !== undefined) info.namespace = route.namespace;
  const name =
    route.name ??
    (route.verb === 'list' || route.verb === 'watch'
      ? selectedName(call.query.get('fieldSelector'))
      : undefined);
  if (name !== undefined) info.name = name;
  const record = (status: number): void => {
    ctx.requests.push({ ...info, status, query: Object.fromEntries(call.query) });
  };
  if (user !== ADMIN_USER && ctx.opts.authorize !== undefined && !ctx.opts.authorize(info)) {
    record(403);
    sendStatus(res, forbidden(info));
    return;
  }
  const wait = ctx.faults.delayFor(info);
  if (wait > 0) await sleep(wait);
  const injected = ctx.faults.takeFailure(info);
  if (injected !== undefined) {
    record(injected);
    sendStatus(res, statusBody(injected, `injected failure (${injected})`));
    return;
  }
  try {
    const code = await dispatch(ctx, call, info);
    record(code);
  } catch (err) {
    const status = statusOf(err);
    record(status.code);
    if (res.headersSent) res.destroy();
    else sendStatus(res, status);
  }
}

// Serves the call and returns the HTTP status it answered with.
async function dispatch(ctx: Context, call: Call, info: RequestInfo): Promise<number> {
  const { route, res, query } = call;
  const write: WriteContext = {
    store: ctx.store,
    origin: { source: 'api', user: call.user },
    requireNamespaces: ctx.opts.requireNamespaces ?? true,
  };
  const reply = (code: number, body: unknown): number => {
    sendJson(res, code, body);
    return code;
  };
  const verb: Verb = route.verb;
  switch (verb) {
    case 'watch':
      serveWatch({ store: ctx.store, faults: ctx.faults, opts: ctx.watch }, route, query, res, info);
      return 200;
    case 'list':
      return reply(200, listObjects(ctx.store, route, query));
    case 'get':
      return reply(200, getObject(ctx.store, route));
    case 'create':
      return reply(201, createObject(write, route, (await readJsonBody(call.req, JSON_TYPES)).body));
    case 'update':
      return reply(200, updateObject(write, route, (await readJsonBody(call.req, JSON_TYPES)).body));
    case 'patch': {
      const { body, type } = await readJsonBody(call.req, PATCH_TYPES);
      return reply(200, patchObject(write, route, body, type));
    }
    case 'delete':
      return reply(200, deleteObject(write, route));
    case 'deletecollection': {
      const gone = ctx.store.list(route.info.kind, route.namespace).filter(routeMatcher(route, query));
      const deleted = gone.map((o) =>
        ctx.store.delete(route.info.kind, o.metadata.namespace, o.metadata.name, write.origin),
      );
      return reply(
        200,
        listBody(route.info, { resourceVersion: String(ctx.store.resourceVersion()) }, deleted),
      );
    }
  }
}

function forbidden(info: RequestInfo): ReturnType<typeof statusBody> {
  const resource = info.subresource === undefined ? info.resource : `${info.resource}/${info.subresource}`;
  const target = info.name === undefined ? '' : ` "${info.name}"`;
  const where =
    info.namespace === undefined ? 'at the cluster scope' : `in the namespace "${info.namespace}"`;
  const message = `${info.resource}${target} is forbidden: User "${info.user}" cannot ${info.verb} resource "${resource}" in API group "${info.group}" ${where}`;
  return statusBody(403, message, 'Forbidden', {
    ...(info.name === undefined ? {} : { name: info.name }),
    group: info.group,
    kind: info.resource,
  });
}
