import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import {
  compare,
  dnsProbeQuery,
  probePath,
  verdictOf,
  type ExpectedVerdict,
  type PathOutcome,
  type PathTarget,
  type PathVerdict,
} from '../../src/probers/path.js';
import { MAX_PAYLOAD_BYTES, startSentinel, type Sentinel } from '../../src/probers/sentinel.js';

const LOOPBACK = '127.0.0.1';
const never = (): AbortSignal => new AbortController().signal;

function tcp(port: number, extra: Partial<PathTarget> = {}): PathTarget {
  return {
    kind: 'declared',
    address: LOOPBACK,
    port,
    protocol: 'TCP',
    check: 'connect',
    timeoutSeconds: 2,
    ...extra,
  };
}

function udpDns(port: number, extra: Partial<PathTarget> = {}): PathTarget {
  return tcp(port, { kind: 'dns-egress', protocol: 'UDP', check: 'dns', ...extra });
}

/** A port with nothing listening: bound, then released. */
async function closedTcpPort(): Promise<number> {
  const server = net.createServer().listen(0, LOOPBACK);
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return address.port;
}

interface RawServer {
  port: number;
  server: net.Server;
  close: () => Promise<void>;
}

/** A TCP server whose connections get `answer` (raw bytes, then close), or nothing when undefined. */
async function rawServer(answer: string | undefined): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      if (answer !== undefined) socket.end(answer);
    });
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const close = async (): Promise<void> => {
    const closed = once(server, 'close');
    server.close();
    // Silent servers keep their sockets open: drop them or close() never completes.
    sockets.forEach((socket) => socket.destroy());
    await closed;
  };
  return { port: (server.address() as net.AddressInfo).port, server, close };
}

/** A UDP responder that answers DNS queries (echoing them with QR set) from the `skip`+1-th on. */
async function dnsResponder(options: { skip?: number; wrongId?: boolean } = {}): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  let seen = 0;
  socket.on('message', (msg, peer) => {
    seen++;
    if (seen <= (options.skip ?? 0)) return;
    const reply = Buffer.from(msg);
    reply[2] = (reply[2] ?? 0) | 0x80;
    if (options.wrongId === true) reply.writeUInt16BE((reply.readUInt16BE(0) + 1) & 0xffff, 0);
    socket.send(reply, peer.port, peer.address);
  });
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  return socket;
}

describe('verdictOf and compare', () => {
  test.each<[PathOutcome, PathVerdict]>([
    ['open', 'reachable'],
    ['refused', 'reachable'],
    ['timeout', 'blocked'],
    ['unreachable', 'blocked'],
    ['error', 'inconclusive'],
  ])('%s is %s', (outcome, verdict) => {
    expect(verdictOf(outcome)).toBe(verdict);
  });

  test.each<[ExpectedVerdict, PathVerdict, string]>([
    ['allow', 'reachable', 'ok'],
    ['allow', 'blocked', 'blocked_but_allowed'],
    ['allow', 'inconclusive', 'inconclusive'],
    ['deny', 'blocked', 'ok'],
    ['deny', 'reachable', 'reachable_but_denied'],
    ['deny', 'inconclusive', 'inconclusive'],
    ['unknown', 'reachable', 'inconclusive'],
    ['unknown', 'blocked', 'inconclusive'],
    ['mixed', 'reachable', 'inconclusive'],
    ['mixed', 'blocked', 'inconclusive'],
  ])('expected %s, observed %s: %s', (expected, verdict, comparison) => {
    expect(compare(expected, verdict)).toBe(comparison);
  });
});

describe('dnsProbeQuery', () => {
  test('is a well-formed query for ". IN NS" with recursion desired', () => {
    expect(dnsProbeQuery(0xbeef).toString('hex')).toBe(
      'beef' + '0100' + '0001' + '0000' + '0000' + '0000' + '00' + '0002' + '0001',
    );
  });
});

