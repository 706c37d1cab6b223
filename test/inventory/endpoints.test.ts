import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createClusterCache, startCache, stopCache, type ClusterCache } from '../../src/kube/cache.js';
import { EndpointInventory } from '../../src/inventory/endpoints.js';
import { silentLogger } from '../../src/log/logger.js';
import { serviceProblems } from '../../src/roles/endpoints-feature.js';
import { createMetrics } from '../../src/metrics/catalog.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

const NAMES = [
  'netprobe_service_endpoints',
  'netprobe_service_endpoints_by_family',
  'netprobe_service_selector_pods',
  'netprobe_service_info',
  'netprobe_service_target_port_unresolved',
];

interface SvcArgs {
  selector?: Record<string, string> | null;
  type?: string;
  clusterIP?: string;
  ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
}

function service(ns: string, name: string, a: SvcArgs = {}): object {
  const spec: Record<string, unknown> = {
    type: a.type ?? 'ClusterIP',
    clusterIP: a.clusterIP ?? '10.96.0.10',
    ports: a.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }],
  };
  if (a.selector !== null) spec.selector = a.selector ?? { app: name };
  if (a.type === 'ExternalName') {
    spec.externalName = 'example.org';
    delete spec.clusterIP;
  }
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec };
}

interface PodArgs {
  labels?: Record<string, string>;
  phase?: string;
  ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
}

function pod(ns: string, name: string, a: PodArgs = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: a.labels ?? { app: 'web' } },
    spec: {
      containers: [{ name: 'c', image: 'x', ports: a.ports ?? [{ name: 'http', containerPort: 8080 }] }],
    },
    status: { phase: a.phase ?? 'Running', podIP: '10.1.0.1' },
  };
}

interface Ep {
  ip: string;
  pod?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

function slice(ns: string, name: string, svc: string, eps: Ep[], addressType = 'IPv4'): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? e.ready ?? true,
        terminating: e.terminating ?? false,
      },
      ...(e.pod === undefined ? {} : { targetRef: { kind: 'Pod', name: e.pod, namespace: ns } }),
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** The expected exposition lines of one Service, sorted like seriesLines sorts them. */
function expected(ns: string, svc: string, e: Partial<Record<string, number | string>>): string[] {
  const id = `namespace="${ns}",service="${svc}"`;
  const out = [
    `netprobe_service_endpoints{${id},state="ready"} ${e.ready ?? 0}`,
    `netprobe_service_endpoints{${id},state="not_ready"} ${e.not_ready ?? 0}`,
    `netprobe_service_endpoints{${id},state="terminating"} ${e.terminating ?? 0}`,
    `netprobe_service_endpoints{${id},state="terminating_serving"} ${e.terminating_serving ?? 0}`,
    `netprobe_service_info{${id},${e.info ?? 'type="ClusterIP",selector="true",headless="false"'}} 1`,
  ];
  if (e.pods !== undefined) out.push(`netprobe_service_selector_pods{${id}} ${e.pods}`);
  if (e.unresolved !== undefined)
    out.push(`netprobe_service_target_port_unresolved{${id},port="http"} ${e.unresolved}`);
  return out.sort();
}

