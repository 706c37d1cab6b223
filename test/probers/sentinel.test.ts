import net from 'node:net';
import { once } from 'node:events';
import { MAX_PAYLOAD_BYTES, payloadPath, startSentinel, type Sentinel } from '../../src/probers/sentinel.js';

/** Sends raw bytes, returns everything the server sent before it closed the connection. */
async function exchange(port: number, request: string | Buffer, localAddress = '127.0.0.1'): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(request);
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

function parse(response: Buffer): { status: string; headers: string; body: Buffer } {
  const end = response.indexOf('\r\n\r\n');
  const head = response.subarray(0, end).toString('latin1');
  return { status: head.split('\r\n')[0] ?? '', headers: head, body: response.subarray(end + 4) };
}

const get = (path: string, method = 'GET'): string => `${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('sentinel', () => {
  let sentinel: Sentinel;
  beforeAll(async () => {
    sentinel = await startSentinel({ address: '127.0.0.1', port: 0, payloadBurst: 1000 });
  });
  afterAll(async () => {
    await sentinel.close();
  });

  test('binds a free port when asked for port 0', () => {
    expect(sentinel.port).toBeGreaterThan(0);
    expect(sentinel.address).toBe('127.0.0.1');
  });

  test.each([0, 1, 1500, 65_536, MAX_PAYLOAD_BYTES])('serves exactly %i payload bytes', async (bytes) => {
    const reply = parse(await exchange(sentinel.port, get(payloadPath(bytes))));
    expect(reply.status).toBe('HTTP/1.1 200 OK');
    expect(reply.headers).toContain(`Content-Length: ${bytes}`);
    expect(reply.body.length).toBe(bytes);
  });

  test.each([
    ['/', 'HTTP/1.1 200 OK', 'netprobe sentinel\n'],
    ['/healthz', 'HTTP/1.1 200 OK', 'netprobe sentinel\n'],
    ['/nope', 'HTTP/1.1 404 Not Found', 'not found\n'],
    [payloadPath(MAX_PAYLOAD_BYTES + 1), 'HTTP/1.1 400 Bad Request', `at most ${MAX_PAYLOAD_BYTES} bytes\n`],
    ['/payload?bytes=1048576', 'HTTP/1.1 400 Bad Request', `at most ${MAX_PAYLOAD_BYTES} bytes\n`],
    ['/payload?bytes=-1', 'HTTP/1.1 404 Not Found', 'not found\n'],
    ['/payload?bytes=99999999', 'HTTP/1.1 400 Bad Request', `at most ${MAX_PAYLOAD_BYTES} bytes\n`],
  ])('GET %s answers %s', async (path, status, body) => {
    const reply = parse(await exchange(sentinel.port, get(path)));
    expect(reply.status).toBe(status);
    expect(reply.body.toString()).toBe(body);
  });

  test('HEAD gets the headers without the body', async () => {
    const reply = parse(await exchange(sentinel.port, get(payloadPath(10), 'HEAD')));
    expect(reply.headers).toContain('Content-Length: 10');
    expect(reply.body.length).toBe(0);
  });

  test.each([
    ['plain text', 'not http at all\r\n\r\n'],
    ['a POST', 'POST /payload?bytes=5 HTTP/1.1\r\n\r\n'],
    ['another protocol', 'GET /x SPDY/3\r\n\r\n'],
    ['binary', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])],
  ])('drops garbage without answering: %s', async (_label, request) => {
    expect((await exchange(sentinel.port, request)).length).toBe(0);
  });

  test('drops a request head that never ends', async () => {
    const response = await exchange(sentinel.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(10_000)}`);
    expect(response.length).toBe(0);
  });

  test('still serves after garbage and resets', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: sentinel.port });
    await once(socket, 'connect');
    socket.resetAndDestroy();
    const reply = parse(await exchange(sentinel.port, get('/')));
    expect(reply.status).toBe('HTTP/1.1 200 OK');
  });
});

