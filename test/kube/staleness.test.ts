// During an API outage the caches say how old they may be: netprobe_kube_cache_age_seconds grows,
// /status and the page say stale, and all of it clears when the watch is back.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import {
  cacheStaleness,
  createClusterCache,
  startCache,
  STALE_AFTER_SECONDS,
  stopCache,
  type ClusterCache,
} from '../../src/kube/cache.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/catalog.js';
import { renderStatusPage } from '../../src/server/status-page.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

let api: FakeApi;
let cache: ClusterCache;
let metrics: Metrics;
const registry = new Registry();

beforeAll(async () => {
  api = await startFakeApi({ bookmarkIntervalMs: 200 });
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  metrics = createMetrics(registry, { defaultMetrics: false });
  cache = createClusterCache({ kc, logger: silentLogger(), metrics });
  startCache(cache);
  await cache.pods.waitForSync();
});

afterAll(async () => {
  stopCache(cache);
  await api.close();
});

const podAge = async (): Promise<number> => {
  const line = seriesLines(await registry.metrics(), 'netprobe_kube_cache_age_seconds').find((l) =>
    l.includes('resource="pods"'),
  );
  return Number(line?.split(' ').pop() ?? 'NaN');
};

test('the pods cache goes stale during an outage of its watch and fresh again after it', async () => {
  expect(await podAge()).toBe(0);
  expect(cacheStaleness(metrics)).toEqual({ stale: false, resources: [] });
  // Enough failed requests for the backoff (0.5, 1, 2, 4, 4, 4 s) to outlast the stale threshold.
  api.faults.failNext(7, 503, (r) => r.resource === 'pods');
  api.faults.dropWatches({ abrupt: true, match: (r) => r.resource === 'pods' });
  await waitFor('pods stale', () => cacheStaleness(metrics).stale, 30_000, 100);
  const during = cacheStaleness(metrics);
  expect(during.resources.map((r) => r.resource)).toEqual(['pods']);
  expect(during.resources[0]?.seconds).toBeGreaterThanOrEqual(STALE_AFTER_SECONDS);
  expect(await podAge()).toBeGreaterThanOrEqual(STALE_AFTER_SECONDS);
  // The other caches stayed connected.
  const services = seriesLines(await registry.metrics(), 'netprobe_kube_cache_age_seconds').find((l) =>
    l.includes('resource="services"'),
  );
  expect(services).toMatch(/ 0$/);

  const page = renderStatusPage({
    role: 'cluster',
    version: 'test',
    now: Date.now(),
    readiness: { ready: true, reason: '' },
    checks: [],
    failures: [],
    stale: during.resources,
  });
  expect(page).toContain('id="stale"');
  expect(page).toMatch(/The Kubernetes API has been unreachable for \d+ s: pods may be out of date/);

  await waitFor(
    'pods fresh',
    async () => !cacheStaleness(metrics).stale && (await podAge()) === 0,
    30_000,
    100,
  );
  const fresh = renderStatusPage({
    role: 'cluster',
    version: 'test',
    now: Date.now(),
    readiness: { ready: true, reason: '' },
    checks: [],
    failures: [],
    stale: cacheStaleness(metrics).resources,
  });
  expect(fresh).not.toContain('id="stale"');
}, 60_000);
