// Leader election on a coordination.k8s.io Lease against the fake API server over HTTP: one leader
// at a time, takeover only after the lease expires (or at once when released), and a leader that
// loses the API steps down before a standby may take over.
import net from 'node:net';
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { LeaderElector, microTime, parseLease, type LeaseTiming } from '../../src/kube/lease.js';
import { silentLogger } from '../../src/log/logger.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { waitFor } from '../helpers/wait.js';

const TIMING: LeaseTiming = { leaseDuration: 2, renewDeadline: 1.2, retryPeriod: 0.2 };
const NS = 'netprobe';

let api: FakeApi;
const electors: LeaderElector[] = [];
const proxies: net.Server[] = [];

beforeAll(async () => {
  api = await startFakeApi();
  api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});

afterAll(async () => {
  await api.close();
});

afterEach(async () => {
  for (const e of electors.splice(0)) await e.stop(false);
  for (const p of proxies.splice(0)) p.close();
  if (api.store.get('Lease', NS, 'lead') !== undefined) api.store.remove('Lease', NS, 'lead');
});

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig().replace(api.url, url));
  return kc;
}

/** A TCP proxy to the fake API that can cut every connection, as a network partition would. */
async function partitionableUrl(): Promise<{ url: string; cut: () => void }> {
  const target = new URL(api.url);
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
  };
}

interface Replica {
  elector: LeaderElector;
  log: string[];
  startedAt: number | undefined;
  stoppedAt: number | undefined;
}

function replica(identity: string, kc: KubeConfig = kubeConfigFor(api.url)): Replica {
  const r: Replica = {
    elector: undefined as unknown as LeaderElector,
    log: [],
    startedAt: undefined,
    stoppedAt: undefined,
  };
  r.elector = new LeaderElector(
    kc,
    { namespace: NS, name: 'lead', identity },
    TIMING,
    {
      onStartedLeading: () => {
        r.startedAt = Date.now();
        r.log.push('started');
      },
      onStoppedLeading: () => {
        r.stoppedAt = Date.now();
        r.log.push('stopped');
      },
    },
    { logger: silentLogger() },
  );
  electors.push(r.elector);
  return r;
}

/** Replica a leading and b a standby that has seen it (a may talk to the API through kc). */
async function leaderAndStandby(kc?: KubeConfig): Promise<{ a: Replica; b: Replica }> {
  const a = replica('a', kc);
  a.elector.start();
  await waitFor('a leads', () => a.elector.isLeader);
  const b = replica('b');
  b.elector.start();
  await waitFor('b has seen the leader', () => b.elector.leader === 'a');
  return { a, b };
}

function lease(): ReturnType<typeof parseLease> {
  return parseLease(api.store.get('Lease', NS, 'lead'));
}

test('the first replica creates the lease and leads; the second stays a standby while it renews', async () => {
  const { a, b } = await leaderAndStandby();
  const renewedBefore = lease()?.renewTime;
  // Longer than the lease duration: a live leader keeps renewing, so b must never take over.
  await new Promise((r) => setTimeout(r, TIMING.leaseDuration * 1000 * 1.5));
  expect(b.elector.isLeader).toBe(false);
  expect(b.log).toEqual([]);
  expect(a.elector.isLeader).toBe(true);
  const now = lease();
  expect(now).toMatchObject({ holder: 'a', leaseDurationSeconds: TIMING.leaseDuration, transitions: 0 });
  expect(now?.renewTime).not.toBe(renewedBefore);
});

test('a leader that dies without releasing is replaced only after the lease duration', async () => {
  const { a, b } = await leaderAndStandby();
  // SIGKILL: a stops renewing and never releases.
  const killedAt = Date.now();
  await a.elector.stop(false);
  await waitFor('b takes over', () => b.elector.isLeader, 10_000);
  expect((b.startedAt ?? 0) - killedAt).toBeGreaterThanOrEqual(
    TIMING.leaseDuration * 1000 - TIMING.retryPeriod * 1000 * 1.2,
  );
  expect(lease()).toMatchObject({ holder: 'b', transitions: 1 });
  expect(b.elector.history.map((e) => e.holder)).toEqual(['a', 'b']);
});

test('a leader that stops cleanly releases the lease and the standby takes over at once', async () => {
  const { a, b } = await leaderAndStandby();
  const stoppedAt = Date.now();
  await a.elector.stop(true);
  expect(a.log).toEqual(['started']);
  await waitFor('b takes over', () => b.elector.isLeader, 10_000);
  // Well before the 2 s lease would have expired: the release hands over.
  expect((b.startedAt ?? Infinity) - stoppedAt).toBeLessThan(TIMING.leaseDuration * 1000);
});

test('a leader cut off from the API steps down before a standby can take over', async () => {
  const link = await partitionableUrl();
  const { a, b } = await leaderAndStandby(kubeConfigFor(link.url));
  link.cut();
  await waitFor('a steps down', () => a.log.includes('stopped'), 10_000);
  await waitFor('b takes over', () => b.elector.isLeader, 10_000);
  // Never two leaders: a gave up (renewDeadline) before b could acquire (leaseDuration).
  expect(a.stoppedAt ?? Infinity).toBeLessThan(b.startedAt ?? 0);
  expect(a.elector.isLeader).toBe(false);
});

test('two replicas racing for a free lease: exactly one wins (writes carry the resourceVersion)', async () => {
  const rs = ['a', 'b', 'c'].map((id) => replica(id));
  for (const r of rs) r.elector.start();
  await waitFor('someone leads', () => rs.some((r) => r.elector.isLeader));
  await new Promise((r) => setTimeout(r, 1000));
  expect(rs.filter((r) => r.elector.isLeader)).toHaveLength(1);
  expect(rs.flatMap((r) => r.log).filter((e) => e === 'started')).toHaveLength(1);
});

test('microTime writes metav1.MicroTime (RFC 3339, microseconds)', () => {
  expect(microTime(Date.UTC(2026, 11, 2, 19, 30, 1, 234))).toBe('2026-12-02T19:30:01.234000Z');
});

test('parseLease reads a Lease without a spec as free', () => {
  expect(parseLease({ metadata: { name: 'x', resourceVersion: '7' } })).toMatchObject({
    holder: '',
    resourceVersion: '7',
  });
  expect(parseLease('garbage')).toBeUndefined();
});
