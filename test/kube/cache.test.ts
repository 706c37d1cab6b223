import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics/catalog.js';
import {
  createClusterCache,
  createPlanInformer,
  startCache,
  stopCache,
  type ClusterCache,
} from '../../src/kube/cache.js';
import { silentLogger } from '../../src/log/logger.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

function pod(name: string, ready: boolean, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'apps', labels: { app: 'web' }, ...extra },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
    status: {
      phase: 'Running',
      podIP: '10.1.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

describe('cluster cache against the fake API', () => {
  let api: FakeApi;
  let registry: Registry;
  let cache: ClusterCache;
  let kc: KubeConfig;

  beforeAll(async () => {
    api = await startFakeApi({ bookmarkIntervalMs: 200 });
    for (let i = 0; i < 7; i++) api.store.apply(pod(`p${i}`, true));
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    cache = createClusterCache({ kc, logger: silentLogger(), metrics, pageSize: 3 });
    startCache(cache);
    await cache.pods.waitForSync();
  });
  afterAll(async () => {
    stopCache(cache);
    await api.close();
  });

  test('syncs compact projections, not whole objects', () => {
    const p = cache.pods.get('p0', 'apps');
    expect(p).toEqual({
      metadata: expect.objectContaining({ name: 'p0', namespace: 'apps', labels: { app: 'web' } }),
      nodeName: 'node-a',
      phase: 'Running',
      ready: true,
      terminating: false,
      ips: ['10.1.0.1'],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      hostNetwork: false,
      unreadyContainers: [],
    });
    expect(p).not.toHaveProperty('spec');
    expect(cache.pods.list()).toHaveLength(7);
  });

  test('lists in pages (every object arrives with a page size smaller than the list)', () => {
    // 7 pods in pages of 3: three list requests, the later ones with a continue token.
    const listCalls = api.requests.filter((r) => r.resource === 'pods' && r.verb === 'list');
    expect(listCalls.length).toBe(3);
    expect(
      cache.pods
        .list()
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  test('exports watch health and object counts', async () => {
    const text = await registry.metrics();
    expect(seriesLines(text, 'netprobe_kube_watch_up')).toContain(
      'netprobe_kube_watch_up{resource="pods"} 1',
    );
    expect(seriesLines(text, 'netprobe_kube_cache_objects')).toContain(
      'netprobe_kube_cache_objects{resource="pods"} 7',
    );
  });

  test('sees changes made in the API', async () => {
    api.store.apply(pod('p0', false));
    await waitFor('p0 not ready', () => cache.pods.get('p0', 'apps')?.ready === false);
    api.store.remove('Pod', 'apps', 'p6');
    await waitFor('p6 gone', () => cache.pods.get('p6', 'apps') === undefined);
    expect(await registry.metrics()).toContain('netprobe_kube_cache_objects{resource="pods"} 6');
  });

  test('survives objects with malformed fields, projecting them with safe defaults', async () => {
    api.store.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'weird', namespace: 'apps' },
      spec: 'not-an-object',
      status: 7,
    });
    await waitFor('weird pod cached', () => cache.pods.get('weird', 'apps'));
    expect(cache.pods.get('weird', 'apps')).toMatchObject({ phase: 'Unknown', ips: [], ports: [] });
  });

  test('a dropped watch is restarted (counted) and the cache recovers', async () => {
    api.faults.failNext(2, 500, (r) => r.resource === 'pods');
    api.faults.dropWatches({ abrupt: true, match: (r) => r.resource === 'pods' });
    await waitFor('restart counted', async () =>
      (await registry.metrics()).match(/netprobe_kube_watch_restarts_total\{resource="pods"\} [1-9]/),
    );
    api.store.apply(pod('p9', true));
    await waitFor('p9 seen after restart', () => cache.pods.get('p9', 'apps'), 20_000);
    await waitFor('watch up again', async () =>
      (await registry.metrics()).includes('netprobe_kube_watch_up{resource="pods"} 1'),
    );
  });

  test('after a 410 Gone the informer relists and ends with the right contents', async () => {
    api.faults.expireHistory();
    api.store.remove('Pod', 'apps', 'p1');
    api.faults.dropWatches({ abrupt: false, match: (r) => r.resource === 'pods' });
    api.store.apply(pod('p10', true));
    await waitFor('relisted', () => cache.pods.get('p10', 'apps') && !cache.pods.get('p1', 'apps'), 20_000);
  });

  test('the plan informer watches exactly one ConfigMap by name', async () => {
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
      data: { a: '1' },
    });
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'other', namespace: 'netprobe' },
      data: { b: '2' },
    });
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const inf = createPlanInformer({ kc, logger: silentLogger(), metrics }, 'netprobe', 'netprobe-plan');
    inf.start();
    await inf.waitForSync();
    expect(inf.list().map((c) => c.metadata.name)).toEqual(['netprobe-plan']);
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
      data: { a: '2' },
    });
    await waitFor('update seen', () => inf.get('netprobe-plan', 'netprobe')?.data.a === '2');
    inf.stop();
  });
});
