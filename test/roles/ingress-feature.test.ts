import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { startClusterRole } from '../../src/roles/cluster.js';
import { createIngressFeature } from '../../src/roles/ingress-feature.js';
import type { RoleHandle } from '../../src/roles/runtime.js';
import { createCertSet, makeCertDir, type CertSet } from '../../sandbox/certs.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { startIngressProxy, type IngressProxy, type RouteTable } from '../../sandbox/ingress-proxy.js';
import { startBackend, type Backend } from '../helpers/nginx.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

const NS = 'shop';
const ROUTE_METRICS = [
  'netprobe_ingress_route_up',
  'netprobe_ingress_route_status_code',
  'netprobe_ingress_route_problem',
  'netprobe_ingress_probes_total',
  'netprobe_ingress_route_phase_seconds',
  'netprobe_ingress_route_duration_seconds_count',
  'netprobe_tls_cert_expiry_timestamp_seconds',
  'netprobe_tls_cert_hostname_match',
  'netprobe_tls_cert_verified',
];

interface IngressArgs {
  host: string;
  path?: string;
  service?: string;
  className?: string;
  tls?: boolean;
}

function ingress(name: string, a: IngressArgs): object {
  const spec: Record<string, unknown> = {
    ingressClassName: a.className ?? 'nginx',
    rules: [
      {
        host: a.host,
        http: {
          paths: [
            {
              path: a.path ?? '/',
              pathType: 'Prefix',
              backend: { service: { name: a.service ?? 'web', port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  };
  if (a.tls === true) spec.tls = [{ hosts: [a.host], secretName: `${name}-tls` }];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: NS }, spec };
}

const ingressClass = (name: string): object => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name },
  spec: { controller: 'k8s.io/ingress-nginx' },
});

const service = (name: string): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.20',
    selector: { app: name },
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  },
});

