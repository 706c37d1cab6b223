import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics/catalog.js';
import { startPrometheus, type PrometheusHandle } from '../helpers/prometheus.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('test helper: a real Prometheus scraping a prom-client server', () => {
  let server: Server;
  let prom: PrometheusHandle;

  beforeAll(async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    metrics.agent.buildInfo.set({ version: 'test', role: 'cluster' }, 1);
    metrics.service.endpoints.set({ namespace: 'shop', service: 'cart', state: 'ready' }, 3);
    server = createServer((_req, res) => {
      void registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    prom = await startPrometheus({
      // The pod's namespace as a target label, as a naive scrape config would add it.
      scrape: [
        { job: 'netprobe-cluster', targets: [`127.0.0.1:${port}`], labels: { namespace: 'netprobe' } },
      ],
      ruleFiles: [join(root, 'alerts/netprobe-rules.yaml')],
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('scrapes the target', async () => {
    const up = await prom.waitFor('up{job="netprobe-cluster"}', (s) => s.length === 1);
    expect(up[0]?.value).toBe(1);
    const info = await prom.waitFor('netprobe_build_info', (s) => s.length === 1);
    expect(info[0]?.metric).toMatchObject({ version: 'test', role: 'cluster', job: 'netprobe-cluster' });
  });

  it("keeps netprobe's own namespace label over the target's (honor_labels)", async () => {
    const eps = await prom.waitFor('netprobe_service_endpoints', (s) => s.length === 1);
    expect(eps[0]?.metric.namespace).toBe('shop');
    expect(eps[0]?.value).toBe(3);
  });

  it('loads the generated rule groups', async () => {
    const data = (await prom.api('/api/v1/rules')) as { groups: { name: string }[] };
    expect(data.groups.map((g) => g.name).sort()).toEqual([
      'netprobe-agent',
      'netprobe-dns',
      'netprobe-endpoints',
      'netprobe-ingress',
      'netprobe-paths',
    ]);
  });

  it('rejects a bad query with its error', async () => {
    await expect(prom.query('sum(')).rejects.toThrow(/parse error/);
  });
});