describe('EndpointInventory against the fake API', () => {
  let api: FakeApi;
  let registry: Registry;
  let cache: ClusterCache;
  let inventory: EndpointInventory;

  const lines = async (ns: string, svc: string): Promise<string[]> =>
    seriesLines(await registry.metrics(), ...NAMES).filter((l) =>
      l.includes(`{namespace="${ns}",service="${svc}"`),
    );

  // Polls until the Service's lines are the expected ones, then asserts them (so a failure shows the diff).
  const expectLines = async (ns: string, svc: string, want: string[]): Promise<void> => {
    await waitFor(
      `${ns}/${svc} series`,
      async () => JSON.stringify(await lines(ns, svc)) === JSON.stringify(want),
      10_000,
    ).catch(() => undefined);
    expect(await lines(ns, svc)).toEqual(want);
  };

  const apply = (...objs: object[]): void => {
    for (const o of objs) api.store.apply(o);
  };

  beforeAll(async () => {
    api = await startFakeApi({ bookmarkIntervalMs: 500 });
    for (const ns of ['shop', 'infra', 'other'])
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // Objects present before the informers start arrive through the initial list.
    apply(
      service('shop', 'web'),
      pod('shop', 'web-1'),
      pod('shop', 'web-2'),
      pod('shop', 'web-3'),
      pod('other', 'web-x'), // same labels, other namespace: never counted
      slice('shop', 'web-abc', 'web', [
        { ip: '10.1.0.1', pod: 'web-1' },
        { ip: '10.1.0.2', pod: 'web-2' },
        { ip: '10.1.0.3', pod: 'web-3' },
      ]),
    );
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    cache = createClusterCache({ kc, logger: silentLogger(), metrics });
    inventory = new EndpointInventory({ cache, metrics, logger: silentLogger() });
    inventory.start();
    startCache(cache);
    await waitFor('inventory synced', () => inventory.synced, 20_000);
  });
  afterAll(async () => {
    inventory.stop();
    stopCache(cache);
    await api.close();
  });

  test('exports the initial list: endpoints by state, selector pods, info, named targetPort', async () => {
    await expectLines('shop', 'web', expected('shop', 'web', { ready: 3, pods: 3, unresolved: 0 }));
  });

  test('readiness flip moves an endpoint from ready to not_ready and back', async () => {
    const eps: Ep[] = [
      { ip: '10.1.0.1', pod: 'web-1', ready: false },
      { ip: '10.1.0.2', pod: 'web-2' },
      { ip: '10.1.0.3', pod: 'web-3' },
    ];
    apply(slice('shop', 'web-abc', 'web', eps));
    await expectLines(
      'shop',
      'web',
      expected('shop', 'web', { ready: 2, not_ready: 1, pods: 3, unresolved: 0 }),
    );
    apply(
      slice(
        'shop',
        'web-abc',
        'web',
        eps.map((e) => ({ ...e, ready: true })),
      ),
    );
    await expectLines('shop', 'web', expected('shop', 'web', { ready: 3, pods: 3, unresolved: 0 }));
  });

  test('a terminating endpoint counts as terminating; a finished pod leaves selector_pods', async () => {
    apply(
      slice('shop', 'web-abc', 'web', [
        { ip: '10.1.0.1', pod: 'web-1', ready: false, terminating: true },
        { ip: '10.1.0.2', pod: 'web-2' },
        { ip: '10.1.0.3', pod: 'web-3' },
      ]),
      pod('shop', 'web-1', { phase: 'Succeeded' }),
    );
    await expectLines(
      'shop',
      'web',
      expected('shop', 'web', { ready: 2, terminating: 1, pods: 2, unresolved: 0 }),
    );
  });

  test('scale to zero: every state 0, selector_pods 0, unresolved stays 0 with no pod to judge', async () => {
    for (const name of ['web-1', 'web-2', 'web-3']) api.store.remove('Pod', 'shop', name);
    apply(slice('shop', 'web-abc', 'web', []));
    await expectLines('shop', 'web', expected('shop', 'web', { pods: 0, unresolved: 0 }));
  });

  test('a slice split in two is summed; an endpoint listed in both is counted once', async () => {
    apply(
      service('shop', 'split'),
      slice('shop', 'split-1', 'split', [
        { ip: '10.2.0.1', pod: 's1' },
        { ip: '10.2.0.2', pod: 's2' },
      ]),
      slice('shop', 'split-2', 'split', [
        { ip: '10.2.0.3', pod: 's3', ready: false },
        { ip: '10.2.0.4', pod: 's4' },
        { ip: '10.2.0.2', pod: 's2' },
      ]),
    );
    await expectLines(
      'shop',
      'split',
      expected('shop', 'split', { ready: 3, not_ready: 1, pods: 0, unresolved: 0 }),
    );
    api.store.remove('EndpointSlice', 'shop', 'split-2');
    await expectLines('shop', 'split', expected('shop', 'split', { ready: 2, pods: 0, unresolved: 0 }));
  });

  test('dual-stack: the same pod in the IPv4 and IPv6 slices is one endpoint', async () => {
    const labels = { app: 'dual' };
    apply(
      service('shop', 'dual', { clusterIP: '10.96.0.20' }),
      pod('shop', 'dual-a', { labels }),
      pod('shop', 'dual-b', { labels }),
      slice('shop', 'dual-v4', 'dual', [
        { ip: '10.3.0.1', pod: 'dual-a' },
        { ip: '10.3.0.2', pod: 'dual-b', ready: false },
      ]),
      slice(
        'shop',
        'dual-v6',
        'dual',
        [
          { ip: 'fd00::1', pod: 'dual-a' },
          { ip: 'fd00::2', pod: 'dual-b', ready: false },
        ],
        'IPv6',
      ),
    );
    await expectLines(
      'shop',
      'dual',
      expected('shop', 'dual', { ready: 1, not_ready: 1, pods: 2, unresolved: 0 }),
    );
  });

  test('dual-stack families that disagree: the more alarming state counts, and each family is counted', async () => {
    const labels = { app: 'split-stack' };
    apply(
      service('shop', 'split-stack', { clusterIP: '10.96.0.21' }),
      pod('shop', 'ss-a', { labels }),
      pod('shop', 'ss-b', { labels }),
      slice('shop', 'ss-v4', 'split-stack', [
        { ip: '10.3.1.1', pod: 'ss-a' },
        { ip: '10.3.1.2', pod: 'ss-b' },
      ]),
      // The IPv6 entry of ss-a is not ready: the pod counts as not_ready, not as ready.
      slice(
        'shop',
        'ss-v6',
        'split-stack',
        [
          { ip: 'fd00::11', pod: 'ss-a', ready: false },
          { ip: 'fd00::12', pod: 'ss-b' },
        ],
        'IPv6',
      ),
    );
    const id = 'namespace="shop",service="split-stack"';
    const family = (f: string, counts: Record<string, number>): string[] =>
      ['not_ready', 'ready', 'terminating', 'terminating_serving'].map(
        (state) =>
          `netprobe_service_endpoints_by_family{${id},family="${f}",state="${state}"} ${counts[state] ?? 0}`,
      );
    await expectLines(
      'shop',
      'split-stack',
      [
        ...expected('shop', 'split-stack', { ready: 1, not_ready: 1, pods: 2, unresolved: 0 }),
        ...family('IPv4', { ready: 2 }),
        ...family('IPv6', { ready: 1, not_ready: 1 }),
      ].sort(),
    );
    // Once the families agree again the per-family series go.
    apply(
      slice(
        'shop',
        'ss-v6',
        'split-stack',
        [
          { ip: 'fd00::11', pod: 'ss-a' },
          { ip: 'fd00::12', pod: 'ss-b' },
        ],
        'IPv6',
      ),
    );
    await expectLines(
      'shop',
      'split-stack',
      expected('shop', 'split-stack', { ready: 2, pods: 2, unresolved: 0 }),
    );
  });

  test('a terminating endpoint that still serves is terminating_serving', async () => {
    const labels = { app: 'draining' };
    apply(
      service('shop', 'draining', { clusterIP: '10.96.0.22' }),
      pod('shop', 'dr-a', { labels }),
      pod('shop', 'dr-b', { labels }),
      slice('shop', 'draining-v4', 'draining', [
        { ip: '10.3.2.1', pod: 'dr-a', ready: false, serving: true, terminating: true },
        { ip: '10.3.2.2', pod: 'dr-b', ready: false, serving: false, terminating: true },
      ]),
    );
    await expectLines(
      'shop',
      'draining',
      expected('shop', 'draining', { terminating_serving: 1, terminating: 1, pods: 2, unresolved: 0 }),
    );
  });

  test('the status page problems come from the exported summaries, and a deleted Service leaves them', async () => {
    apply(service('shop', 'lonely', { selector: { app: 'nobody' } }));
    await expectLines('shop', 'lonely', expected('shop', 'lonely', { pods: 0, unresolved: 0 }));
    expect(serviceProblems(inventory.summaries()).filter((p) => p.service === 'lonely')).toEqual([
      {
        namespace: 'shop',
        service: 'lonely',
        ready: 0,
        notReady: 0,
        terminating: 0,
        selectorPods: 0,
        problems: ['selector matches no pod'],
      },
    ]);
    api.store.remove('Service', 'shop', 'lonely');
    await waitFor('lonely gone', () => !inventory.summaries().some((s) => s.service === 'lonely'));
    expect(serviceProblems(inventory.summaries()).some((p) => p.service === 'lonely')).toBe(false);
  });

  test('selector edit: pods app=backend-v2, selector app=backend gives 0 pods and 0 endpoints', async () => {
    const labels = { app: 'backend-v2' };
    const eps = [
      { ip: '10.4.0.1', pod: 'be-1' },
      { ip: '10.4.0.2', pod: 'be-2' },
    ];
    apply(
      service('shop', 'backend', { selector: labels }),
      pod('shop', 'be-1', { labels }),
      pod('shop', 'be-2', { labels }),
      slice('shop', 'backend-1', 'backend', eps),
    );
    await expectLines('shop', 'backend', expected('shop', 'backend', { ready: 2, pods: 2, unresolved: 0 }));
    // The endpoints controller empties the slice once the selector matches nothing.
    apply(
      service('shop', 'backend', { selector: { app: 'backend' } }),
      slice('shop', 'backend-1', 'backend', []),
    );
    await expectLines('shop', 'backend', expected('shop', 'backend', { pods: 0, unresolved: 0 }));
    // Relabelling a pod is found through its new labels (and its old ones no longer count).
    apply(
      pod('shop', 'be-1', { labels: { app: 'backend' } }),
      pod('shop', 'be-2', { labels: { app: 'backend' } }),
    );
    await expectLines('shop', 'backend', expected('shop', 'backend', { pods: 2, unresolved: 0 }));
    // Relabelling a pod away is found through its old labels.
    apply(pod('shop', 'be-2', { labels }));
    await expectLines('shop', 'backend', expected('shop', 'backend', { pods: 1, unresolved: 0 }));
  });

  test('named targetPort: unresolved when no matching pod declares it with the same protocol', async () => {
    const labels = { app: 'named' };
    apply(
      service('infra', 'named', {
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { port: 53, targetPort: 'dns', protocol: 'UDP' },
          { name: 'metrics', port: 9090, targetPort: 9090 },
        ],
      }),
      pod('infra', 'named-1', {
        labels,
        ports: [
          { name: 'web', containerPort: 8080 },
          { name: 'dns', containerPort: 53 },
        ],
      }),
    );
    const id = 'namespace="infra",service="named"';
    const port53 = `netprobe_service_target_port_unresolved{${id},port="53"}`;
    await expectLines(
      'infra',
      'named',
      [...expected('infra', 'named', { pods: 1, unresolved: 1 }), `${port53} 1`].sort(),
    );
    apply(
      pod('infra', 'named-1', {
        labels,
        ports: [
          { name: 'http', containerPort: 8080 },
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
        ],
      }),
    );
    await expectLines(
      'infra',
      'named',
      [...expected('infra', 'named', { pods: 1, unresolved: 0 }), `${port53} 0`].sort(),
    );
  });

  test('selector-less and headless Services: no selector_pods series; endpoints deduplicated by address', async () => {
    apply(
      service('infra', 'manual', { selector: null, clusterIP: 'None' }),
      slice('infra', 'manual-1', 'manual', [{ ip: '192.0.2.1' }, { ip: '192.0.2.2', ready: false }]),
      slice('infra', 'manual-2', 'manual', [{ ip: '192.0.2.1' }]),
    );
    const info = 'type="ClusterIP",selector="false",headless="true"';
    await expectLines('infra', 'manual', expected('infra', 'manual', { ready: 1, not_ready: 1, info }));
  });

  test('ExternalName Services are excluded; turning one into ExternalName removes its series', async () => {
    apply(
      service('infra', 'ext', { type: 'ExternalName' }),
      service('infra', 'was-local', { selector: { app: 'nothing' } }),
    );
    await expectLines('infra', 'was-local', expected('infra', 'was-local', { pods: 0, unresolved: 0 }));
    expect(await lines('infra', 'ext')).toEqual([]);
    apply(service('infra', 'was-local', { type: 'ExternalName' }));
    await expectLines('infra', 'was-local', []);
  });

  test('a type change replaces the info series instead of adding one', async () => {
    apply(service('infra', 'typed', { selector: { app: 'typed' } }));
    await expectLines('infra', 'typed', expected('infra', 'typed', { pods: 0, unresolved: 0 }));
    apply(service('infra', 'typed', { selector: { app: 'typed' }, type: 'NodePort' }));
    const info = 'type="NodePort",selector="true",headless="false"';
    await expectLines('infra', 'typed', expected('infra', 'typed', { pods: 0, unresolved: 0, info }));
  });

  test('deleting a Service removes all its series', async () => {
    await expectLines(
      'shop',
      'dual',
      expected('shop', 'dual', { ready: 1, not_ready: 1, pods: 2, unresolved: 0 }),
    );
    api.store.remove('Service', 'shop', 'dual');
    await expectLines('shop', 'dual', []);
    // Its slices outlive it (the garbage collector removes them later); a pod change must not bring it back.
    apply(pod('shop', 'dual-a', { labels: { app: 'dual' }, phase: 'Failed' }));
    await expectLines('shop', 'split', expected('shop', 'split', { ready: 2, pods: 0, unresolved: 0 }));
    expect(await lines('shop', 'dual')).toEqual([]);
  });

  test('stop removes every series; start rebuilds them from the cache', async () => {
    inventory.stop();
    expect(seriesLines(await registry.metrics(), ...NAMES)).toEqual([]);
    inventory.start();
    await expectLines('shop', 'split', expected('shop', 'split', { ready: 2, pods: 0, unresolved: 0 }));
    await expectLines('shop', 'backend', expected('shop', 'backend', { pods: 1, unresolved: 0 }));
  });
});
