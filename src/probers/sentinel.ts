import net from 'node:net';
import { once } from 'node:events';

/**
 * The node agent's own listener: the target of the policy sentinel path (netprobe's NetworkPolicy
 * denies it, so reaching it means policies are not enforced) and of neighbour probes. It speaks just
 * enough HTTP/1.1 for the path prober: connect-only probes need nothing, and `GET /payload?bytes=N`
 * returns exactly N bytes so an MTU black hole (small packets pass, full-size ones vanish) shows up
 * as a stalled body. Written on node:net rather than node:http so every limit is ours and garbage
 * costs one closed socket.
 */

/** Largest payload the sentinel serves (1 MiB): enough to fill many full-size segments. */
export const MAX_PAYLOAD_BYTES = 1_048_576;

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
}

/** A running sentinel; close() stops listening and drops open connections. */
export interface Sentinel {
  address: string;
  port: number;
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 8192;
const PAYLOAD_RE = /^\/payload\?bytes=(\d{1,7})$/;

/** Starts the sentinel listener; resolves once it is bound. */
export async function startSentinel(options: SentinelOptions): Promise<Sentinel> {
  const sockets = new Set<net.Socket>();
  const idleMs = (options.idleTimeoutSeconds ?? 10) * 1000;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, idleMs);
  });
  server.maxConnections = options.maxConnections ?? 256;
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

function serveConnection(socket: net.Socket, idleMs: number): void {
  socket.setTimeout(idleMs, () => socket.destroy());
  // Peers that reset or vanish are normal here (connect-only probes); never let it crash the agent.
  socket.on('error', () => socket.destroy());
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEADER_BYTES) socket.destroy();
      return;
    }
    socket.off('data', onData);
    respond(socket, head.slice(0, head.indexOf('\r\n')));
  };
  socket.on('data', onData);
}

/** Answers one request line; anything that is not a GET request line is garbage and dropped. */
function respond(socket: net.Socket, requestLine: string): void {
  const match = /^(GET|HEAD) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (match === null) {
    socket.destroy();
    return;
  }
  const [, method, target] = match;
  const reply = replyFor(target ?? '');
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

function replyFor(target: string): Reply {
  const text = (status: string, body: string): Reply => ({
    status,
    type: 'text/plain',
    body: Buffer.from(body),
  });
  if (target === '/' || target === '/healthz') return text('200 OK', 'netprobe sentinel\n');
  const payload = PAYLOAD_RE.exec(target);
  if (payload === null) return text('404 Not Found', 'not found\n');
  const bytes = Number(payload[1]);
  if (bytes > MAX_PAYLOAD_BYTES) return text('413 Content Too Large', `at most ${MAX_PAYLOAD_BYTES} bytes\n`);
  return { status: '200 OK', type: 'application/octet-stream', body: Buffer.alloc(bytes, 0x78) };
}
