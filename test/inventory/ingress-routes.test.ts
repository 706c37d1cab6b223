import { describe, expect, it } from '@jest/globals';
import {
  buildIngressRoutes,
  checkRoute,
  isSafeProbePath,
  isValidIngressHost,
  parseExpectStatus,
  tlsHostCovers,
  type IngressRoute,
  type RouteLookups,
  type RouteOptions,
} from '../../src/inventory/ingress-routes.js';
import { parseCidr } from '../../src/policy/cidr.js';

const OPTIONS: RouteOptions = {
  wildcardLabel: 'netprobe-probe',
  controllers: { nginx: { http: '10.0.0.1:80', https: '10.0.0.1:443' }, v6: { http: '[fd00::1]:8080' } },
};
const CLASSES = [{ metadata: { name: 'nginx' } }, { metadata: { name: 'v6' } }];

interface IngressArgs {
  name?: string;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: unknown;
}

function ingress({ name = 'web', annotations = {}, spec = {}, status }: IngressArgs): unknown {
  return {
    metadata: { namespace: 'shop', name, annotations },
    spec: { ingressClassName: 'nginx', ...spec },
    status,
  };
}

function rules(host: string | undefined, ...paths: [string, string][]): Record<string, unknown> {
  return {
    rules: [
      {
        host,
        http: {
          paths: paths.map(([path, pathType]) => ({
            path,
            pathType,
            backend: { service: { name: 'web', port: { number: 80 } } },
          })),
        },
      },
    ],
  };
}

function one(obj: unknown, options = OPTIONS, classes: unknown[] = CLASSES): IngressRoute {
  const inv = buildIngressRoutes([obj], classes, options);
  expect(inv.routes).toHaveLength(1);
  return inv.routes[0] as IngressRoute;
}

describe('buildIngressRoutes: one route per (namespace, ingress, host, path)', () => {
  it('builds a plain HTTP route probed at the configured controller', () => {
    expect(one(ingress({ spec: rules('shop.example.com', ['/cart', 'Prefix']) }))).toEqual({
      namespace: 'shop',
      ingress: 'web',
      host: 'shop.example.com',
      path: '/cart',
      pathType: 'Prefix',
      backend: { type: 'service', name: 'web', port: 80 },
      tls: false,
      ingressHasTls: false,
      ingressClass: 'nginx',
      classSource: 'spec',
      classKnown: true,
      state: 'probed',
      addressSource: 'controller',
      probe: {
        scheme: 'http',
        address: { host: '10.0.0.1', port: 80 },
        host: 'shop.example.com',
        path: '/cart',
        detectNoRoute: true,
      },
    });
  });

  it.each([
    ['Prefix path', rules('a.example.com', ['/api', 'Prefix']), { path: '/api', state: 'probed' }],
    [
      'Exact path',
      rules('a.example.com', ['/healthz', 'Exact']),
      { path: '/healthz', pathType: 'Exact', state: 'probed' },
    ],
    ['empty path is /', rules('a.example.com', ['', 'Prefix']), { path: '/', state: 'probed' }],
    [
      'plain ImplementationSpecific path',
      rules('a.example.com', ['/static', 'ImplementationSpecific']),
      { state: 'probed' },
    ],
    [
      'regex ImplementationSpecific path',
      rules('a.example.com', ['/api/(v1|v2)/.*', 'ImplementationSpecific']),
      { state: 'unprobeable', reason: 'regex_path' },
    ],
    [
      'anchored regex',
      rules('a.example.com', ['^/x$', 'ImplementationSpecific']),
      { state: 'unprobeable', reason: 'regex_path' },
    ],
    [
      'path with a space',
      rules('a.example.com', ['/a b', 'Prefix']),
      { state: 'unprobeable', reason: 'invalid_path' },
    ],
    [
      'path with a query',
      rules('a.example.com', ['/a?b', 'Exact']),
      { state: 'unprobeable', reason: 'invalid_path' },
    ],
    [
      'host-less rule',
      rules(undefined, ['/', 'Prefix']),
      {
        host: '*',
        state: 'probed',
        probe: expect.objectContaining({ host: '10.0.0.1', detectNoRoute: false }),
      },
    ],
  ])('%s', (_name, spec, want) => {
    expect(one(ingress({ spec }))).toMatchObject(want);
  });

  it('probes a wildcard host through the configured label and keeps the wildcard as label', () => {
    const spec = rules('*.example.com', ['/', 'Prefix']);
    expect(one(ingress({ spec }))).toMatchObject({
      host: '*.example.com',
      probe: { host: 'netprobe-probe.example.com' },
    });
    expect(one(ingress({ spec }), { ...OPTIONS, wildcardLabel: 'canary' })).toMatchObject({
      probe: { host: 'canary.example.com' },
    });
  });

  it('turns the defaultBackend into an unprobeable route with host and path "*"', () => {
    const spec = { defaultBackend: { service: { name: 'fallback', port: { name: 'http' } } } };
    expect(one(ingress({ spec }))).toMatchObject({
      host: '*',
      path: '*',
      backend: { type: 'service', name: 'fallback', port: 'http' },
      state: 'unprobeable',
      reason: 'default_backend',
    });
  });

  it('keeps resource backends', () => {
    const spec = {
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'assets' } },
              },
            ],
          },
        },
      ],
    };
    expect(one(ingress({ spec })).backend).toEqual({
      type: 'resource',
      apiGroup: 'k8s.example.com',
      kind: 'Bucket',
      name: 'assets',
    });
  });
});

