import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  classify,
  classifyStatus,
  probeIngressRoute,
  sameFingerprint,
  type IngressProbeResult,
  type IngressProbeTarget,
} from '../../src/probers/ingress.js';
import { startBackend, type Backend } from '../helpers/nginx.js';

describe('classifyStatus', () => {
  it.each([
    [200, undefined, 'ok'],
    [204, undefined, 'ok'],
    [301, undefined, 'ok'],
    [399, undefined, 'ok'],
    [400, undefined, 'unexpected_status'],
    [404, undefined, 'unexpected_status'],
    [500, undefined, 'server_error'],
    [501, undefined, 'server_error'],
    [502, undefined, 'backend_unavailable'],
    [503, undefined, 'backend_unavailable'],
    [504, undefined, 'backend_unavailable'],
    [302, [{ min: 200, max: 299 }], 'unexpected_status'],
    [
      401,
      [
        { min: 200, max: 299 },
        { min: 401, max: 401 },
      ],
      'ok',
    ],
    [503, [{ min: 503, max: 503 }], 'ok'],
    [503, [{ min: 200, max: 200 }], 'backend_unavailable'],
  ])('%s with %j is %s', (status, expect_, result) => {
    expect(classifyStatus(status, expect_)).toBe(result);
  });
});

describe('classify', () => {
  const fp = { status: 404, server: 'nginx', bodySha256: 'abc' };
  const result = (over: Partial<IngressProbeResult>): IngressProbeResult => ({
    result: 'unexpected_status',
    statusCode: 404,
    durationSeconds: 0.01,
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    bodyBytes: 3,
    truncated: false,
    fingerprint: fp,
    ...over,
  });
  it.each([
    ['same response', result({}), fp, 'no_route'],
    ['other body', result({ fingerprint: { ...fp, bodySha256: 'def' } }), fp, 'unexpected_status'],
    ['other server', result({ fingerprint: { ...fp, server: 'envoy' } }), fp, 'unexpected_status'],
    ['no fingerprint known', result({}), undefined, 'unexpected_status'],
    [
      'transport error: no fingerprint',
      result({ result: 'timeout', error: 'AbortError', fingerprint: undefined }),
      fp,
      'timeout',
    ],
    [
      'certificate problem on the default response',
      result({ result: 'tls_error', error: 'hostname_mismatch' }),
      fp,
      'no_route',
    ],
  ])('%s', (_name, r, noRoute, want) => {
    expect(classify(r, noRoute).result).toBe(want);
  });
  it('compares all three parts', () => {
    expect(sameFingerprint(fp, { ...fp })).toBe(true);
    expect(sameFingerprint(fp, { ...fp, status: 200 })).toBe(false);
  });
});

/** Not HTTP: what a port serving another protocol sends. */
const RAW_ANSWERS: Record<string, string> = {
  '/ssh': 'SSH-2.0-OpenSSH_9.6\r\n',
  // Past Node's 16 KiB header limit (--max-http-header-size).
  '/big-header': `HTTP/1.1 200 OK\r\nx-filler: ${'a'.repeat(20_000)}\r\n\r\n`,
  '/bad-chunk': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
};

describe('probeIngressRoute against raw servers', () => {
  let backend: Backend | undefined;
  let raw: Server | undefined;
  const sockets: Socket[] = [];
  let rawPort = 0;

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      if (req.url === '/slow-body') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial'); // and never the rest
      } else {
        res.end(`host=${req.headers.host ?? ''} path=${req.url ?? ''}`);
      }
    });
    // Answers by request path, then resets: by default headers and half a body (a response cut
    // short); the others answer with bytes Node's HTTP parser rejects.
    raw = createServer((s) => {
      sockets.push(s);
      s.once('data', (request: Buffer) => {
        const path = /^GET (\S+) /.exec(request.toString('latin1'))?.[1] ?? '/';
        s.write(RAW_ANSWERS[path] ?? 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhalf');
        setImmediate(() => s.destroy());
      });
    });
    await new Promise<void>((resolve) => raw?.listen(0, '127.0.0.1', resolve));
    rawPort = (raw.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await backend?.close();
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => (raw === undefined ? resolve() : raw.close(() => resolve())));
  });

  const target = (path: string, over: Partial<IngressProbeTarget> = {}): IngressProbeTarget => ({
    scheme: 'http',
    address: { host: '127.0.0.1', port: backend?.port ?? 0 },
    host: 'shop.example.com',
    path,
    maxBodyBytes: 65_536,
    ...over,
  });

  it('sends the route host as Host while connecting to the controller address', async () => {
    const r = await probeIngressRoute(target('/cart?x=1'), AbortSignal.timeout(5000));
    expect(r).toMatchObject({
      result: 'ok',
      statusCode: 200,
      bodyBytes: Buffer.byteLength('host=shop.example.com path=/cart?x=1'),
    });
    expect(r.phases.tls).toBe(0);
    expect(r.tls).toBeUndefined();
  });

  it('reads nothing past a zero cap', async () => {
    const r = await probeIngressRoute(target('/', { maxBodyBytes: 0 }), AbortSignal.timeout(5000));
    expect(r).toMatchObject({ result: 'ok', bodyBytes: 0, truncated: true });
  });

  it('times out while the body trickles, keeping the status', async () => {
    const r = await probeIngressRoute(target('/slow-body'), AbortSignal.timeout(200));
    expect(r).toMatchObject({ result: 'timeout', statusCode: 200 });
    expect(r.fingerprint).toBeUndefined();
  });

  it('returns timeout at once for an already aborted signal', async () => {
    const r = await probeIngressRoute(target('/'), AbortSignal.abort());
    expect(r).toMatchObject({ result: 'timeout', statusCode: 0 });
  });

  it('reports a body cut short as connect_error', async () => {
    const r = await probeIngressRoute(
      target('/', { address: { host: '127.0.0.1', port: rawPort } }),
      AbortSignal.timeout(5000),
    );
    expect(r.result).toBe('connect_error');
    expect(r.statusCode).toBe(200);
  });

  it.each([
    ['a response that is not HTTP', '/ssh', 'HPE_INVALID_CONSTANT', 0],
    ['a header over the parser limit', '/big-header', 'HPE_HEADER_OVERFLOW', 0],
    ['a malformed chunked body', '/bad-chunk', 'HPE_INVALID_CHUNK_SIZE', 200],
  ])('reports %s as protocol_error, not connect_error', async (_what, path, error, statusCode) => {
    const r = await probeIngressRoute(
      target(path, { address: { host: '127.0.0.1', port: rawPort } }),
      AbortSignal.timeout(5000),
    );
    expect(r).toMatchObject({ result: 'protocol_error', error, statusCode });
    expect(r.fingerprint).toBeUndefined();
  });

  it('still reports a refused connection as connect_error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await probeIngressRoute(
      target('/', { address: { host: '127.0.0.1', port } }),
      AbortSignal.timeout(5000),
    );
    expect(r).toMatchObject({ result: 'connect_error', error: 'ECONNREFUSED', statusCode: 0 });
  });
});
