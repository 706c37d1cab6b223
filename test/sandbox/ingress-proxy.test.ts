import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import {
  fingerprintDefaultBackend,
  probeIngressRoute,
  type IngressProbeTarget,
} from '../../src/probers/ingress.js';
import {
  DEFAULT_BACKEND_BODY,
  matchRoute,
  startIngressProxy,
  type IngressProxy,
  type ProxyRoute,
  type RouteTable,
} from '../../sandbox/ingress-proxy.js';
import { freePort, startBackend, type Backend } from '../helpers/nginx.js';

const r = (host: string, path: string, pathType: ProxyRoute['pathType'] = 'Prefix'): ProxyRoute => ({
  host,
  path,
  pathType,
  backends: [],
});

describe('matchRoute', () => {
  const table: RouteTable = [
    r('a.test', '/'),
    r('a.test', '/foo'),
    r('a.test', '/foo/bar', 'Exact'),
    r('a.test', '/foo/bar'),
    r('*.wild.test', '/'),
    r('', '/anyhost'),
  ];
  it.each([
    ['a.test', '/', 0],
    ['a.test', '/foo', 1],
    ['a.test', '/foo/', 1],
    ['a.test', '/foobar', 0], // Prefix matches whole elements only
    ['a.test', '/foo/bar', 2], // Exact beats Prefix of the same path
    ['a.test', '/foo/bar/baz', 3],
    ['a.test', '/foo?x=1', 1],
    ['A.TEST:8080', '/foo', 1],
    ['x.wild.test', '/z', 4],
    ['x.y.wild.test', '/z', undefined], // a wildcard covers one label
    ['wild.test', '/z', undefined],
    ['other.test', '/anyhost/x', 5],
    ['other.test', '/', undefined],
  ])('%s%s -> route %s', (host, path, index) => {
    expect(matchRoute(table, host, path)).toBe(index === undefined ? undefined : table[index]);
  });
});

describe('startIngressProxy over HTTP', () => {
  let proxy: IngressProxy | undefined;
  const backends: Backend[] = [];
  let table: RouteTable = [];

  beforeAll(async () => {
    const a = await startBackend((req, res) => res.end(`a ${req.headers.host ?? ''} ${req.url ?? ''}`));
    const b = await startBackend((_req, res) => res.writeHead(201).end('b'));
    backends.push(a, b);
    const down = await freePort();
    table = [
      { host: 'app.test', path: '/', pathType: 'Prefix', backends: [{ host: '127.0.0.1', port: a.port }] },
      { host: 'app.test', path: '/b', pathType: 'Exact', backends: [{ host: '127.0.0.1', port: b.port }] },
      { host: 'empty.test', path: '/', pathType: 'Prefix', backends: [] },
      { host: 'down.test', path: '/', pathType: 'Prefix', backends: [{ host: '127.0.0.1', port: down }] },
    ];
    proxy = await startIngressProxy({ httpPort: 0, address: '127.0.0.1', routes: () => table });
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  // node:http, not fetch: fetch does not let a caller set the Host header.
  const get = (host: string, path = '/') =>
    new Promise<{ status: number; server: unknown; body: string }>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port: proxy?.httpPort, path, headers: { host }, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, server: res.headers.server, body }));
        },
      );
      req.on('error', reject);
    });

  it.each([
    ['app.test', '/x', 200, 'a app.test /x'],
    ['app.test', '/b', 201, 'b'],
    ['app.test', '/b/c', 200, 'a app.test /b/c'],
    ['nobody.test', '/', 404, DEFAULT_BACKEND_BODY],
    ['empty.test', '/', 503, 'service unavailable: no endpoints\n'],
    ['down.test', '/', 502, 'bad gateway\n'],
  ])('%s%s answers %s', async (host, path, status, body) => {
    expect(await get(host, path)).toEqual({ status, server: 'sandbox-ingress', body });
  });

  it('is what the ingress prober expects of a controller', async () => {
    const controller = {
      scheme: 'http' as const,
      address: { host: '127.0.0.1', port: proxy?.httpPort ?? 0 },
      maxBodyBytes: 65_536,
    };
    const noRoute = await fingerprintDefaultBackend(controller, AbortSignal.timeout(5000));
    expect(noRoute).toMatchObject({ status: 404, server: 'sandbox-ingress' });
    const probe = (host: string): Promise<string> => {
      const target: IngressProbeTarget = { ...controller, host, path: '/', noRoute };
      return probeIngressRoute(target, AbortSignal.timeout(5000)).then((res) => res.result);
    };
    expect(await probe('app.test')).toBe('ok');
    expect(await probe('nobody.test')).toBe('no_route');
    expect(await probe('empty.test')).toBe('backend_unavailable');
    expect(await probe('down.test')).toBe('backend_unavailable');
  });
});