const slice = (svc: string): object => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-abc`, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true, serving: true, terminating: false } }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

const id = (ingressName: string, host: string, path = '/'): string =>
  `namespace="${NS}",ingress="${ingressName}",host="${host}",path="${path}"`;

describe('ingress feature in the cluster role', () => {
  let api: FakeApi;
  let backend: Backend;
  let proxy: IngressProxy;
  let role: RoleHandle;
  let certs: CertSet;
  let certDir: string;
  let config: Config;
  let kc: KubeConfig;

  const metrics = async (): Promise<string> => {
    const res = await fetch(`http://${role.address.host}:${role.address.port}/metrics`);
    return res.text();
  };
  const lines = async (...names: string[]): Promise<string[]> => seriesLines(await metrics(), ...names);
  // Polls until every wanted line is exposed, then asserts them (a failure shows what was there).
  const expectLines = async (want: string[], ...names: string[]): Promise<void> => {
    const has = async (): Promise<boolean> => {
      const got = await lines(...names);
      return want.every((l) => got.includes(l));
    };
    await waitFor(want.join('\n'), has, 20_000).catch(() => undefined);
    expect(await lines(...names)).toEqual(expect.arrayContaining(want));
  };

  beforeAll(async () => {
    certDir = await makeCertDir();
    certs = await createCertSet(certDir, 'secure.test', 5);
    backend = await startBackend((_req, res) => res.end('hello\n'));
    const upstream = [{ host: '127.0.0.1', port: backend.port }];
    // The proxy serves the class-nginx hosts only, like the sandbox: ghost.test falls to the default backend.
    const table: RouteTable = ['ok.test', 'secure.test', 'mismatch.test'].map((host) => ({
      host,
      path: '/',
      pathType: 'Prefix',
      backends: upstream,
    }));
    proxy = await startIngressProxy({
      httpPort: 0,
      httpsPort: 0,
      address: '127.0.0.1',
      routes: () => table,
      certs: () => [
        { hosts: ['secure.test'], cert: certs.expiringSoon.cert, key: certs.expiringSoon.key },
        { hosts: ['mismatch.test'], cert: certs.wrongHost.cert, key: certs.wrongHost.key },
      ],
    });

    api = await startFakeApi({ bookmarkIntervalMs: 500 });
    for (const obj of [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      // netprobe's own namespace, where the cluster role takes its leader lease.
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } },
      ingressClass('nginx'),
      ingressClass('nginx-legacy'),
      service('web'),
      slice('web'),
      ingress('ok', { host: 'ok.test' }),
      ingress('ghost', { host: 'ghost.test', className: 'nginx-legacy' }),
      ingress('missing', { host: 'ok.test', path: '/missing', service: 'nope' }),
      ingress('secure', { host: 'secure.test', tls: true }),
      ingress('mismatch', { host: 'mismatch.test', tls: true }),
    ])
      api.store.apply(obj);
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());

    const caFile = join(certDir, 'trusted-ca.pem');
    await writeFile(caFile, certs.ca.certPem);
    const base = loadConfig(undefined, {}, { listen: '127.0.0.1:0' });
    const controller = { http: `127.0.0.1:${proxy.httpPort}`, https: `127.0.0.1:${proxy.httpsPort ?? 0}` };
    config = {
      ...base,
      cluster: {
        ...base.cluster,
        ingress: {
          ...base.cluster.ingress,
          interval: 1,
          timeout: 2,
          caFile,
          controllers: { nginx: controller, 'nginx-legacy': controller },
        },
      },
    };
    role = await startClusterRole(config, { kubeConfig: kc, logger: silentLogger() }, [createIngressFeature]);
  }, 60_000);

  afterAll(async () => {
    await role?.stop();
    await api?.close();
    await proxy?.close();
    await backend?.close();
    if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
  });

  test('counts routes by state', async () => {
    await expectLines(
      [
        'netprobe_ingress_routes{state="probed"} 5',
        'netprobe_ingress_routes{state="unprobeable"} 0',
        'netprobe_ingress_routes{state="disabled"} 0',
        'netprobe_ingress_routes{state="invalid_host"} 0',
      ],
      'netprobe_ingress_routes',
    );
  });

  test('a healthy route is up with status 200 and pre-initialised results', async () => {
    await expectLines(
      [
        `netprobe_ingress_route_up{${id('ok', 'ok.test')}} 1`,
        `netprobe_ingress_route_status_code{${id('ok', 'ok.test')}} 200`,
        `netprobe_ingress_probes_total{${id('ok', 'ok.test')},result="no_route"} 0`,
        `netprobe_ingress_probes_total{${id('ok', 'ok.test')},result="tls_error"} 0`,
      ],
      ...ROUTE_METRICS,
    );
    const phases = (await lines('netprobe_ingress_route_phase_seconds')).filter((l) =>
      l.includes('ingress="ok"'),
    );
    expect(phases.map((l) => /phase="(\w+)"/.exec(l)?.[1]).sort()).toEqual([
      'connect',
      'processing',
      'resolve',
      'tls',
      'transfer',
    ]);
  });

  test('a host the controller does not route is no_route (class nginx-legacy on the nginx-only proxy)', async () => {
    await expectLines(
      [
        `netprobe_ingress_route_up{${id('ghost', 'ghost.test')}} 0`,
        `netprobe_ingress_route_status_code{${id('ghost', 'ghost.test')}} 404`,
      ],
      ...ROUTE_METRICS,
    );
    await waitFor(
      'a no_route probe',
      async () =>
        (await lines('netprobe_ingress_probes_total')).some(
          (l) =>
            l.startsWith(`netprobe_ingress_probes_total{${id('ghost', 'ghost.test')},result="no_route"} `) &&
            !l.endsWith(' 0'),
        ),
      20_000,
    );
    const ghost = (await lines('netprobe_ingress_probes_total')).filter((l) => l.includes('ingress="ghost"'));
    // Every probe of it was no_route: the other results stay at their pre-initialised 0.
    expect(ghost.filter((l) => !l.includes('result="no_route"'))).toEqual(
      [
        'backend_unavailable',
        'connect_error',
        'ok',
        'protocol_error',
        'server_error',
        'timeout',
        'tls_error',
        'unexpected_status',
      ].map((r) => `netprobe_ingress_probes_total{${id('ghost', 'ghost.test')},result="${r}"} 0`),
    );
  });

  test('a backend Service that does not exist is a static problem', async () => {
    await expectLines(
      [
        `netprobe_ingress_route_problem{${id('missing', 'ok.test', '/missing')},problem="backend_service_missing"} 1`,
      ],
      'netprobe_ingress_route_problem',
    );
    // Only that route has a problem.
    expect(await lines('netprobe_ingress_route_problem')).toHaveLength(1);
  });

  test('TLS: expiry of the served certificate, hostname match, verification against caFile', async () => {
    const host = (ing: string, h: string): string => `namespace="${NS}",ingress="${ing}",host="${h}"`;
    const expiry = Math.floor(certs.expiringSoon.notAfter.getTime() / 1000);
    await expectLines(
      [
        `netprobe_tls_cert_expiry_timestamp_seconds{${host('secure', 'secure.test')}} ${expiry}`,
        `netprobe_tls_cert_hostname_match{${host('secure', 'secure.test')}} 1`,
        `netprobe_tls_cert_verified{${host('secure', 'secure.test')}} 1`,
        `netprobe_ingress_route_up{${id('secure', 'secure.test')}} 1`,
        `netprobe_tls_cert_hostname_match{${host('mismatch', 'mismatch.test')}} 0`,
        `netprobe_tls_cert_verified{${host('mismatch', 'mismatch.test')}} 1`,
        `netprobe_ingress_route_up{${id('mismatch', 'mismatch.test')}} 0`,
      ],
      ...ROUTE_METRICS,
    );
    // About 5 days ahead (the certificate's own date, not a timing measurement).
    expect(Math.abs(expiry - Date.now() / 1000 - 5 * 86_400)).toBeLessThan(3600);
  });

  test('the status page lists each route with its last result', async () => {
    const res = await fetch(`http://${role.address.host}:${role.address.port}/status`, {
      headers: { accept: 'application/json' },
    });
    const body = (await res.json()) as {
      features?: { ingress?: { routes?: Array<{ ingress: string; last: { result: string } | null }> } };
    };
    const routes = body.features?.ingress?.routes ?? [];
    expect(routes.map((r) => r.ingress).sort()).toEqual(['ghost', 'mismatch', 'missing', 'ok', 'secure']);
    expect(routes.find((r) => r.ingress === 'ok')?.last?.result).toBe('ok');
  });

  test('fixing a problem removes its series; deleting an Ingress removes all of its series', async () => {
    api.store.apply(service('nope'));
    api.store.apply(slice('nope'));
    await waitFor(
      'problem gone',
      async () => (await lines('netprobe_ingress_route_problem')).length === 0,
      20_000,
    ).catch(() => undefined);
    expect(await lines('netprobe_ingress_route_problem')).toEqual([]);

    expect((await metrics()).includes('ingress="secure"')).toBe(true);
    api.store.remove('Ingress', NS, 'secure');
    await waitFor(
      'secure series gone',
      async () => !(await metrics()).includes('ingress="secure"'),
      20_000,
    ).catch(() => undefined);
    expect((await metrics()).split('\n').filter((l) => l.includes('ingress="secure"'))).toEqual([]);
    await expectLines(['netprobe_ingress_routes{state="probed"} 4'], 'netprobe_ingress_routes');
    // The other routes keep their series.
    expect(await lines('netprobe_ingress_route_up')).toContain(
      `netprobe_ingress_route_up{${id('ok', 'ok.test')}} 1`,
    );
  });

  // A second role against the same cluster, with its own ingress settings.
  const withIngress = async (
    ingress: Partial<Config['cluster']['ingress']>,
    logger = silentLogger(),
  ): Promise<{ role: RoleHandle; text: () => Promise<string> }> => {
    const other = await startClusterRole(
      { ...config, cluster: { ...config.cluster, ingress: { ...config.cluster.ingress, ...ingress } } },
      { kubeConfig: kc, logger },
      [createIngressFeature],
    );
    const text = async (): Promise<string> =>
      (await fetch(`http://${other.address.host}:${other.address.port}/metrics`)).text();
    return { role: other, text };
  };

  test('an unreadable caFile is logged and probes go on with the system CAs (chain unverified)', async () => {
    const logged: string[] = [];
    const other = await withIngress(
      { caFile: join(certDir, 'absent.pem') },
      createLogger('error', {}, (l) => logged.push(l)),
    );
    try {
      const want = `netprobe_tls_cert_verified{namespace="${NS}",ingress="mismatch",host="mismatch.test"} 0`;
      await waitFor(
        'unverified chain',
        async () => seriesLines(await other.text(), 'netprobe_tls_cert_verified').includes(want),
        20_000,
      ).catch(() => undefined);
      expect(seriesLines(await other.text(), 'netprobe_tls_cert_verified')).toContain(want);
      expect(logged.some((l) => l.includes('caFile'))).toBe(true);
    } finally {
      await other.role.stop();
    }
  });

  test('enabled=false: no routes are discovered or probed', async () => {
    const other = await withIngress({ enabled: false });
    try {
      await waitFor(
        'role ready (features start once every informer synced)',
        async () => (await fetch(`http://${other.role.address.host}:${other.role.address.port}/readyz`)).ok,
        20_000,
      );
      expect(
        seriesLines(await other.text(), 'netprobe_ingress_routes', 'netprobe_ingress_route_problem'),
      ).toEqual([]);
      const status = (await (
        await fetch(`http://${other.role.address.host}:${other.role.address.port}/status`)
      ).json()) as {
        features: { ingress: unknown };
      };
      expect(status.features.ingress).toEqual({ enabled: false });
    } finally {
      await other.role.stop();
    }
  });
});
