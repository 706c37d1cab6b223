import net from 'node:net';
import { certFindings, probeRoutesLive } from '../../src/doctor/ingress-live.js';
import { createIngressTrust } from '../../src/probers/ingress.js';
import type { IngressRoute } from '../../src/inventory/ingress-routes.js';
import type { TlsInfo } from '../../src/probers/ingress.js';

const route: IngressRoute = {
  namespace: 'shop',
  ingress: 'pay',
  host: 'pay.shop.example',
  path: '/',
  pathType: 'Prefix',
  backend: { type: 'service', name: 'frontend', port: 80 },
  tls: true,
  ingressHasTls: true,
  ingressClass: 'nginx',
  classSource: 'spec',
  classKnown: true,
  state: 'probed',
};
const NOW = Date.UTC(2030, 0, 1);
const DAY = 86_400;
const tls = (over: Partial<TlsInfo>): TlsInfo => ({
  notAfter: NOW / 1000 + 90 * DAY,
  hostnameMatch: true,
  verified: true,
  ...over,
});
const codes = (info: TlsInfo) => certFindings(route, info, NOW).map((f) => `${f.severity} ${f.code}`);

describe('certificate findings', () => {
  it.each([
    ['a good certificate', tls({}), []],
    ['expiring in 5 days', tls({ notAfter: NOW / 1000 + 5 * DAY }), ['warning ingress-cert-expiring']],
    ['expiring in 2 days', tls({ notAfter: NOW / 1000 + 2 * DAY }), ['critical ingress-cert-expiring']],
    [
      'expired',
      tls({ notAfter: NOW / 1000 - DAY, verified: false, verifyError: 'CERT_HAS_EXPIRED' }),
      ['critical ingress-cert-expired'],
    ],
    ['for another host', tls({ hostnameMatch: false }), ['critical ingress-cert-wrong-host']],
    [
      'untrusted',
      tls({ verified: false, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      ['critical ingress-cert-untrusted'],
    ],
  ])('%s', (_name, info, expected) => {
    expect(codes(info)).toEqual(expected);
  });

  it('says when and points at the TLS secret of the Ingress', () => {
    const [f] = certFindings(route, tls({ notAfter: NOW / 1000 + 5 * DAY }), NOW);
    expect(f?.problem).toBe('the certificate served for pay.shop.example expires in 5 day(s)');
    expect(f?.next).toBe("kubectl -n shop get ingress pay -o 'jsonpath={.spec.tls}'");
    expect(f?.object).toEqual({ kind: 'Ingress', namespace: 'shop', name: 'pay' });
  });
});

describe('a controller address that accepts connections and never answers', () => {
  let server: net.Server;
  let connections = 0;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    server = net.createServer((s) => {
      connections++;
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('is one finding after the fingerprint and one batch, not a probe of every route', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const routes: IngressRoute[] = Array.from({ length: 20 }, (_, i) => ({
      ...route,
      tls: false,
      host: `h${i}.shop.example`,
      probe: {
        scheme: 'http',
        address: { host: '127.0.0.1', port },
        host: `h${i}.shop.example`,
        path: '/',
        detectNoRoute: true,
      },
    }));
    const findings = await probeRoutesLive(routes, {
      timeoutSeconds: 0.3,
      maxBodyBytes: 1024,
      trust: createIngressTrust(),
      now: NOW,
      hasStaticBackendProblem: () => false,
      concurrency: 4,
    });
    expect(findings.map((f) => `${f.code} ${f.object.kind} ${f.object.name}`)).toEqual([
      'ingress-controller-unreachable IngressClass nginx',
    ]);
    expect(findings[0]?.problem).toContain('20 route(s) use it');
    // The fingerprint, then one batch of 4.
    expect(connections).toBe(5);
  });
});

describe('a controller address that answers in another protocol', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    server = net.createServer((s) => {
      sockets.push(s);
      s.end('SSH-2.0-OpenSSH_9.6\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('is a protocol error finding per route: the address answers, so it is not unreachable', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const routes: IngressRoute[] = ['a', 'b'].map((h) => ({
      ...route,
      tls: false,
      host: `${h}.shop.example`,
      probe: {
        scheme: 'http',
        address: { host: '127.0.0.1', port },
        host: `${h}.shop.example`,
        path: '/',
        detectNoRoute: true,
      },
    }));
    const findings = await probeRoutesLive(routes, {
      timeoutSeconds: 2,
      maxBodyBytes: 1024,
      trust: createIngressTrust(),
      now: NOW,
      hasStaticBackendProblem: () => false,
    });
    expect(findings.map((f) => `${f.severity} ${f.code}`)).toEqual([
      'critical ingress-route-protocol-error',
      'critical ingress-route-protocol-error',
    ]);
    expect(findings[0]?.problem).toContain('not valid HTTP (HPE_INVALID_CONSTANT)');
  });
});
