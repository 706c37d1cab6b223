// How fast the listeners cut abuse: a slow-loris (one header byte a second) against the metrics
// server and the sentinel with their default limits, and how much of a 200 MB POST the client got
// to send before the 413. Loopback only, 3 runs each.
// Run: npx tsx bench/listener.ts   (figures go to docs/performance/listener.md by hand)
import net from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { silentLogger } from '../src/log/logger.js';
import { startSentinel } from '../src/probers/sentinel.js';
import { startHttpServer } from '../src/server/http.js';

const RUNS = 3;
const role = { readiness: () => ({ ready: true, reason: '' }), status: () => ({}) };

async function slowLoris(port: number): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const start = performance.now();
  socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  const trickle = setInterval(() => socket.writable && socket.write('X'), 1000);
  // events.once would reject on the EPIPE of a trickled byte after the server's close.
  await new Promise((r) => socket.once('close', r));
  clearInterval(trickle);
  return (performance.now() - start) / 1000;
}

async function bigPost(port: number): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let answered = false;
  socket.on('data', () => (answered = true));
  socket.write('POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  while (!answered && !socket.destroyed && sent < 200_000_000) {
    if (!socket.write(chunk))
      await new Promise((r) => {
        socket.once('drain', r);
        socket.once('close', r);
      });
    sent += chunk.length;
  }
  socket.destroy();
  return sent;
}

const http = await startHttpServer('127.0.0.1:0', new Registry(), role, silentLogger());
const sentinel = await startSentinel({ address: '127.0.0.1', port: 0 });
const runs = (f: () => Promise<number>): Promise<number[]> =>
  Array.from({ length: RUNS }).reduce<Promise<number[]>>(
    async (acc) => [...(await acc), await f()],
    Promise.resolve([]),
  );
console.log(
  'metrics slow-loris cut after s:',
  (await runs(() => slowLoris(http.address.port))).map((s) => s.toFixed(2)),
);
console.log(
  'sentinel slow-loris cut after s:',
  (await runs(() => slowLoris(sentinel.port))).map((s) => s.toFixed(2)),
);
console.log('200 MB POST: bytes written before the 413:', await runs(() => bigPost(http.address.port)));
await http.close();
await sentinel.close();