describe('sentinel limits', () => {
  test('closes idle connections', async () => {
    const sentinel = await startSentinel({ address: '127.0.0.1', port: 0, idleTimeoutSeconds: 0.1 });
    try {
      const socket = net.connect({ host: '127.0.0.1', port: sentinel.port });
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      // Nothing sent: only the server's idle timer can close it; the test times out otherwise.
      await closed;
      expect(socket.bytesRead).toBe(0);
    } finally {
      await sentinel.close();
    }
  });

  test('closes connections beyond maxConnections', async () => {
    const sentinel = await startSentinel({ address: '127.0.0.1', port: 0, maxConnections: 1 });
    try {
      const first = net.connect({ host: '127.0.0.1', port: sentinel.port });
      await once(first, 'connect');
      const second = await exchange(sentinel.port, get('/'));
      expect(second.length).toBe(0);
      first.destroy();
    } finally {
      await sentinel.close();
    }
  });

  test('close() drops open connections and stops listening', async () => {
    const sentinel = await startSentinel({ address: '127.0.0.1', port: 0 });
    const socket = net.connect({ host: '127.0.0.1', port: sentinel.port });
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    await sentinel.close();
    await closed;
    const again = net.connect({ host: '127.0.0.1', port: sentinel.port });
    const [err] = (await once(again, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('sentinel abuse limits', () => {
  test('payloads over the per-source burst get 429; other paths and other sources still work', async () => {
    const refusals: string[] = [];
    const sentinel = await startSentinel({
      address: '127.0.0.1',
      port: 0,
      payloadRate: 0.1,
      payloadBurst: 3,
      onRefusal: (r) => refusals.push(r),
    });
    try {
      const statuses: string[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(parse(await exchange(sentinel.port, get(payloadPath(1000)))).status);
      expect(statuses).toEqual([
        ...Array<string>(3).fill('HTTP/1.1 200 OK'),
        ...Array<string>(3).fill('HTTP/1.1 429 Too Many Requests'),
      ]);
      expect(refusals).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
      expect(parse(await exchange(sentinel.port, get('/healthz'))).status).toBe('HTTP/1.1 200 OK');
      // Another source address (the whole of 127/8 is loopback) has a bucket of its own.
      const other = parse(await exchange(sentinel.port, get(payloadPath(1000)), '127.0.0.2'));
      expect(other.status).toBe('HTTP/1.1 200 OK');
      expect(other.body.length).toBe(1000);
    } finally {
      await sentinel.close();
    }
  });

  test('a request head trickled a byte at a time is cut at the header timeout', async () => {
    const refusals: string[] = [];
    const sentinel = await startSentinel({
      address: '127.0.0.1',
      port: 0,
      headerTimeoutSeconds: 1,
      idleTimeoutSeconds: 10,
      onRefusal: (r) => refusals.push(r),
    });
    const socket = net.connect({ host: '127.0.0.1', port: sentinel.port });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X'), 200);
    try {
      const closed = await Promise.race([
        once(socket, 'close').then(() => true),
        new Promise((r) => setTimeout(() => r(false), 4000)),
      ]);
      expect(closed).toBe(true);
      expect(refusals).toEqual(['timeout']);
    } finally {
      clearInterval(trickle);
      socket.destroy();
      await sentinel.close();
    }
  });

  test('connections over the cap are counted', async () => {
    const refusals: string[] = [];
    const sentinel = await startSentinel({
      address: '127.0.0.1',
      port: 0,
      maxConnections: 1,
      onRefusal: (r) => refusals.push(r),
    });
    try {
      const first = net.connect({ host: '127.0.0.1', port: sentinel.port });
      await once(first, 'connect');
      expect((await exchange(sentinel.port, get('/'))).length).toBe(0);
      expect(refusals).toEqual(['connections']);
      first.destroy();
    } finally {
      await sentinel.close();
    }
  });
});
