import http, { type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { RefusalReason } from '../metrics/families/listener.js';
import { splitHostPort } from '../net/address.js';

/** What a role tells the server about itself. */
export interface RoleStatus {
  /** Ready for traffic (caches synced / a plan loaded), with the reason when not. */
  readiness(): { ready: boolean; reason: string };
  /** The JSON served at /status (may be a Promise: features read their series back). */
  status(): unknown;
  /** The HTML served at / (the status page). */
  page?(): string | Promise<string>;
}

/** A running HTTP server. */
export interface HttpHandle {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export { splitHostPort } from '../net/address.js';

// The status page is self-contained: no external assets, inline style only through a nonce-less
// stylesheet in <style>, allowed by 'unsafe-inline' for styles alone; no scripts at all.
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Limits and the refusal hook of the server; limits default to the config defaults. */
export interface HttpServerOptions {
  limits?: ServerConfig;
  /** Called once per client turned away (counted by the caller). */
  onRefusal?: (reason: RefusalReason) => void;
}

/** The config defaults (src/config/schema.ts `server`), for callers without a config. */
export const DEFAULT_SERVER_LIMITS: ServerConfig = {
  maxConnections: 64,
  headersTimeout: 5,
  requestTimeout: 10,
  keepAliveTimeout: 5,
};

// Node checks header/request deadlines on a timer (30 s by default, which let a slow-loris live
// ~24 s past a 10 s timeout); checking twice a second over at most maxConnections is cheap.
const CONNECTIONS_CHECKING_INTERVAL_MS = 500;

/** A request announcing a body: Content-Length above 0 or any Transfer-Encoding (chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Builds the express app serving /metrics, /healthz, /readyz, /status and /. */
export function createApp(
  registry: Registry,
  role: RoleStatus,
  logger: Logger,
  onRefusal: (reason: RefusalReason) => void = () => undefined,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // No route takes a body: refuse it before anything reads it, and close the connection so the
  // rest is never read either (Node would otherwise drain it to reuse a keep-alive socket).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req)) return next();
    onRefusal('body');
    res.set('Connection', 'close').status(413).type('text/plain').send('request bodies are not accepted\n');
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    try {
      const body = await registry.metrics();
      res.set('Content-Type', registry.contentType).send(body);
    } catch (err) {
      logger.error('metrics render failed', { err });
      res.status(500).type('text/plain').send('metrics render failed\n');
    }
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const r = role.readiness();
    res
      .status(r.ready ? 200 : 503)
      .type('text/plain')
      .send(r.ready ? 'ready\n' : `not ready: ${r.reason}\n`);
  });
  app.get('/status', async (_req, res) => {
    try {
      res.json(await role.status());
    } catch (err) {
      logger.error('status render failed', { err });
      res.status(500).type('text/plain').send('status render failed\n');
    }
  });
  app.get('/', async (_req, res) => {
    res.set('Content-Security-Policy', CSP);
    // The page reloads itself every few seconds: never serve a stale copy from a cache.
    res.set('Cache-Control', 'no-store');
    if (!role.page) {
      res.type('text/plain').send('netprobe: see /metrics, /status\n');
      return;
    }
    try {
      res.type('text/html').send(await role.page());
    } catch (err) {
      logger.error('status page render failed', { err });
      res.status(500).type('text/plain').send('status page render failed\n');
    }
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  return app;
}

/** Answers a malformed or too slow request itself, as Node would, but counts it. */
function onClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  onRefusal: (r: RefusalReason) => void,
): void {
  // A peer that reset or went away is not a refusal; a response already under way cannot be replaced.
  const inFlight =
    (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  onRefusal(timeout ? 'timeout' : 'bad_request');
  const status = timeout
    ? '408 Request Timeout'
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/** Starts the HTTP server on the listen address, with the connection cap and timeouts of `limits`. */
export async function startHttpServer(
  listen: string,
  registry: Registry,
  role: RoleStatus,
  logger: Logger,
  options: HttpServerOptions = {},
): Promise<HttpHandle> {
  const { host, port } = splitHostPort(listen);
  const limits = options.limits ?? DEFAULT_SERVER_LIMITS;
  const onRefusal = options.onRefusal ?? (() => undefined);
  const app = createApp(registry, role, logger, onRefusal);
  const server: Server = http.createServer(
    {
      headersTimeout: limits.headersTimeout * 1000,
      requestTimeout: limits.requestTimeout * 1000,
      keepAliveTimeout: limits.keepAliveTimeout * 1000,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
    app,
  );
  // Node closes connections beyond this as soon as it accepts them, and says so with 'drop'.
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => onRefusal('connections'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    onClientError(err, socket, onRefusal),
  );
  // Without a listener Node answers "100 Continue" itself, inviting a body no route takes.
  server.on('checkContinue', (req: IncomingMessage, res: http.ServerResponse) => {
    app(req, res);
  });
  // A client that stops reading its answer would hold a connection slot forever.
  server.setTimeout(limits.requestTimeout * 1000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No host: Node binds :: (IPv4 mapped) when the kernel has IPv6, else 0.0.0.0.
    server.listen(host === undefined ? { port } : { port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const boundHost = typeof addr === 'object' && addr ? addr.address : (host ?? '0.0.0.0');
  return {
    address: { host: boundHost, port: actual },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
