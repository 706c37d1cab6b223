import { certFindings } from '../../src/doctor/ingress-live.js';
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
