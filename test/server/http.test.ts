import { Counter, Gauge, Registry } from 'prom-client';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { splitHostPort, startHttpServer, type HttpHandle, type RoleStatus } from '../../src/server/http.js';

/** A role whose readiness the test flips. */
function fakeRole(page?: string): RoleStatus & { ready: boolean; reason: string } {
  const role = {
    ready: false,
    reason: 'caches not synced',
    readiness: () => ({ ready: role.ready, reason: role.reason }),
    status: () => ({ role: 'test', ready: role.ready, nested: { list: [1, 2] } }),
    ...(page === undefined ? {} : { page: () => page }),
  };
  return role;
}

async function get(
  server: HttpHandle,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string | null; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${server.address.port}${path}`, { method });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: await res.text(),
    headers: res.headers,
  };
}

describe('the role HTTP server', () => {
  const registry = new Registry();
  const requests = new Counter({
    name: 'test_requests_total',
    help: 'Requests.',
    labelNames: ['code'],
    registers: [registry],
  });
  requests.inc({ code: '200' }, 3);
  const role = fakeRole('<!doctype html><title>netprobe</title><p>status</p>');
  let server: HttpHandle;

  beforeAll(async () => {
    server = await startHttpServer('127.0.0.1:0', registry, role, silentLogger());
  });
  afterAll(async () => {
    await server.close();
  });

  test('listens on the port the OS chose', () => {
    expect(server.address).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect(server.address.port).toBeGreaterThan(0);
  });

  test('/metrics serves exactly the injected registry in the exposition content type', async () => {
    const r = await get(server, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe(registry.contentType);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toBe(
      [
        '# HELP test_requests_total Requests.',
        '# TYPE test_requests_total counter',
        'test_requests_total{code="200"} 3',
        '',
      ].join('\n'),
    );
  });

  test('/healthz is 200 whatever the readiness', async () => {
    expect(await get(server, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  test('/readyz is 503 with the reason, then 200 once the role is ready', async () => {
    role.ready = false;
    expect(await get(server, '/readyz')).toMatchObject({
      status: 503,
      body: 'not ready: caches not synced\n',
    });
    role.ready = true;
    expect(await get(server, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
    role.ready = false;
  });

  test('/status is the role status as JSON', async () => {
    const r = await get(server, '/status');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toEqual({ role: 'test', ready: false, nested: { list: [1, 2] } });
  });

  test('/ is the status page with a Content-Security-Policy that allows no scripts', async () => {
    const r = await get(server, '/');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toContain('<p>status</p>');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src/);
  });

  test.each([
    ['GET', '/nope'],
    ['GET', '/metrics/extra'],
    ['POST', '/metrics'],
    ['DELETE', '/status'],
  ])('%s %s is 404', async (method, path) => {
    expect(await get(server, path, method)).toMatchObject({ status: 404, body: 'not found\n' });
  });

  test('does not advertise express', async () => {
    expect((await get(server, '/healthz')).headers.get('x-powered-by')).toBeNull();
  });
});

describe('the role HTTP server without a status page', () => {
  test('/ is a plain-text pointer, still with the CSP header', async () => {
    const server = await startHttpServer('127.0.0.1:0', new Registry(), fakeRole(), silentLogger());
    try {
      const r = await get(server, '/');
      expect(r).toMatchObject({ status: 200, body: 'netprobe: see /metrics, /status\n' });
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    } finally {
      await server.close();
    }
  });
});

describe('a metrics render error', () => {
  test('is a 500 and a log line, and the server keeps serving', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'test_broken',
      help: 'A collector that throws.',
      registers: [registry],
      collect() {
        throw new Error('collector exploded');
      },
    });
    const lines: string[] = [];
    const server = await startHttpServer(
      '127.0.0.1:0',
      registry,
      fakeRole(),
      createLogger('error', {}, (l) => lines.push(l)),
    );
    try {
      expect(await get(server, '/metrics')).toMatchObject({ status: 500, body: 'metrics render failed\n' });
      expect(await get(server, '/healthz')).toMatchObject({ status: 200 });
      expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
        expect.objectContaining({
          level: 'error',
          msg: 'metrics render failed',
          err: expect.objectContaining({ message: 'collector exploded' }),
        }),
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('close', () => {
  test('frees the port', async () => {
    const server = await startHttpServer('127.0.0.1:0', new Registry(), fakeRole(), silentLogger());
    // A keep-alive connection is open when close() is called.
    expect((await get(server, '/healthz')).status).toBe(200);
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.address.port}/healthz`)).rejects.toThrow();
  });
});

describe('splitHostPort', () => {
  test.each([
    ['127.0.0.1:9808', { host: '127.0.0.1', port: 9808 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    ['[::1]:9808', { host: '::1', port: 9808 }],
    ['[::]:9808', { host: '::', port: 9808 }],
    ['[fe80::1%eth0]:9808', { host: 'fe80::1%eth0', port: 9808 }],
    // No host: every address of every family the kernel has (the default :9808).
    [':9808', { host: undefined, port: 9808 }],
  ])('%s', (listen, expected) => {
    expect(splitHostPort(listen)).toEqual(expected);
  });

  test.each(['localhost', '9808', '', '::1:9808', '[::1]', '[::1]9808', 'host:port', 'host:'])(
    '%j is refused with the address in the message',
    (listen) => {
      expect(() => splitHostPort(listen)).toThrow(`invalid listen address ${listen}`);
    },
  );
});
