import { runDoctor } from '../../src/doctor/runner.js';
import type { DoctorFinding, DoctorReport } from '../../src/doctor/types.js';
import { defaultConfig, obj, startListServer, type ListAnswers } from './support.js';

async function doctor(answers: ListAnswers, namespace?: string): Promise<DoctorReport> {
  const server = await startListServer(answers);
  try {
    return await runDoctor({
      kubeConfig: server.kc,
      config: defaultConfig(),
      configGiven: false,
      ...(namespace !== undefined ? { namespace } : {}),
      dnsLookups: 1,
    });
  } finally {
    await server.close();
  }
}

const find = (r: DoctorReport, code: string, name: string): DoctorFinding | undefined =>
  r.findings.find((f) => f.code === code && f.object.name === name);

describe('doctor stages against listed objects', () => {
  const shop = {
    namespaces: [obj.ns('shop'), obj.ns('other')],
    pods: [
      obj.pod('shop', 'orders-1', { app: 'orders-v2' }),
      obj.pod('shop', 'web-1', { app: 'web' }),
      obj.pod('shop', 'inv-1', { app: 'inv' }, { ready: false }),
      obj.pod('shop', 'rep-1', { app: 'rep' }),
      obj.pod('other', 'idle-1', { app: 'idle' }, { ready: false }),
    ],
    services: [
      obj.service('shop', 'orders', { app: 'orders' }),
      obj.service('shop', 'web', { app: 'web' }),
      obj.service('shop', 'inv', { app: 'inv' }),
      obj.service('shop', 'rep', { app: 'rep' }, 'metrics'),
      // A selector matching nothing, but endpoints written by another controller: traffic works.
      obj.service('shop', 'gw', { app: 'gw' }),
    ],
    endpointslices: [
      obj.slice('shop', 'web', [{ pod: 'web-1', ready: true }]),
      obj.slice('shop', 'inv', [{ pod: 'inv-1', ready: false }]),
      obj.slice('shop', 'rep', [{ pod: 'rep-1', ready: true }], null),
      obj.slice('shop', 'gw', [{ pod: 'web-1', ready: true }]),
    ],
  };

  it('finds a label mismatch and names the pod with the near-miss label', async () => {
    const r = await doctor(shop);
    const f = find(r, 'service-selector-matches-nothing', 'orders');
    expect(f?.severity).toBe('warning');
    expect(f?.problem).toContain('pod orders-1 is labelled app=orders-v2');
    expect(f?.next).toBe('kubectl -n shop get pods --show-labels');
    expect(find(r, 'service-selector-matches-nothing', 'gw')).toBeUndefined();
  });

  it('finds a Service whose pods are all unready (critical) and the unready pod (warning)', async () => {
    const r = await doctor(shop);
    const svc = find(r, 'service-no-ready-endpoints', 'inv');
    expect(svc?.severity).toBe('critical');
    expect(svc?.next).toBe('kubectl -n shop get endpointslices -l kubernetes.io/service-name=inv -o wide');
    const pod = find(r, 'pod-not-ready', 'inv-1');
    expect(pod?.severity).toBe('warning');
    expect(pod?.why).toContain('Service shop/inv sends it no traffic');
    expect(pod?.next).toBe('kubectl -n shop describe pod inv-1');
    expect(r.summary.critical).toBeGreaterThanOrEqual(1);
  });

  it('finds a named targetPort no pod declares', async () => {
    const r = await doctor(shop);
    const f = find(r, 'service-target-port-unresolved', 'rep');
    expect(f?.severity).toBe('critical');
    expect(f?.problem).toContain('"metrics"');
    expect(find(r, 'service-no-ready-endpoints', 'web')).toBeUndefined();
  });

  it('--namespace keeps only findings of that namespace (and cluster-wide ones)', async () => {
    const all = await doctor(shop);
    expect(find(all, 'pod-not-ready', 'idle-1')).toBeDefined();
    const scoped = await doctor(shop, 'shop');
    expect(find(scoped, 'pod-not-ready', 'idle-1')).toBeUndefined();
    expect(find(scoped, 'pod-not-ready', 'inv-1')).toBeDefined();
    // The DNS Service lives in kube-system, yet DNS is cluster-wide and stays.
    expect(scoped.findings.some((f) => f.code === 'dns-service-not-found')).toBe(true);
    expect(scoped.findings.every((f) => f.stage === 'dns' || ['shop', ''].includes(f.object.namespace))).toBe(
      true,
    );
  });

  it('runs the static Ingress checks without --config and says the live checks were skipped', async () => {
    const r = await doctor({
      ...shop,
      ingressclasses: [
        {
          metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
        },
      ],
      ingresses: [
        {
          metadata: { name: 'store', namespace: 'shop' },
          spec: {
            rules: [
              {
                host: 'shop.example',
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: { service: { name: 'web', port: { number: 80 } } },
                    },
                    {
                      path: '/api',
                      pathType: 'Prefix',
                      backend: { service: { name: 'nope', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    const f = find(r, 'ingress-backend-service-missing', 'store');
    expect(f?.severity).toBe('critical');
    expect(f?.problem).toBe('shop.example/api routes to Service nope, which does not exist');
    expect(r.findings.filter((x) => x.object.name === 'store')).toHaveLength(1);
    expect(r.summary.skipped).toEqual([
      expect.objectContaining({
        stage: 'ingress',
        check: 'live route and TLS checks',
        reason: expect.stringContaining('--config'),
      }),
    ]);
  });

  it('with IngressClasses forbidden, still checks backends and skips only the class check', async () => {
    const r = await doctor({
      ...shop,
      ingressclasses: 403,
      ingresses: [
        {
          metadata: { name: 'store', namespace: 'shop' },
          spec: {
            ingressClassName: 'nginx',
            rules: [
              {
                host: 'shop.example',
                http: {
                  paths: [
                    {
                      path: '/api',
                      pathType: 'Prefix',
                      backend: { service: { name: 'nope', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    expect(r.findings.filter((x) => x.object.name === 'store').map((x) => x.code)).toEqual([
      'ingress-backend-service-missing',
    ]);
    expect(r.summary.skipped).toContainEqual(
      expect.objectContaining({
        stage: 'ingress',
        check: 'Ingress classes',
        reason: expect.stringMatching(/403/),
      }),
    );
  });

  it('maps policy-engine findings (egress that forgets DNS is critical)', async () => {
    const r = await doctor({
      namespaces: [obj.ns('batch'), obj.ns('kube-system')],
      pods: [
        obj.pod('batch', 'job-1', { app: 'job' }),
        obj.pod('kube-system', 'coredns-1', { 'k8s-app': 'kube-dns' }),
      ],
      services: [obj.service('kube-system', 'kube-dns', { 'k8s-app': 'kube-dns' }, 53)],
      networkpolicies: [
        {
          metadata: { name: 'deny-egress', namespace: 'batch' },
          spec: { podSelector: {}, policyTypes: ['Egress'] },
        },
      ],
    });
    const f = find(r, 'dns-egress-blocked', 'job-1');
    expect(f).toMatchObject({
      severity: 'critical',
      stage: 'policy',
      object: { kind: 'Pod', namespace: 'batch' },
    });
    expect(f?.next).toBe('kubectl -n batch get networkpolicy -o yaml');
  });

  it('lists with plain paged LIST requests, never a watch', async () => {
    const server = await startListServer(shop);
    try {
      await runDoctor({ kubeConfig: server.kc, config: defaultConfig(), configGiven: false, dnsLookups: 1 });
    } finally {
      await server.close();
    }
    expect(server.requests).toHaveLength(7);
    expect(
      server.requests.every((r) => r.startsWith('GET ') && r.includes('limit=500') && !r.includes('watch')),
    ).toBe(true);
  });
});