describe('hosts', () => {
  it.each([
    ['a.example.com', true],
    ['A.Example.COM', true],
    ['localhost', true],
    ['*.example.com', true],
    [`${'a'.repeat(63)}.com`, true],
    [`${'a'.repeat(64)}.com`, false],
    [`${'abcdefghi.'.repeat(25)}com`, true], // 253 characters: the limit
    [`${'abcdefghi.'.repeat(25)}comx`, false],
    ['*', false],
    ['a.*.example.com', false],
    ['*.*.example.com', false],
    ['1.2.3.4', false],
    ['::1', false],
    ['exa_mple.com', false],
    ['-a.example.com', false],
    ['a-.example.com', false],
    ['a..example.com', false],
    ['example.com.', false],
    ['münchen.example', false],
    ['a b.example.com', false],
    ['a/b.example.com', false],
    ['user@example.com', false],
    ['example.com:8080', false],
    ['bad\u0000.example.com', false],
    ['', false],
  ])('%j valid: %s', (host, valid) => {
    expect(isValidIngressHost(host)).toBe(valid);
  });

  it('skips rules with invalid hosts and counts each of their paths as invalid_host', () => {
    const spec = {
      rules: [
        ...(rules('1.2.3.4', ['/a', 'Prefix'], ['/b', 'Prefix']).rules as unknown[]),
        ...(rules('ok.example.com', ['/', 'Prefix']).rules as unknown[]),
      ],
    };
    const inv = buildIngressRoutes([ingress({ spec })], CLASSES, OPTIONS);
    expect(inv.routes.map((r) => r.host)).toEqual(['ok.example.com']);
    expect(inv.counts).toEqual({ probed: 1, unprobeable: 0, disabled: 0, invalid_host: 2 });
    expect(inv.issues).toEqual([
      expect.objectContaining({ namespace: 'shop', ingress: 'web', reason: 'invalid_host' }),
    ]);
  });
});

