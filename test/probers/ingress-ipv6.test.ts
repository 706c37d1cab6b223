import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeIngressRoute } from '../../src/probers/ingress.js';

describe('probeIngressRoute to an IPv6 controller address', () => {
  let server: Server;
  let port = 0;
  const hosts: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects to [::1] with the route host as Host', async () => {
    const r = await probeIngressRoute(
      {
        scheme: 'http',
        address: { host: '::1', port },
        host: 'shop.example.com',
        path: '/',
        maxBodyBytes: 1024,
      },
      AbortSignal.timeout(5000),
    );
    expect(r).toMatchObject({ result: 'ok', statusCode: 200 });
    expect(hosts.pop()).toBe('shop.example.com');
  });

  it('sends a host-less rule probed by IPv6 address a bracketed Host header, which HTTP servers accept', async () => {
    const r = await probeIngressRoute(
      { scheme: 'http', address: { host: '::1', port }, host: '::1', path: '/', maxBodyBytes: 1024 },
      AbortSignal.timeout(5000),
    );
    expect(r).toMatchObject({ result: 'ok', statusCode: 200 });
    expect(hosts.pop()).toBe('[::1]');
  });
});