describe('probePath over TCP (loopback)', () => {
  let sentinel: Sentinel;
  beforeAll(async () => {
    sentinel = await startSentinel({ address: LOOPBACK, port: 0 });
  });
  afterAll(async () => {
    await sentinel.close();
  });

  test('a listener is open and reachable', async () => {
    const result = await probePath(tcp(sentinel.port), never());
    expect(result).toMatchObject({ outcome: 'open', verdict: 'reachable' });
    expect(result.errno).toBeUndefined();
    expect(result.durationSeconds).toBeGreaterThan(0);
    expect(result.connectSeconds).toBeGreaterThan(0);
  });

  test('a closed port is refused (TCP RST) and still reachable', async () => {
    const result = await probePath(tcp(await closedTcpPort()), never());
    expect(result).toMatchObject({ outcome: 'refused', verdict: 'reachable', errno: 'ECONNREFUSED' });
  });

  test.each([0, 1, 1400, 65_536, MAX_PAYLOAD_BYTES])(
    'the HTTP check receives all %i bytes',
    async (bytes) => {
      const result = await probePath(tcp(sentinel.port, { check: 'http', httpPayloadBytes: bytes }), never());
      expect(result).toMatchObject({ outcome: 'open', verdict: 'reachable' });
    },
  );

  test('the HTTP check against a closed port is refused like a connect', async () => {
    const target = tcp(await closedTcpPort(), { check: 'http', httpPayloadBytes: 10 });
    expect(await probePath(target, never())).toMatchObject({ outcome: 'refused', errno: 'ECONNREFUSED' });
  });

  test.each([
    ['a non-200 status', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'http_status'],
    ['a body shorter than asked', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxx', 'http_short_body'],
    ['something that is not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n', 'http_malformed'],
  ])('the HTTP check is inconclusive on %s', async (_label, answer, reason) => {
    const raw = await rawServer(answer);
    try {
      const result = await probePath(tcp(raw.port, { check: 'http', httpPayloadBytes: 100 }), never());
      expect(result).toMatchObject({ outcome: 'error', verdict: 'inconclusive', reason });
    } finally {
      await raw.close();
    }
  });

  test('a body that never comes is a timeout (what an MTU black hole looks like)', async () => {
    const raw = await rawServer(undefined);
    try {
      const result = await probePath(
        tcp(raw.port, { check: 'http', httpPayloadBytes: 100, timeoutSeconds: 0.3 }),
        never(),
      );
      expect(result).toMatchObject({ outcome: 'timeout', verdict: 'blocked' });
      expect(result.connectSeconds).toBeGreaterThan(0);
    } finally {
      await raw.close();
    }
  });

  test('an abort before the start is inconclusive and sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let connections = 0;
    const raw = await rawServer(undefined);
    raw.server.on('connection', () => connections++);
    try {
      const result = await probePath(tcp(raw.port), controller.signal);
      expect(result).toMatchObject({ outcome: 'error', verdict: 'inconclusive', reason: 'aborted' });
      expect(connections).toBe(0);
    } finally {
      await raw.close();
    }
  });

  test('an abort mid-probe is inconclusive, not a timeout', async () => {
    const controller = new AbortController();
    const raw = await rawServer(undefined);
    raw.server.on('connection', () => controller.abort());
    try {
      const target = tcp(raw.port, { check: 'http', httpPayloadBytes: 10, timeoutSeconds: 30 });
      const result = await probePath(target, controller.signal);
      expect(result).toMatchObject({ outcome: 'error', verdict: 'inconclusive', reason: 'aborted' });
    } finally {
      await raw.close();
    }
  });

  test.each<[string, Partial<PathTarget>]>([
    ['port 0', { port: 0 }],
    ['port 70000', { port: 70_000 }],
    ['an empty address', { address: '' }],
    ['a zero timeout', { timeoutSeconds: 0 }],
    ['a dns check over TCP', { check: 'dns' }],
    ['a connect check over UDP', { protocol: 'UDP' }],
    ['a payload over the sentinel limit', { check: 'http', httpPayloadBytes: MAX_PAYLOAD_BYTES + 1 }],
    ['a fractional payload', { check: 'http', httpPayloadBytes: 1.5 }],
  ])('%s is an invalid target: inconclusive', async (_label, change) => {
    const result = await probePath(tcp(sentinel.port, change), never());
    expect(result).toMatchObject({ outcome: 'error', verdict: 'inconclusive', reason: 'invalid_target' });
  });

  test('a local failure says nothing about the path: inconclusive with its errno', async () => {
    // A link-local address scoped to an interface that does not exist: connect() fails locally.
    const result = await probePath(tcp(80, { address: 'fe80::1%nosuchif0' }), never());
    expect(result).toMatchObject({ outcome: 'error', verdict: 'inconclusive', errno: 'EINVAL' });
  });
});

describe('probePath DNS over UDP (loopback)', () => {
  test('a DNS server that answers is open', async () => {
    const server = await dnsResponder();
    try {
      const result = await probePath(udpDns(server.address().port), never());
      expect(result).toMatchObject({ outcome: 'open', verdict: 'reachable' });
    } finally {
      server.close();
    }
  });

  test('a closed UDP port is refused (ICMP port unreachable)', async () => {
    const server = await dnsResponder();
    const { port } = server.address();
    server.close();
    const result = await probePath(udpDns(port), never());
    expect(result).toMatchObject({ outcome: 'refused', verdict: 'reachable', errno: 'ECONNREFUSED' });
  });

  test('one lost datagram is not a blocked path: the query is sent again', async () => {
    const server = await dnsResponder({ skip: 1 });
    try {
      const result = await probePath(udpDns(server.address().port, { timeoutSeconds: 1 }), never());
      expect(result).toMatchObject({ outcome: 'open', verdict: 'reachable' });
    } finally {
      server.close();
    }
  });

  test('a server that accepts TCP on the same port but never answers the query is no_answer, not blocked', async () => {
    // A hung DNS server: its UDP socket is bound and silent, its TCP listener still completes handshakes.
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const { port } = silent.address();
    const listener = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
    try {
      const result = await probePath(udpDns(port, { timeoutSeconds: 0.3 }), never());
      expect(result).toMatchObject({ outcome: 'no_answer', verdict: 'inconclusive' });
      expect(compare('allow', result.verdict)).toBe('inconclusive');
    } finally {
      silent.close();
      listener.close();
    }
  });

  test('replies to another query id are ignored: silence is a timeout', async () => {
    const server = await dnsResponder({ wrongId: true });
    try {
      const result = await probePath(udpDns(server.address().port, { timeoutSeconds: 0.3 }), never());
      expect(result).toMatchObject({ outcome: 'timeout', verdict: 'blocked' });
    } finally {
      server.close();
    }
  });
});