describe('annotations', () => {
  const spec = rules('a.example.com', ['/', 'Prefix']);

  it('disables probing with netprobe.io/probe: "false"', () => {
    const inv = buildIngressRoutes(
      [ingress({ spec, annotations: { 'netprobe.io/probe': 'false' } })],
      CLASSES,
      OPTIONS,
    );
    expect(inv.routes[0]?.state).toBe('disabled');
    expect(inv.counts.disabled).toBe(1);
  });

  it.each([
    ['/healthz', '/healthz'],
    ['/status?full=1', '/status?full=1'],
    ['http://evil.example/', '/'],
    ['//evil.example/x', '/'],
    ['healthz', '/'],
    ['/a b', '/'],
  ])('probe-path %j probes %j', (value, path) => {
    const inv = buildIngressRoutes(
      [ingress({ spec, annotations: { 'netprobe.io/probe-path': value } })],
      CLASSES,
      OPTIONS,
    );
    expect(inv.routes[0]?.probe?.path).toBe(path);
    expect(inv.issues.map((i) => i.reason)).toEqual(path === value ? [] : ['invalid_probe_path']);
  });

  it.each([
    ['200-399', [{ min: 200, max: 399 }]],
    [
      '200,204,301-302',
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 },
        { min: 301, max: 302 },
      ],
    ],
    [' 404 ', [{ min: 404, max: 404 }]],
    ['399-200', undefined],
    ['2xx', undefined],
    ['99', undefined],
    ['600', undefined],
    ['200,', undefined],
    ['', undefined],
  ])('expect-status %j', (text, ranges) => {
    expect(parseExpectStatus(text)).toEqual(ranges);
    const inv = buildIngressRoutes(
      [ingress({ spec, annotations: { 'netprobe.io/expect-status': text } })],
      CLASSES,
      OPTIONS,
    );
    expect(inv.routes[0]?.probe?.expectStatus).toEqual(ranges);
    expect(inv.issues.map((i) => i.reason)).toEqual(ranges === undefined ? ['invalid_expect_status'] : []);
  });

  it.each([
    ['/x', true],
    ['/', true],
    ['/a/b;c=d', true],
    ['//x', false],
    ['/x#frag', false],
    ['/\r\nHost: evil', false],
  ])('isSafeProbePath(%j) = %s', (path, safe) => {
    expect(isSafeProbePath(path)).toBe(safe);
  });
});

