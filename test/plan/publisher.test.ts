import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/catalog.js';
import { PlanPublisher, type PublisherOptions } from '../../src/plan/publisher.js';
import { parsePlan } from '../../src/plan/reader.js';
import { PLAN_KEY, PLAN_VERSION, type Plan } from '../../src/plan/schema.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines } from '../helpers/wait.js';

const NS = 'netprobe';
const NAME = 'netprobe-plan';

function plan(servers: string[]): Plan {
  return {
    version: PLAN_VERSION,
    generation: 0,
    generatedAt: '',
    clusterDomain: 'cluster.local',
    dns: {
      servers: servers.map((name, i) => ({ name, via: 'replica', address: `10.0.0.${i + 1}`, port: 53 })),
    },
    agents: {
      port: 9808,
      sentinelPort: 9809,
      neighbourExpected: 'unknown',
      sentinelExpected: 'unknown',
      ring: { k: 5, vnodes: 1 },
      list: [],
    },
    paths: [],
  };
}

describe('PlanPublisher against the fake API', () => {
  let api: FakeApi;
  let kc: KubeConfig;
  let registry: Registry;
  let metrics: Metrics;
  let clock = 1_000_000;

  const publisher = (opts: PublisherOptions = {}): PlanPublisher =>
    new PlanPublisher(
      kc,
      { namespace: NS, name: NAME },
      { logger: silentLogger(), metrics },
      { now: () => clock, ...opts },
    );
  /** ConfigMap writes (create, update, patch) since the last call. */
  const writes = (): string[] => {
    const out = api.requests
      .filter((r) => r.resource === 'configmaps' && ['create', 'update', 'patch'].includes(r.verb))
      .map((r) => `${r.verb} ${r.status}`);
    api.requests.length = 0;
    return out;
  };
  const stored = (): Plan | undefined => {
    const text = (api.store.get('ConfigMap', NS, NAME)?.data as Record<string, string> | undefined)?.[
      PLAN_KEY
    ];
    if (text === undefined) return undefined;
    const parsed = parsePlan(text, 'stored');
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.plan;
  };

  beforeEach(async () => {
    api = await startFakeApi();
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    registry = new Registry();
    metrics = createMetrics(registry, { defaultMetrics: false });
  });
  afterEach(async () => {
    await api.close();
  });

  test('creates the ConfigMap with the plan, generation 1, and labels', async () => {
    const p = publisher();
    expect(await p.publish(plan(['coredns-a']))).toBe('written');
    expect(writes()).toEqual(['create 201']);
    const cm = api.store.get('ConfigMap', NS, NAME);
    expect(cm?.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'netprobe',
      'app.kubernetes.io/component': 'plan',
    });
    expect(stored()).toMatchObject({ generation: 1, dns: { servers: [{ name: 'coredns-a' }] } });
    expect(Date.parse(stored()?.generatedAt ?? '')).not.toBeNaN();
    expect(p.current?.generation).toBe(1);
  });

  test('writes only when the content changes; each write bumps the generation', async () => {
    const p = publisher();
    await p.publish(plan(['coredns-a']));
    writes();
    const before = api.store.get('ConfigMap', NS, NAME)?.metadata.resourceVersion;

    for (let i = 0; i < 3; i++) expect(await p.publish(plan(['coredns-a']))).toBe('unchanged');
    expect(writes()).toEqual([]);
    expect(api.store.get('ConfigMap', NS, NAME)?.metadata.resourceVersion).toBe(before);

    expect(await p.publish(plan(['coredns-a', 'coredns-b']))).toBe('written');
    expect(writes()).toEqual(['update 200']);
    expect(stored()).toMatchObject({ generation: 2 });
    expect(await p.publish(plan(['coredns-b']))).toBe('written');
    expect(stored()).toMatchObject({ generation: 3, dns: { servers: [{ name: 'coredns-b' }] } });

    expect(
      seriesLines(
        await registry.metrics(),
        'netprobe_plan_publishes_total',
        'netprobe_plan_published_generation',
      ),
    ).toEqual([
      `netprobe_plan_published_generation{namespace="${NS}"} 3`,
      'netprobe_plan_publishes_total{result="unchanged"} 3',
      'netprobe_plan_publishes_total{result="written"} 3',
    ]);
  });

  test('a restarted publisher continues the generation and does not rewrite an unchanged plan', async () => {
    const first = publisher();
    await first.publish(plan(['coredns-a']));
    await first.publish(plan(['coredns-a', 'coredns-b']));
    writes();

    const restarted = publisher();
    expect(await restarted.publish(plan(['coredns-a', 'coredns-b']))).toBe('unchanged');
    expect(writes()).toEqual([]);
    expect(restarted.current?.generation).toBe(2);

    expect(await restarted.publish(plan(['coredns-c']))).toBe('written');
    expect(writes()).toEqual(['update 200']);
    expect(stored()).toMatchObject({ generation: 3 });
  });

  test('a ConfigMap deleted or edited by hand is repaired by a later publish of the same plan', async () => {
    const p = publisher();
    await p.publish(plan(['coredns-a']));
    api.store.remove('ConfigMap', NS, NAME);
    writes();
    // Right away the publisher trusts what it wrote (no API read per cache event) ...
    clock += 1_000;
    expect(await p.publish(plan(['coredns-a']))).toBe('unchanged');
    expect(writes()).toEqual([]);
    // ... and checks the cluster again once verifyAfterMs (default 30 s) has passed: the cluster
    // role's periodic resync (every 60 s) then repairs it.
    clock += 30_000;
    expect(await p.publish(plan(['coredns-a']))).toBe('written');
    expect(writes()).toEqual(['create 201']);
    expect(stored()).toMatchObject({ generation: 2, dns: { servers: [{ name: 'coredns-a' }] } });

    const cm = api.store.get('ConfigMap', NS, NAME);
    api.store.apply({ ...cm, data: { [PLAN_KEY]: 'edited by hand' } });
    clock += 30_000;
    expect(await p.publish(plan(['coredns-a']))).toBe('written');
    expect(stored()).toMatchObject({ generation: 3 });
  });

  test('an API error is reported and the next publish retries', async () => {
    const p = publisher();
    api.faults.failNext(1, 500, (r) => r.resource === 'configmaps');
    expect(await p.publish(plan(['coredns-a']))).toBe('error');
    expect(api.store.get('ConfigMap', NS, NAME)).toBeUndefined();
    expect(await p.publish(plan(['coredns-a']))).toBe('written');
    expect(stored()).toMatchObject({ generation: 1 });
    expect(seriesLines(await registry.metrics(), 'netprobe_plan_publishes_total')).toContain(
      'netprobe_plan_publishes_total{result="error"} 1',
    );
  });

  test('a conflicting write (someone else updated it meanwhile) is an error, then converges', async () => {
    const p = publisher();
    await p.publish(plan(['coredns-a']));
    writes();
    // Another writer changes the object between our read and our write: the fault hook runs when
    // the PUT arrives, before the fake API serves it.
    let touched = false;
    api.faults.delay(1, (r) => {
      if (r.resource === 'configmaps' && r.verb === 'update' && !touched) {
        touched = true;
        const cm = api.store.get('ConfigMap', NS, NAME);
        api.store.apply({ ...cm, metadata: { ...cm?.metadata, annotations: { touched: 'yes' } } });
      }
      return false;
    });
    const racing = p.publish(plan(['coredns-b']));
    expect(await racing).toBe('error');
    expect(writes()).toEqual(['update 409']);
    api.faults.reset();
    expect(await p.publish(plan(['coredns-b']))).toBe('written');
    expect(stored()).toMatchObject({ generation: 2, dns: { servers: [{ name: 'coredns-b' }] } });
  });
});
