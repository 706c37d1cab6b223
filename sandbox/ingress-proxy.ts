import http, {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls, { type SecureContext } from 'node:tls';

/** An endpoint of a route's backend Service. */
export interface ProxyBackend {
  host: string;
  port: number;
}

/** One Ingress path as the proxy routes it. ImplementationSpecific is routed like Prefix. */
export interface ProxyRoute {
  /** Exact host, "*.example.com", or "" / "*" for a host-less rule. */
  host: string;
  path: string;
  pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  /** Ready endpoints; none means 503. */
  backends: ProxyBackend[];
}

/** The routes the proxy serves, read on every request so the demo can change them live. */
export type RouteTable = ProxyRoute[];

/** A certificate and key (PEM) served for the hosts it lists (exact or "*.example.com"). */
export interface ProxyCert {
  hosts: string[];
  cert: string;
  key: string;
}

/** How to run the sandbox ingress controller. */
export interface IngressProxyOptions {
  /** 0 picks a free port. */
  httpPort: number;
  /** Omit to serve plain HTTP only. */
  httpsPort?: number;
  address: string;
  routes: () => RouteTable;
  /** Read on every handshake; the first one is served when SNI matches none (or is absent). */
  certs?: () => ProxyCert[];
  /** Time to wait for a backend's response headers before answering 504. */
  backendTimeoutMs?: number;
}

/** A running proxy. */
export interface IngressProxy {
  httpPort: number;
  httpsPort?: number;
  close(): Promise<void>;
}

/** The body the default backend answers with; a fixed body is what makes no-route fingerprinting possible. */
export const DEFAULT_BACKEND_BODY = 'default backend - 404\n';
/** The Server header of every response the proxy sends. */
export const PROXY_SERVER_HEADER = 'sandbox-ingress';

/** Starts an ingress controller that routes by Host and path, with SNI-selected certificates. */
export async function startIngressProxy(opts: IngressProxyOptions): Promise<IngressProxy> {
  let next = 0;
  const pick = (backends: ProxyBackend[]): ProxyBackend | undefined =>
    backends[next++ % Math.max(1, backends.length)];
  const handler = (req: IncomingMessage, res: ServerResponse): void => route(req, res, opts, pick);
  const servers: Server[] = [];
  const httpServer = http.createServer(handler);
  servers.push(httpServer);
  const httpPort = await listen(httpServer, opts.httpPort, opts.address);
  let httpsPort: number | undefined;
  if (opts.httpsPort !== undefined) {
    const httpsServer = https.createServer(tlsOptions(opts.certs), handler);
    servers.push(httpsServer);
    httpsPort = await listen(httpsServer, opts.httpsPort, opts.address);
  }
  return {
    httpPort,
    httpsPort,
    close: async () => {
      await Promise.all(servers.map((s) => closeServer(s)));
    },
  };
}

/** The route serving `host` and `path` (Kubernetes semantics: exact host, then wildcard, then host-less; longest path; Exact over Prefix). */
export function matchRoute(table: RouteTable, host: string, path: string): ProxyRoute | undefined {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const p = path.split('?')[0] ?? '/';
  const tiers: ((r: ProxyRoute) => boolean)[] = [
    (r) => r.host.toLowerCase() === h,
    (r) => r.host.startsWith('*.') && wildcardCovers(r.host.toLowerCase(), h),
    (r) => r.host === '' || r.host === '*',
  ];
  for (const inTier of tiers) {
    const candidates = table.filter((r) => inTier(r) && pathMatches(r, p));
    if (candidates.length > 0) return candidates.sort(byPrecedence)[0];
  }
  return undefined;
}

function wildcardCovers(pattern: string, host: string): boolean {
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === pattern.slice(1);
}

function pathMatches(r: ProxyRoute, path: string): boolean {
  if (r.pathType === 'Exact') return r.path === path;
  // Prefix matches whole path elements: "/foo" matches "/foo" and "/foo/bar", not "/foobar".
  const want = r.path.split('/').filter((s) => s !== '');
  const got = path.split('/').filter((s) => s !== '');
  return want.length <= got.length && want.every((s, i) => got[i] === s);
}

function byPrecedence(a: ProxyRoute, b: ProxyRoute): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  return (a.pathType === 'Exact' ? 0 : 1) - (b.pathType === 'Exact' ? 0 : 1);
}

function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: IngressProxyOptions,
  pick: (b: ProxyBackend[]) => ProxyBackend | undefined,
): void {
  const r = matchRoute(opts.routes(), req.headers.host ?? '', req.url ?? '/');
  if (r === undefined) return answer(res, 404, DEFAULT_BACKEND_BODY);
  const backend = pick(r.backends);
  if (backend === undefined) return answer(res, 503, 'service unavailable: no endpoints\n');
  forward(req, res, backend, opts.backendTimeoutMs ?? 30_000);
}

function forward(req: IncomingMessage, res: ServerResponse, backend: ProxyBackend, timeoutMs: number): void {
  const headers: OutgoingHttpHeaders = {
    ...req.headers,
    'x-forwarded-host': req.headers.host,
    'x-forwarded-for': req.socket.remoteAddress,
  };
  const upstream = http.request({
    host: backend.host,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
  });
  upstream.setTimeout(timeoutMs, () => upstream.destroy(new Error('upstream timeout')));
  upstream.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, { ...up.headers, server: PROXY_SERVER_HEADER });
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => {
    if (res.headersSent) return void res.destroy();
    answer(
      res,
      err.message === 'upstream timeout' ? 504 : 502,
      err.message === 'upstream timeout' ? 'gateway timeout\n' : 'bad gateway\n',
    );
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    server: PROXY_SERVER_HEADER,
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function tlsOptions(certs: (() => ProxyCert[]) | undefined): https.ServerOptions {
  const first = certs?.()[0];
  if (certs === undefined || first === undefined)
    throw new Error('an HTTPS port needs at least one certificate');
  // Contexts are cached by PEM so a handshake does not parse the key again; certs() may change between handshakes.
  const contexts = new Map<string, SecureContext>();
  const contextFor = (c: ProxyCert): SecureContext => {
    const key = c.cert + c.key;
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      ctx = tls.createSecureContext({ cert: c.cert, key: c.key });
      contexts.set(key, ctx);
    }
    return ctx;
  };
  return {
    cert: first.cert,
    key: first.key,
    SNICallback: (servername, cb) => {
      const list = certs();
      const name = servername.toLowerCase();
      const chosen =
        list.find((c) => c.hosts.some((h) => h.toLowerCase() === name)) ??
        list.find((c) => c.hosts.some((h) => h.startsWith('*.') && wildcardCovers(h.toLowerCase(), name))) ??
        list[0];
      cb(null, chosen === undefined ? undefined : contextFor(chosen));
    },
  };
}

async function listen(server: Server, port: number, address: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
