import { KubeConfig } from '@kubernetes/client-node';
import { RestartingInformer } from '../../src/kube/informer.js';
import { projectPod } from '../../src/kube/projections.js';
import { createLogger } from '../../src/log/logger.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { waitFor } from '../helpers/wait.js';

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'apps' },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: '10.1.0.1' },
  };
}

describe('informer recovery after an API outage (default backoff)', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi({ bookmarkIntervalMs: 200 });
    api.store.apply(pod('before'));
  });
  afterAll(async () => {
    await api.close();
  });

  test('converges within the backoff cap of the API returning, logging once per state change', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    const lines: Array<{ level: string; msg: string; resource?: string }> = [];
    const logger = createLogger('info', {}, (l) => lines.push(JSON.parse(l) as (typeof lines)[number]));
    const inf = new RestartingInformer(
      kc,
      { resource: 'pods', path: '/api/v1/pods', project: projectPod },
      { logger },
    );
    inf.start();
    try {
      await inf.waitForSync();
      const podRequests = () => api.requests.filter((r) => r.resource === 'pods');
      const failed = () => podRequests().filter((r) => r.status === 503).length;
      // Outage: the watch is cut and the next six requests for pods fail. After six failures (waits of
      // 0.5+1+2+4+8 s) the old 30 s cap left the informer sleeping 16 s (±20 %) after the API was back.
      const outage = 6;
      api.faults.failNext(outage, 503, (r) => r.resource === 'pods');
      api.faults.dropWatches({ abrupt: true, match: (r) => r.resource === 'pods' });
      api.store.apply(pod('during'));
      await waitFor('outage over', () => failed() >= outage, 40_000, 10);
      const back = Date.now();
      await waitFor('cache converged', () => inf.get('during', 'apps'), 15_000, 10);
      const convergedMs = Date.now() - back;
      // Cap 4 s with +20 % jitter, plus slack for a loaded machine; the old code needed >= 12.8 s.
      expect(convergedMs).toBeLessThan(9_000);
      if (process.env.NETPROBE_REPORT)
        process.stdout.write(`converged ${convergedMs} ms after the API returned\n`);
      const mine = lines.filter((l) => l.resource === 'pods' && l.level !== 'debug');
      expect(mine.map((l) => `${l.level} ${l.msg}`)).toEqual([
        'warn watch failed; restarting with backoff until it recovers',
        'info watch recovered',
      ]);
    } finally {
      inf.stop();
    }
  }, 70_000);
});
