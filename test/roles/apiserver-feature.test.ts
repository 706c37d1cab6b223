import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { createApiserverFeature } from '../../src/roles/apiserver-feature.js';
import type { ClusterContext } from '../../src/roles/cluster.js';
import { createRuntime, type Runtime } from '../../src/roles/runtime.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

/** An API server stand-in for /readyz alone: answers 200 "ok" or 500 with the failed check. */
describe('API server /readyz probe', () => {
  let server: Server;
  let ready = true;
  let rt: Runtime;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/readyz') return void res.writeHead(404).end();
      if (ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      else
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('[-]etcd failed: reason withheld\nreadyz check failed\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    rt = createRuntime(loadConfig(undefined, {}, {}), 'cluster', silentLogger());
  });
  afterAll(async () => {
    await rt.scheduler.stop(1);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const lines = async (name: string): Promise<string[]> => seriesLines(await rt.registry.metrics(), name);

  test('ready, not ready, unreachable, then removed with its series', async () => {
    const ctx = { rt, kc, cache: undefined as never, replan: () => undefined } satisfies ClusterContext;
    const feature = createApiserverFeature(ctx, { intervalSeconds: 0.1, timeoutSeconds: 1 });
    feature.start();
    rt.scheduler.start();
    await waitFor('ready', async () =>
      (await lines('netprobe_kube_apiserver_ready')).includes('netprobe_kube_apiserver_ready 1'),
    );

    ready = false;
    await waitFor('not ready', async () =>
      (await lines('netprobe_kube_apiserver_ready')).includes('netprobe_kube_apiserver_ready 0'),
    );
    const notReady = (await lines('netprobe_kube_apiserver_probes_total')).find((l) =>
      l.includes('not_ready'),
    );
    expect(Number(notReady?.split(' ').pop())).toBeGreaterThan(0);
    expect(rt.history.checks().find((c) => c.prober === 'apiserver')).toMatchObject({
      ok: false,
      outcome: 'not_ready',
      detail: 'HTTP 500 readyz check failed',
    });

    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await waitFor('an error result', async () => {
      const error = (await lines('netprobe_kube_apiserver_probes_total')).find((l) => l.includes('"error"'));
      return Number(error?.split(' ').pop()) > 0;
    });

    await feature.stop();
    expect(await lines('netprobe_kube_apiserver_ready')).toEqual([]);
    expect(await lines('netprobe_kube_apiserver_probes_total')).toEqual([]);
    expect(rt.history.checks().filter((c) => c.prober === 'apiserver')).toEqual([]);
    server.listen(0, '127.0.0.1');
  });
});
