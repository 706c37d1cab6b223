import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
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

/** Builds the express app serving /metrics, /healthz, /readyz, /status and /. */
export function createApp(registry: Registry, role: RoleStatus, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
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

/** Starts the HTTP server on the listen address. */
export async function startHttpServer(
  listen: string,
  registry: Registry,
  role: RoleStatus,
  logger: Logger,
): Promise<HttpHandle> {
  const { host, port } = splitHostPort(listen);
  const app = createApp(registry, role, logger);
  const server: Server = await new Promise((resolve, reject) => {
    const cb = (err?: Error): void => (err ? reject(err) : resolve(s));
    // No host: Node binds :: (IPv4 mapped) when the kernel has IPv6, else 0.0.0.0.
    const s = host === undefined ? app.listen(port, cb) : app.listen(port, host, cb);
    s.once('error', reject);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
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
