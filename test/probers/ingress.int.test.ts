import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { buildIngressRoutes } from '../../src/inventory/ingress-routes.js';
import {
  classify,
  createIngressTrust,
  fingerprintDefaultBackend,
  probeIngressRoute,
  type IngressProbeTarget,
  type IngressTrust,
  type ResponseFingerprint,
} from '../../src/probers/ingress.js';
import {
  createCertAuthority,
  issueLeafCert,
  makeCertDir,
  validity,
  type LeafCert,
} from '../../sandbox/certs.js';
import { freePort, startBackend, startNginx, type Backend, type NginxHandle } from '../helpers/nginx.js';

const HUGE_BYTES = 4 * 1024 * 1024;

let dir = '';
let nginx: NginxHandle | undefined;
const backends: Backend[] = [];
let httpPort = 0;
let httpsPort = 0;
let trust: IngressTrust = {};
const certs: Record<string, LeafCert> = {};
let noRouteHttp: ResponseFingerprint | undefined;

async function backend(handler: (url: string, res: ServerResponse) => void): Promise<number> {
  const b = await startBackend((req, res) => handler(req.url ?? '/', res));
  backends.push(b);
  return b.port;
}

function writeHuge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const pump = (): void => {
    while (sent < HUGE_BYTES) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

async function startBackends(): Promise<Record<string, number>> {
  return {
    ok: await backend((url, res) => res.end(`hello from app at ${url}\n`)),
    unavailable: await backend((_u, res) => res.writeHead(503).end('maintenance\n')),
    error: await backend((_u, res) => res.writeHead(500).end('boom\n')),
    app404: await backend((_u, res) => res.writeHead(404).end('no such user\n')),
    redirect: await backend((_u, res) => res.writeHead(302, { location: '/login' }).end()),
    slow: await backend(() => undefined), // never answers
    huge: await backend((_u, res) => writeHuge(res)),
    down: await freePort(), // nothing listens here: nginx answers 502
  };
}

function nginxConfig(ports: Record<string, number>): string {
  const proxy = (name: string, port: number | undefined, extra = ''): string =>
    `server { listen 127.0.0.1:${httpPort}; server_name ${name}; location / { proxy_pass http://127.0.0.1:${port ?? 1}; ${extra} } }`;
  const tlsServer = (name: string, cert: LeafCert): string =>
    `server { listen 127.0.0.1:${httpsPort} ssl; server_name ${name}; ssl_certificate ${cert.certFile}; ssl_certificate_key ${cert.keyFile};
      location / { proxy_pass http://127.0.0.1:${ports.ok}; } }`;
  return [
    `server { listen 127.0.0.1:${httpPort} default_server; listen 127.0.0.1:${httpsPort} ssl default_server; server_name _;
      ssl_certificate ${certs.fallback?.certFile}; ssl_certificate_key ${certs.fallback?.keyFile}; return 404; }`,
    proxy('app.test', ports.ok),
    `server { listen 127.0.0.1:${httpPort}; server_name api.test; location /api/ { proxy_pass http://127.0.0.1:${ports.ok}; } }`,
    proxy('unavailable.test', ports.unavailable),
    proxy('down.test', ports.down),
    proxy('error.test', ports.error),
    proxy('app404.test', ports.app404),
    proxy('redirect.test', ports.redirect),
    proxy('slow.test', ports.slow, 'proxy_read_timeout 60s;'),
    proxy('huge.test', ports.huge),
    tlsServer('valid.test', certs.valid as LeafCert),
    tlsServer('soon.test', certs.soon as LeafCert),
    tlsServer('wrong.test', certs.wrong as LeafCert),
    tlsServer('expired.test', certs.expired as LeafCert),
    tlsServer('*.wild.test', certs.wild as LeafCert),
    `server { listen 127.0.0.1:${httpsPort} ssl; server_name rejected.test; ssl_reject_handshake on; }`,
  ].join('\n');
}

beforeAll(async () => {
  dir = await makeCertDir('netprobe-ingress-int-');
  const ca = await createCertAuthority(dir);
  trust = createIngressTrust(ca.certPem);
  const leaf = (name: string, hosts: string[], days: number): Promise<LeafCert> =>
    issueLeafCert(ca, { name, hosts, ...validity(days) });
  Object.assign(certs, {
    fallback: await leaf('fallback', ['default.invalid'], 365),
    valid: await leaf('valid', ['valid.test'], 365),
    soon: await leaf('soon', ['soon.test'], 5),
    wrong: await leaf('wrong', ['other.test'], 365),
    expired: await leaf('expired', ['expired.test'], -2),
    wild: await leaf('wild', ['*.wild.test'], 365),
  });
  httpPort = await freePort();
  httpsPort = await freePort();
  const ports = await startBackends();
  nginx = await startNginx(dir, nginxConfig(ports), [httpPort, httpsPort]);
  noRouteHttp = await fingerprintDefaultBackend(
    { scheme: 'http', address: { host: '127.0.0.1', port: httpPort }, maxBodyBytes: 65_536 },
    AbortSignal.timeout(5000),
  );
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(backends.map((b) => b.close()));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function http(host: string, path = '/', extra: Partial<IngressProbeTarget> = {}): IngressProbeTarget {
  return {
    scheme: 'http',
    address: { host: '127.0.0.1', port: httpPort },
    host,
    path,
    maxBodyBytes: 65_536,
    noRoute: noRouteHttp,
    ...extra,
  };
}

function https(host: string, extra: Partial<IngressProbeTarget> = {}): IngressProbeTarget {
  return {
    scheme: 'https',
    address: { host: '127.0.0.1', port: httpsPort },
    host,
    path: '/',
    maxBodyBytes: 65_536,
    trust,
    ...extra,
  };
}

const probe = (t: IngressProbeTarget, timeoutMs = 5000) =>
  probeIngressRoute(t, AbortSignal.timeout(timeoutMs));

describe('probeIngressRoute through nginx', () => {
  it('fingerprints the default server', () => {
    expect(noRouteHttp).toMatchObject({ status: 404, server: expect.stringMatching(/^nginx/) });
  });

  // Targets are thunks: ports are known only after beforeAll.
  it.each([
    ['a routed host', () => http('app.test'), 'ok', 200],
    ['a routed path', () => http('api.test', '/api/users'), 'ok', 200],
    ['a host no server block names', () => http('missing.test'), 'no_route', 404],
    ['a path no location matches', () => http('api.test', '/other'), 'no_route', 404],
    ['a backend answering 503', () => http('unavailable.test'), 'backend_unavailable', 503],
    ['a backend that is down (nginx 502)', () => http('down.test'), 'backend_unavailable', 502],
    ['a backend answering 500', () => http('error.test'), 'server_error', 500],
    ['an application 404', () => http('app404.test'), 'unexpected_status', 404],
    ['a redirect, not followed', () => http('redirect.test'), 'ok', 302],
    [
      'a redirect outside expect-status',
      () => http('redirect.test', '/', { expectStatus: [{ min: 200, max: 204 }] }),
      'unexpected_status',
      302,
    ],
    [
      'an application 404 that is expected',
      () => http('app404.test', '/', { expectStatus: [{ min: 404, max: 404 }] }),
      'ok',
      404,
    ],
  ])('%s', async (_name, target, result, status) => {
    const r = await probe(target());
    expect({ result: r.result, statusCode: r.statusCode }).toEqual({ result, statusCode: status });
    expect(r.phases.tls).toBe(0);
    expect(r.fingerprint?.status).toBe(status);
  });

  it('classify() marks a default-backend response as no_route after the fact', async () => {
    const r = await probe(http('missing.test', '/', { noRoute: undefined }));
    expect(r.result).toBe('unexpected_status');
    expect(classify(r, noRouteHttp).result).toBe('no_route');
    const app = await probe(http('app404.test', '/', { noRoute: undefined }));
    expect(classify(app, noRouteHttp).result).toBe('unexpected_status');
  });

  it('times out on a backend that never answers, within the signal', async () => {
    const r = await probe(http('slow.test'), 300);
    expect(r).toMatchObject({ result: 'timeout', statusCode: 0 });
  });

  it('reads at most maxBodyBytes of a huge body', async () => {
    const r = await probe(http('huge.test', '/', { maxBodyBytes: 100_000 }));
    expect(r).toMatchObject({ result: 'ok', statusCode: 200, bodyBytes: 100_000, truncated: true });
  });

  it('reads a small body whole', async () => {
    const r = await probe(http('app.test'));
    expect(r.truncated).toBe(false);
    expect(r.bodyBytes).toBe(Buffer.byteLength('hello from app at /\n'));
  });

  it('reports connect_error when nothing listens on the controller address', async () => {
    const r = await probe({ ...http('app.test'), address: { host: '127.0.0.1', port: await freePort() } });
    expect(r).toMatchObject({ result: 'connect_error', statusCode: 0, error: 'ECONNREFUSED' });
  });

  it('resolves a controller address given as a name', async () => {
    const r = await probe({ ...http('app.test'), address: { host: 'localhost', port: httpPort } });
    expect(r.result).toBe('ok');
  });
});

describe('TLS through nginx', () => {
  it('verifies a valid certificate for the SNI host', async () => {
    const r = await probe(https('valid.test'));
    expect(r).toMatchObject({ result: 'ok', statusCode: 200, tls: { verified: true, hostnameMatch: true } });
    expect(r.tls?.notAfter).toBe(
      Math.floor(new Date(new X509Certificate(certs.valid?.cert ?? '').validTo).getTime() / 1000),
    );
    expect(r.phases.tls).toBeGreaterThan(0);
  });

  it('reports the notAfter of a certificate expiring in 5 days, still ok', async () => {
    const r = await probe(https('soon.test'));
    expect(r.result).toBe('ok');
    const days = ((r.tls?.notAfter ?? 0) - Date.now() / 1000) / 86_400;
    expect(Math.round(days)).toBe(5);
  });

  it('fails a certificate for another host name', async () => {
    const r = await probe(https('wrong.test'));
    expect(r).toMatchObject({
      result: 'tls_error',
      statusCode: 200,
      error: 'hostname_mismatch',
      tls: { verified: true, hostnameMatch: false },
    });
  });

  it('fails an expired certificate', async () => {
    const r = await probe(https('expired.test'));
    expect(r).toMatchObject({
      result: 'tls_error',
      tls: { verified: false, hostnameMatch: true, verifyError: 'CERT_HAS_EXPIRED' },
    });
  });

  it('does not trust the private CA unless configured', async () => {
    const r = await probe(https('valid.test', { trust: createIngressTrust() }));
    expect(r).toMatchObject({ result: 'tls_error', tls: { verified: false, hostnameMatch: true } });
  });

  it('keeps the probe ok when TLS errors are configured not to fail it', async () => {
    const r = await probe(https('expired.test', { tlsErrorsFailProbe: false }));
    expect(r).toMatchObject({ result: 'ok', tls: { verified: false } });
  });

  it('reports no_route for a host the controller serves only its default certificate and 404 for', async () => {
    const noRoute = await fingerprintDefaultBackend(https('unused'), AbortSignal.timeout(5000));
    expect(noRoute?.status).toBe(404);
    expect(await probe(https('missing.test'))).toMatchObject({
      result: 'tls_error',
      error: 'hostname_mismatch',
    });
    expect(await probe(https('missing.test', { noRoute }))).toMatchObject({
      result: 'no_route',
      statusCode: 404,
    });
    expect((await probe(https('valid.test', { noRoute }))).result).toBe('ok');
  });

  it('reports tls_error when the controller rejects the handshake', async () => {
    const r = await probe(https('rejected.test'));
    expect(r).toMatchObject({ result: 'tls_error', statusCode: 0 });
    expect(r.tls).toBeUndefined();
  });

  it('reports tls_error when the controller port does not speak TLS', async () => {
    const r = await probe({ ...https('valid.test'), address: { host: '127.0.0.1', port: httpPort } });
    expect(r.result).toBe('tls_error');
  });
});

describe('routes from Ingress objects, probed through nginx', () => {
  const ingress = (name: string, spec: object, annotations: Record<string, string> = {}) => ({
    metadata: { namespace: 'shop', name, annotations },
    spec: { ingressClassName: 'nginx', ...spec },
  });
  const rule = (host: string, path: string, pathType = 'Prefix') => ({
    host,
    http: { paths: [{ path, pathType, backend: { service: { name: 'web', port: { number: 80 } } } }] },
  });

  it('probes each route with its Host, SNI, wildcard label and annotations', async () => {
    const inv = buildIngressRoutes(
      [
        ingress('app', { rules: [rule('app.test', '/'), rule('missing.test', '/')] }),
        ingress('wild', { tls: [{ hosts: ['*.wild.test'] }], rules: [rule('*.wild.test', '/')] }),
        ingress('api', { rules: [rule('api.test', '/api')] }, { 'netprobe.io/probe-path': '/api/healthz' }),
        ingress('redirect', { rules: [rule('redirect.test', '/')] }, { 'netprobe.io/expect-status': '200' }),
      ],
      [{ metadata: { name: 'nginx' } }],
      {
        wildcardLabel: 'netprobe-probe',
        controllers: { nginx: { http: `127.0.0.1:${httpPort}`, https: `127.0.0.1:${httpsPort}` } },
      },
    );
    const results: Record<string, string> = {};
    for (const route of inv.routes) {
      if (route.probe === undefined) continue;
      const r = await probe({
        ...route.probe,
        maxBodyBytes: 65_536,
        trust,
        noRoute: route.probe.scheme === 'http' ? noRouteHttp : undefined,
      });
      results[`${route.host}${route.path}`] = `${r.result} ${r.statusCode}`;
    }
    expect(results).toEqual({
      'app.test/': 'ok 200',
      'missing.test/': 'no_route 404',
      '*.wild.test/': 'ok 200',
      'api.test/api': 'ok 200',
      'redirect.test/': 'unexpected_status 302',
    });
  });
});
