import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { silentLogger } from '../../src/log/logger.js';
import { DEFAULT_SERVER_LIMITS, startHttpServer, type HttpHandle } from '../../src/server/http.js';
import type { RefusalReason } from '../../src/metrics/families/listener.js';

const role = { readiness: () => ({ ready: true, reason: '' }), status: () => ({}) };

async function start(
  limits = DEFAULT_SERVER_LIMITS,
): Promise<{ server: HttpHandle; refusals: RefusalReason[] }> {
  const refusals: RefusalReason[] = [];
  const server = await startHttpServer('127.0.0.1:0', new Registry(), role, silentLogger(), {
    limits,
    onRefusal: (r) => refusals.push(r),
  });
  return { server, refusals };
}

const connect = async (port: number): Promise<net.Socket> => {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
};

/** Resolves true when the socket closes within ms, false otherwise. */
const closesWithin = (socket: net.Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('metrics server limits', () => {
  test('connections beyond maxConnections are closed at once', async () => {
    const cap = 5;
    const { server, refusals } = await start({
      ...DEFAULT_SERVER_LIMITS,
      maxConnections: cap,
      headersTimeout: 30,
      requestTimeout: 30,
    });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < cap; i++) sockets.push(await connect(server.address.port));
      const extras: net.Socket[] = [];
      for (let i = 0; i < 10; i++) extras.push(await connect(server.address.port));
      const closed = await Promise.all(extras.map((s) => closesWithin(s, 2000)));
      expect(closed).toEqual(extras.map(() => true));
      expect(await Promise.all(sockets.map((s) => closesWithin(s, 100)))).toEqual(sockets.map(() => false));
      expect(refusals.filter((r) => r === 'connections')).toHaveLength(10);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });

  test('a slow-loris (one header byte a second) is cut within the header timeout', async () => {
    const { server, refusals } = await start();
    const socket = await connect(server.address.port);
    const started = Date.now();
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X'), 1000);
    try {
      const bound = (DEFAULT_SERVER_LIMITS.headersTimeout + 3) * 1000;
      expect(await closesWithin(socket, bound)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(DEFAULT_SERVER_LIMITS.headersTimeout * 1000 - 100);
      expect(refusals).toContain('timeout');
    } finally {
      clearInterval(trickle);
      socket.destroy();
      await server.close();
    }
  });

  test.each(['/metrics', '/nope'])(
    'a 200 MB POST to %s is refused before the client has sent it',
    async (path) => {
      const { server, refusals } = await start();
      const socket = await connect(server.address.port);
      let response = '';
      socket.on('data', (d: Buffer) => (response += d.toString('latin1')));
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      try {
        while (!socket.destroyed && !response.includes('\r\n\r\n') && sent < 200_000_000) {
          // events.once would reject on the EPIPE of writing into the closed connection.
          if (!socket.write(chunk))
            await new Promise((resolve) => {
              socket.once('drain', resolve);
              socket.once('close', resolve);
            });
          sent += chunk.length;
        }
        expect(response).toMatch(/^HTTP\/1\.1 413 /);
        expect(response.toLowerCase()).toContain('connection: close');
        expect(sent).toBeLessThan(20_000_000);
        expect(await closesWithin(socket, 2000)).toBe(true);
        expect(refusals).toEqual(['body']);
      } finally {
        socket.destroy();
        await server.close();
      }
    },
  );

  test('a chunked body is refused too', async () => {
    const { server } = await start();
    try {
      const res = await fetch(`http://127.0.0.1:${server.address.port}/status`, {
        method: 'POST',
        body: new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(10)) }),
        duplex: 'half',
      });
      expect(res.status).toBe(413);
    } finally {
      await server.close();
    }
  });

  test('two sequential scrapes reuse one keep-alive connection, even with a cap of 1', async () => {
    const { server } = await start({ ...DEFAULT_SERVER_LIMITS, maxConnections: 1 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const scrape = (): Promise<{ status: number; port: number }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.address.port, path: '/metrics', agent }, (res) => {
            const port = res.socket.localPort ?? 0;
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, port }));
          })
          .on('error', reject);
      });
    try {
      const first = await scrape();
      const second = await scrape();
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.port).toBe(first.port);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