describe('ingress class', () => {
  const spec = rules('a.example.com', ['/', 'Prefix']);
  const defaults = (...names: string[]) =>
    names.map((name) => ({
      metadata: { name, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    }));
  const classless = (annotations: Record<string, string> = {}) => ({
    metadata: { namespace: 'shop', name: 'web', annotations },
    spec,
  });

  it.each([
    [
      'spec.ingressClassName',
      ingress({ spec }),
      CLASSES,
      { ingressClass: 'nginx', classSource: 'spec', classKnown: true },
    ],
    [
      'unknown spec class',
      ingress({ spec: { ...spec, ingressClassName: 'traefik' } }),
      CLASSES,
      {
        ingressClass: 'traefik',
        classSource: 'spec',
        classKnown: false,
        state: 'unprobeable',
        reason: 'no_address',
      },
    ],
    [
      'legacy annotation',
      classless({ 'kubernetes.io/ingress.class': 'nginx' }),
      [],
      { ingressClass: 'nginx', classSource: 'annotation', classKnown: true, state: 'probed' },
    ],
    [
      'default IngressClass',
      classless(),
      [...CLASSES, ...defaults('nginx')],
      { ingressClass: 'nginx', classSource: 'default', state: 'probed' },
    ],
    [
      'several defaults: first by name',
      classless(),
      defaults('zeta', 'alpha'),
      { ingressClass: 'alpha', classSource: 'default' },
    ],
    [
      'no class at all',
      classless(),
      CLASSES,
      { ingressClass: undefined, classSource: 'none', state: 'unprobeable', reason: 'no_address' },
    ],
  ])('%s', (_name, obj, classes, want) => {
    expect(one(obj, OPTIONS, classes)).toMatchObject(want);
  });
});

describe('probe address and TLS', () => {
  const tlsRules = (tls: unknown[], host = 'a.example.com') => ({ ...rules(host, ['/', 'Prefix']), tls });

  it.each([
    [
      'a configured controller wins over a status IP (nobody steers the probe by writing status)',
      {
        spec: rules('a.example.com', ['/', 'Prefix']),
        status: { loadBalancer: { ingress: [{ ip: '10.9.9.9' }] } },
      },
      { scheme: 'http', address: { host: '10.0.0.1', port: 80 } },
    ],
    [
      'configured https address',
      { spec: tlsRules([{ hosts: ['a.example.com'] }]) },
      { scheme: 'https', address: { host: '10.0.0.1', port: 443 } },
    ],
    [
      'IPv6 controller address',
      { spec: { ...rules('a.example.com', ['/', 'Prefix']), ingressClassName: 'v6' } },
      { address: { host: 'fd00::1', port: 8080 } },
    ],
    ['wildcard TLS entry', { spec: tlsRules([{ hosts: ['*.example.com'] }]) }, { scheme: 'https' }],
    ['TLS entry without hosts covers all', { spec: tlsRules([{ secretName: 'x' }]) }, { scheme: 'https' }],
  ])('%s', (_name, args, probe) => {
    expect(one(ingress(args)).probe).toMatchObject(probe);
  });

  const STATUS_OPTIONS: RouteOptions = {
    ...OPTIONS,
    statusCidrs: [parseCidr('10.0.0.0/8'), parseCidr('fc00::/7')].filter((c) => c !== undefined),
  };
  const unconfigured = (status: unknown[]): unknown =>
    ingress({
      spec: { ...rules('a.example.com', ['/', 'Prefix']), ingressClassName: 'other' },
      status: { loadBalancer: { ingress: status } },
    });
  const OTHER = [...CLASSES, { metadata: { name: 'other' } }];

  it.each([
    [
      'a private status IP',
      [{ ip: '10.1.2.3' }],
      { state: 'probed', addressSource: 'status', probe: { address: { host: '10.1.2.3', port: 80 } } },
    ],
    [
      'a private IPv6 status IP',
      [{ ip: 'fd00::7' }],
      { state: 'probed', addressSource: 'status', probe: { address: { host: 'fd00::7', port: 80 } } },
    ],
    [
      'a public status IP',
      [{ ip: '192.0.2.7' }],
      { state: 'unprobeable', reason: 'status_address_not_allowed' },
    ],
    [
      'a status hostname (not checkable before resolving)',
      [{ hostname: 'lb.example.net' }],
      { state: 'unprobeable', reason: 'status_address_not_allowed' },
    ],
    [
      'a public IP, then an allowed one',
      [{ ip: '192.0.2.7' }, { ip: '10.1.2.3' }],
      { state: 'probed', probe: { address: { host: '10.1.2.3' } } },
    ],
  ])(
    'a class without a configured address is probed at %s only inside statusCidrs',
    (_name, status, want) => {
      const route = one(unconfigured(status), STATUS_OPTIONS, OTHER);
      expect(route).toMatchObject(want);
      if (route.state !== 'probed') expect(route.probe).toBeUndefined();
    },
  );

  it('probes a route whose class names no IngressClass through defaultController', () => {
    const options = { ...OPTIONS, defaultController: { http: '10.0.0.5:8080' } };
    const typo = ingress({ spec: { ...rules('a.example.com', ['/', 'Prefix']), ingressClassName: 'ngnix' } });
    expect(one(typo, options)).toMatchObject({
      classKnown: false,
      state: 'probed',
      addressSource: 'default_controller',
      probe: { address: { host: '10.0.0.5', port: 8080 } },
    });
    // Without it, the same route is unprobeable; a known class never falls back to it.
    expect(one(typo)).toMatchObject({ state: 'unprobeable', reason: 'no_address' });
    const known = ingress({
      spec: { ...rules('a.example.com', ['/', 'Prefix']), ingressClassName: 'other' },
    });
    expect(one(known, options, OTHER)).toMatchObject({ state: 'unprobeable', reason: 'no_address' });
  });

  it('leaves a TLS route unprobeable when the class has no https controller', () => {
    expect(
      one(ingress({ spec: { ...tlsRules([{ hosts: ['a.example.com'] }]), ingressClassName: 'v6' } })),
    ).toMatchObject({ tls: true, state: 'unprobeable', reason: 'no_address' });
  });

  it('marks a host missing from the TLS entries', () => {
    expect(one(ingress({ spec: tlsRules([{ hosts: ['b.example.com'] }]) }))).toMatchObject({
      tls: false,
      ingressHasTls: true,
      probe: { scheme: 'http' },
    });
  });

  it.each([
    ['a.example.com', 'a.example.com', true],
    ['A.example.com', 'a.EXAMPLE.com', true],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.example.com', true],
    ['a.example.com', '*.example.com', false],
  ])('TLS host %s covers %s: %s', (pattern, host, covers) => {
    expect(tlsHostCovers(pattern, host)).toBe(covers);
  });
});

describe('malformed input is skipped and reported, never thrown', () => {
  it.each([
    ['null', null, 'malformed_ingress'],
    ['a number', 42, 'malformed_ingress'],
    ['an array', [], 'malformed_ingress'],
    ['no namespace', { metadata: { name: 'x' } }, 'malformed_ingress'],
    ['spec is a string', { metadata: { namespace: 'a', name: 'x' }, spec: 'rules' }, 'malformed_ingress'],
    ['rules not a list', ingress({ spec: { rules: { host: 'a' } } }), 'malformed_rule'],
    ['rule is a string', ingress({ spec: { rules: ['a.example.com'] } }), 'malformed_rule'],
    ['host is a number', ingress({ spec: { rules: [{ host: 7 }] } }), 'malformed_rule'],
    [
      'paths not a list',
      ingress({ spec: { rules: [{ host: 'a.example.com', http: { paths: 'x' } }] } }),
      'malformed_rule',
    ],
    [
      'path without backend',
      ingress({
        spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix' }] } }] },
      }),
      'malformed_path',
    ],
    [
      'port out of range',
      ingress({
        spec: {
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'w', port: { number: 70000 } } },
                  },
                ],
              },
            },
          ],
        },
      }),
      'malformed_path',
    ],
    [
      'unknown pathType',
      ingress({
        spec: {
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  { path: '/', pathType: 'Regex', backend: { service: { name: 'w', port: { number: 80 } } } },
                ],
              },
            },
          ],
        },
      }),
      'malformed_path',
    ],
    [
      'bad defaultBackend',
      ingress({ spec: { defaultBackend: { service: { name: 'w' } } } }),
      'malformed_path',
    ],
  ])('%s', (_name, obj, reason) => {
    const inv = buildIngressRoutes(
      [obj, ingress({ name: 'good', spec: rules('ok.example.com', ['/', 'Prefix']) })],
      [null, 'x', { metadata: {} }],
      OPTIONS,
    );
    expect(inv.issues.map((i) => i.reason)).toEqual([reason]);
    expect(inv.routes.map((r) => r.ingress)).toEqual(['good']);
  });

  it('treats a rule without http as having no routes', () => {
    expect(
      buildIngressRoutes([ingress({ spec: { rules: [{ host: 'a.example.com' }] } })], CLASSES, OPTIONS),
    ).toEqual({
      routes: [],
      issues: [],
      counts: { probed: 0, unprobeable: 0, disabled: 0, invalid_host: 0 },
    });
  });
});

