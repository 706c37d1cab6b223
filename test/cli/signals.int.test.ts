import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { waitFor } from '../helpers/wait.js';
import { get, listenPort, startCli, stopWith, type CliProcess } from './process.js';

// Signals reach the real CLI in a child process: one during start-up, and a second one during a
// stop that cannot finish (the API holds the Lease release).

const tmp = mkdtempSync(join(tmpdir(), 'netprobe-signals-'));
const started: CliProcess[] = [];
let api: FakeApi;
let kubeconfig: string;
let config: string;

beforeAll(async () => {
  api = await startFakeApi();
  api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
  kubeconfig = join(tmp, 'kubeconfig.yaml');
  await api.writeKubeconfig(kubeconfig);
  config = join(tmp, 'cluster.yaml');
  writeFileSync(
    config,
    ['shutdownGrace: 2s', 'logLevel: debug', 'cluster:', '  ingress:', '    enabled: false', ''].join('\n'),
  );
});
afterAll(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
});

function startCluster(): CliProcess {
  const p = startCli(['cluster', '--config', config, '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0']);
  started.push(p);
  return p;
}

test('SIGTERM during start-up: the role starts, then stops cleanly with exit 0', async () => {
  const p = startCluster();
  // "starting" is logged once the handlers are in, before the role is loaded and started.
  await waitFor(
    'the "starting" line',
    () => p.child.exitCode !== null || p.stderr().includes('"msg":"starting"'),
    30_000,
    5,
  );
  // The signal goes in before the role has started serving.
  const startedBefore = p.stderr().includes('"msg":"listening"');
  const result = await stopWith(p, 'SIGTERM', 20_000);
  expect({ startedBefore, ...result }).toEqual({ startedBefore: false, code: 0, signal: null });
  expect(p.stderr()).toMatch(/"msg":"stopped"/);
}, 40_000);

test('a second SIGTERM during a stuck stop exits at once with 143 and says so', async () => {
  const p = startCluster();
  const port = await listenPort(p);
  await waitFor('cluster /readyz 200', async () => (await get(port, '/readyz')).status === 200, 30_000);
  // Leading, so the stop has a Lease to release (the first test's process released it).
  await waitFor(
    'this replica leading',
    async () =>
      (JSON.parse((await get(port, '/status')).body) as { leader: { leading: boolean } }).leader.leading,
    30_000,
  );
  // The clean stop releases the Lease; the API now holds that request far beyond the grace.
  api.faults.delay(120_000, (r) => r.resource === 'leases');
  try {
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(p.child.exitCode).toBeNull();
    const result = await stopWith(p, 'SIGTERM', 10_000);
    expect(result).toEqual({ code: 143, signal: null });
    expect(p.stderr()).toMatch(
      /"level":"warn","msg":"second signal: exiting without a clean stop".*"signal":"SIGTERM"/,
    );
  } finally {
    api.faults.reset();
  }
}, 60_000);
