import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Plan, PlanPath } from '../../src/plan/schema.js';
import { createPathFeature } from '../../src/roles/path-feature.js';
import { createRuntime, type Runtime } from '../../src/roles/runtime.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

function plan(port: number, expected: PlanPath['expected'], generation: number): Plan {
  return {
    version: 1,
    generation,
    generatedAt: '2026-03-01T12:00:00.000Z',
    clusterDomain: 'cluster.local',
    dns: { servers: [] },
    agents: {
      port: 9808,
      sentinelPort: 0,
      neighbourExpected: 'unknown',
      sentinelExpected: 'unknown',
      ring: { k: 0, vnodes: 1 },
      list: [],
    },
    paths: [
      {
        name: 'web-to-db',
        kind: 'declared',
        address: '127.0.0.1',
        port,
        protocol: 'TCP',
        check: 'connect',
        expected,
        decidedBy: 'shop/allow-db',
      },
    ],
  };
}

const openCount = async (rt: Runtime): Promise<number> => {
  const line = seriesLines(await rt.registry.metrics(), 'netprobe_path_probes_total').find((l) =>
    l.includes('result="open"'),
  );
  return Number(line?.split(' ').pop() ?? 'NaN');
};

describe('path feature series', () => {
  let server: Server;
  let port = 0;
  let rt: Runtime;

  beforeAll(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    const config = loadConfig(undefined, {}, {});
    rt = createRuntime(
      {
        ...config,
        node: { ...config.node, name: 'n1', sentinelPort: 0, paths: { interval: 1, timeout: 1 } },
      },
      'node',
      silentLogger(),
    );
  });

  afterAll(async () => {
    await rt.scheduler.stop(1);
    await new Promise((resolve) => server.close(resolve));
  });

  test('flipping the expectation keeps the probe counters and moves only the expectation gauge', async () => {
    const feature = await createPathFeature(rt);
    rt.scheduler.start();
    feature.applyPlan(plan(port, 'allow', 1));
    await waitFor('a first open probe', async () => (await openCount(rt)) >= 1);
    const before = await openCount(rt);

    feature.applyPlan(plan(port, 'deny', 2));
    const text = await rt.registry.metrics();
    // The counter was not reset: its series is the same one, with the same or a higher value.
    expect(await openCount(rt)).toBeGreaterThanOrEqual(before);
    expect(seriesLines(text, 'netprobe_path_expected')).toEqual([
      'netprobe_path_expected{node="n1",path="web-to-db",kind="declared",family="ipv4",expected="deny"} 1',
    ]);
    expect(seriesLines(text, 'netprobe_path_reachable')).toEqual([
      'netprobe_path_reachable{node="n1",path="web-to-db",kind="declared",family="ipv4"} 1',
    ]);
    await feature.stop();
  });
});

describe('neighbour listener', () => {
  test('the node agent answers neighbour probes on node.neighbourPort, not only on its metrics port', async () => {
    // A free port: bind and release.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const free = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => probe.close(resolve));
    const config = loadConfig(undefined, {}, {});
    const rt = createRuntime(
      {
        ...config,
        node: {
          ...config.node,
          name: 'n1',
          sentinelPort: 0,
          sentinelAddress: '127.0.0.1',
          neighbourPort: free,
        },
      },
      'node',
      silentLogger(),
    );
    const feature = await createPathFeature(rt);
    try {
      const res = await fetch(`http://127.0.0.1:${free}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await feature.stop();
      await rt.scheduler.stop(1);
    }
    // Stopped with the feature.
    await expect(fetch(`http://127.0.0.1:${free}/healthz`)).rejects.toThrow();
  });
});

describe('dual-stack paths', () => {
  test('a dual-stack neighbour is probed on each pod IP, with one series per family', async () => {
    // A listener on every address (the default): the neighbour answers on 127.0.0.1 and on ::1.
    const listener = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => listener.listen(0, resolve));
    const bound = listener.address();
    const port = typeof bound === 'object' && bound ? bound.port : 0;
    const config = loadConfig(undefined, {}, {});
    const rt = createRuntime(
      {
        ...config,
        node: {
          ...config.node,
          name: 'n1',
          sentinelPort: 0,
          neighbourPort: 0,
          paths: { interval: 1, timeout: 1 },
        },
      },
      'node',
      silentLogger(),
    );
    const feature = await createPathFeature(rt);
    rt.scheduler.start();
    const p = plan(port, 'allow', 1);
    p.paths = [];
    p.agents = {
      ...p.agents,
      port,
      ring: { k: 1, vnodes: 1 },
      list: [
        { node: 'n1', address: '127.0.0.2' },
        { node: 'n2', address: '127.0.0.1', addresses: ['127.0.0.1', '::1'] },
      ],
    };
    feature.applyPlan(p);
    const reachable = async (): Promise<string[]> =>
      seriesLines(await rt.registry.metrics(), 'netprobe_path_reachable');
    await waitFor('both families probed', async () => (await reachable()).length === 2);
    expect(await reachable()).toEqual([
      'netprobe_path_reachable{node="n1",path="neighbour-n2",kind="neighbour",family="ipv4"} 1',
      'netprobe_path_reachable{node="n1",path="neighbour-n2",kind="neighbour",family="ipv6"} 1',
    ]);
    expect(rt.history.checks().map((h) => h.target)).toEqual(
      expect.arrayContaining(['neighbour-n2', 'neighbour-n2 [ipv6]']),
    );
    await feature.stop();
    await rt.scheduler.stop(1);
    await new Promise((resolve) => listener.close(resolve));
  });
});