describe('checkRoute', () => {
  const services: Record<string, { type?: string; ports: { name?: string; port: number }[] }> = {
    'shop/web': { ports: [{ name: 'http', port: 80 }] },
    'shop/empty': { ports: [{ name: 'http', port: 80 }] },
    'shop/external': { type: 'ExternalName', ports: [{ port: 443 }] },
  };
  const ready: Record<string, number> = { 'shop/web': 2 };
  const lookups: RouteLookups = {
    service: (ns, name) => services[`${ns}/${name}`],
    readyEndpoints: (ns, name) => ready[`${ns}/${name}`] ?? 0,
  };
  const base = one(ingress({ spec: rules('a.example.com', ['/', 'Prefix']) }));
  const svc = (name: string, port: number | string): Partial<IngressRoute> => ({
    backend: { type: 'service', name, port },
  });

  it.each([
    ['a healthy route', {}, []],
    ['port by name', svc('web', 'http'), []],
    ['missing service', svc('gone', 80), ['backend_service_missing']],
    ['missing port number', svc('web', 8080), ['backend_port_missing']],
    ['missing port name', svc('web', 'grpc'), ['backend_port_missing']],
    ['no ready endpoints', svc('empty', 80), ['backend_no_ready_endpoints']],
    ['ExternalName needs no endpoints', svc('external', 443), []],
    ['resource backend', { backend: { type: 'resource', apiGroup: '', kind: 'Bucket', name: 'b' } }, []],
    ['host not in spec.tls', { ingressHasTls: true, tls: false }, ['tls_host_not_covered']],
    ['unknown class', { classKnown: false }, ['ingress_class_missing']],
    ['no class', { classSource: 'none', ingressClass: undefined }, ['ingress_class_missing']],
    [
      'several problems',
      { classKnown: false, ...svc('web', 9) },
      ['ingress_class_missing', 'backend_port_missing'],
    ],
  ] as [string, Partial<IngressRoute>, string[]][])('%s', (_name, patch, problems) => {
    expect(checkRoute({ ...base, ...patch }, lookups)).toEqual(problems);
  });
});
