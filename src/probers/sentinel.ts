import net from 'node:net';
import { once } from 'node:events';
import type { RefusalReason } from '../metrics/families/listener.js';
import { SourceLimiter } from './source-limiter.js';

/**
 * The node agent's own listener: the target of the policy sentinel path (netprobe's NetworkPolicy
 * denies it, so reaching it means policies are not enforced) and of neighbour probes. It speaks just
 * enough HTTP/1.1 for the path prober: connect-only probes need nothing, and `GET /payload?bytes=N`
 * returns exactly N bytes so an MTU black hole (small packets pass, full-size ones vanish) shows up
 * as a stalled body. Written on node:net rather than node:http so every limit is ours and garbage
 * costs one closed socket.
 */

/**
 * Largest payload the sentinel serves (64 KiB). An MTU black hole drops every segment larger than
 * the path allows, so one full-size segment already stalls the body; 64 KiB is more than 40 segments
 * at MTU 1500 and 7 at a 9001-byte jumbo MTU, and still small enough that the sentinel cannot be
 * used to pull bulk data (1 MiB answered a 26-byte request).
 */
export const MAX_PAYLOAD_BYTES = 65_536;

/** The request path of the payload contract between the path prober and the sentinel. */
export function payloadPath(bytes: number): string {
  return `/payload?bytes=${bytes}`;
}

/** Where and how the sentinel listens; limits default to values safe on any node. */
export interface SentinelOptions {
  /** Address to bind; empty for every address of the pod's families. */
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Connections beyond this are closed as soon as they are accepted. */
  maxConnections?: number;
  /** A socket with no traffic for this long is destroyed, whatever state it is in. */
  idleTimeoutSeconds?: number;
  /** The request head must be complete this long after accept (a slow-loris is cut here). */
  headerTimeoutSeconds?: number;
  /** Payload answers per second per source (IPv6: per /64); more get 429. */
  payloadRate?: number;
  /** Payload answers a source may get at once. */
  payloadBurst?: number;
  /** Called once per client turned away (counted by the caller). */
  onRefusal?: (reason: RefusalReason) => void;
}

/** A running sentinel; close() stops listening and drops open connections. */
export interface Sentinel {
  address: string;
  port: number;
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 8192;
const PAYLOAD_RE = /^\/payload\?bytes=(\d+)$/;

/** What one connection needs from its listener. */
interface Context {
  idleMs: number;
  headerMs: number;
  limiter: SourceLimiter;
  refuse: (reason: RefusalReason) => void;
}

/** Starts the sentinel listener; resolves once it is bound. */
export async function startSentinel(options: SentinelOptions): Promise<Sentinel> {
  const sockets = new Set<net.Socket>();
  const ctx: Context = {
    idleMs: (options.idleTimeoutSeconds ?? 10) * 1000,
    headerMs: (options.headerTimeoutSeconds ?? 5) * 1000,
    limiter: new SourceLimiter({ rate: options.payloadRate ?? 5, burst: options.payloadBurst ?? 10 }),
    refuse: options.onRefusal ?? (() => undefined),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, ctx);
  });
  // The kernel has completed the handshake before we drop, so a connect-only probe still sees open.
  server.maxConnections = options.maxConnections ?? 256;
  server.on('drop', () => ctx.refuse('connections'));
  // An empty address binds every one: :: with IPv4 mapped where the kernel has IPv6, else 0.0.0.0.
  server.listen(options.address ? { host: options.address, port: options.port } : { port: options.port });
  await once(server, 'listening');
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  return {
    address: options.address,
    port,
    close: async (): Promise<void> => {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function serveConnection(socket: net.Socket, ctx: Context): void {
  const drop = (reason: RefusalReason): void => {
    ctx.refuse(reason);
    socket.destroy();
  };
  socket.setTimeout(ctx.idleMs, () => drop('timeout'));
  // The idle timer restarts on every byte: a head trickled a byte at a time needs its own deadline.
  const headerTimer = setTimeout(() => drop('timeout'), ctx.headerMs);
  socket.once('close', () => clearTimeout(headerTimer));
  // Peers that reset or vanish are normal here (connect-only probes); never let it crash the agent.
  socket.on('error', () => socket.destroy());
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEADER_BYTES) drop('bad_request');
      return;
    }
    clearTimeout(headerTimer);
    socket.off('data', onData);
    respond(socket, head.slice(0, head.indexOf('\r\n')), ctx);
  };
  socket.on('data', onData);
}

/** Answers one request line; anything that is not a GET request line is garbage and dropped. */
function respond(socket: net.Socket, requestLine: string, ctx: Context): void {
  const match = /^(GET|HEAD) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (match === null) {
    ctx.refuse('bad_request');
    socket.destroy();
    return;
  }
  const [, method, target] = match;
  const reply = replyFor(target ?? '', socket.remoteAddress ?? '', ctx);
  const header =
    `HTTP/1.1 ${reply.status}\r\nContent-Type: ${reply.type}\r\n` +
    `Content-Length: ${reply.body.length}\r\nConnection: close\r\n\r\n`;
  socket.write(header, 'latin1');
  if (method === 'HEAD') socket.end();
  else socket.end(reply.body);
}

interface Reply {
  status: string;
  type: string;
  body: Buffer;
}

function replyFor(target: string, source: string, ctx: Context): Reply {
  const text = (status: string, body: string): Reply => ({
    status,
    type: 'text/plain',
    body: Buffer.from(body),
  });
  if (target === '/' || target === '/healthz') return text('200 OK', 'netprobe sentinel\n');
  const payload = PAYLOAD_RE.exec(target);
  if (payload === null) return text('404 Not Found', 'not found\n');
  const bytes = Number(payload[1]);
  if (bytes > MAX_PAYLOAD_BYTES) {
    ctx.refuse('bad_request');
    return text('400 Bad Request', `at most ${MAX_PAYLOAD_BYTES} bytes\n`);
  }
  // Only payloads cost bandwidth; the cheap answers above stay available to a limited source.
  if (!ctx.limiter.take(source)) {
    ctx.refuse('rate_limited');
    return text('429 Too Many Requests', 'too many payload requests from this address\n');
  }
  return { status: '200 OK', type: 'application/octet-stream', body: Buffer.alloc(bytes, 0x78) };
}
