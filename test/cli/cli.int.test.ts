import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigYaml } from '../../sandbox/fake-api/kubeconfig.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { PLAN_VERSION, type PlanInput } from '../../src/plan/schema.js';
import { waitFor } from '../helpers/wait.js';
import {
  freePort,
  get,
  listenPort,
  portClosed,
  REPO_ROOT,
  runCli,
  startCli,
  stopWith,
  type CliProcess,
} from './process.js';

// The real CLI in a child process (node --import tsx src/cli.ts), so argument parsing, exit codes
// and signal handling are those a user gets.

const tmp = mkdtempSync(join(tmpdir(), 'netprobe-cli-'));
// Roles a failed test left running are killed at the end.
const started: CliProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

// Both roles stop within shutdownGrace (2 s here); the bound below adds slack for a loaded machine.
const GRACE_S = 2;
const EXIT_BOUND_MS = GRACE_S * 1000 + 15_000;

/** A config for test runs: loopback only, no sentinel, no resolv.conf nameservers (nothing off-box). */
function writeConfig(name: string, extra = ''): string {
  const resolv = join(tmp, 'resolv.conf');
  writeFileSync(resolv, '# no nameservers: the node role probes only the plan servers\n');
  const file = join(tmp, name);
  writeFileSync(
    file,
    [
      `shutdownGrace: ${GRACE_S}s`,
      'logLevel: info',
      'node:',
      '  name: cli-test-node',
      '  sentinelPort: 0',
      '  dns:',
      `    resolvConf: ${resolv}`,
      'cluster:',
      '  ingress:',
      '    enabled: false',
      extra,
    ].join('\n'),
  );
  return file;
}

/** Starts a role with a test config (see writeConfig) on a free loopback port. */
function startRole(role: 'cluster' | 'node', configName: string, ...args: string[]): CliProcess {
  const p = startCli([role, '--config', writeConfig(configName), '--listen', '127.0.0.1:0', ...args]);
  started.push(p);
  return p;
}

function planDoc(overrides: Partial<PlanInput> = {}): string {
  const plan: PlanInput = {
    version: PLAN_VERSION,
    generation: 7,
    generatedAt: '2026-01-01T00:00:00Z',
    dns: { servers: [] },
    agents: { port: 9808, sentinelPort: 0, ring: { k: 2, vnodes: 1 }, list: [] },
    paths: [],
    ...overrides,
  };
  return JSON.stringify(plan);
}

async function metricValue(port: number, series: string): Promise<number | undefined> {
  const { body } = await get(port, '/metrics');
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('netprobe --version and --help', () => {
  test('--version prints the package version and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\S*\n$/), stderr: '' });
  });

  test.each([
    [['--help'], /^netprobe .*\n\nUsage: netprobe <command> \[options\]/],
    [['cluster', '--help'], /^Usage: netprobe cluster \[options\]/],
    [['cluster', '-h'], /^Usage: netprobe cluster \[options\]/],
    [['node', '--help'], /^Usage: netprobe node \[options\][\s\S]*--plan FILE/],
    [['policy', '--help'], /^Usage: netprobe policy <command> \[options\]/],
    [['policy', 'query', '--help'], /netprobe policy query --snapshot FILE/],
    [['policy', 'lint', '--help'], /netprobe policy lint/],
  ])('netprobe %j prints usage and exits 0', async (args, usage) => {
    const r = await runCli(args);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(usage);
    expect(r.code).toBe(0);
  });

  test('every command listed by --help has its own --help (commands added later included)', async () => {
    const { stdout } = await runCli(['--help']);
    const commands = [...stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] ?? '');
    expect(commands).toEqual(expect.arrayContaining(['cluster', 'node', 'policy']));
    for (const cmd of commands) {
      const r = await runCli([cmd, '--help']);
      expect({ cmd, code: r.code, usage: r.stdout.split('\n')[0] }).toEqual({
        cmd,
        code: 0,
        usage: expect.stringMatching(new RegExp(`^Usage: netprobe ${cmd}( |$)`)),
      });
    }
  });
});

describe('netprobe: bad arguments exit 2 with a clear message', () => {
  test.each([
    [['frobnicate'], /^netprobe: unknown command "frobnicate"\n/],
    [['node', '--bogus'], /^netprobe node: Unknown option '--bogus'/],
    [['cluster', '--listen'], /^netprobe cluster: .*--listen/],
    [['cluster', 'extra-positional'], /^netprobe cluster: .*extra-positional/],
    [['node', '--listen', 'nope'], /listen: expected HOST:PORT/],
  ])('netprobe %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  test('no command prints the usage and exits 2', async () => {
    const r = await runCli([]);
    expect(r.stdout).toMatch(/Usage: netprobe <command>/);
    expect(r.code).toBe(2);
  });

  test('an invalid config file: exit 2, stderr names the file and the key', async () => {
    const file = join(REPO_ROOT, 'test/config/fixtures/invalid/unknown-key.yaml');
    for (const role of ['node', 'cluster']) {
      const r = await runCli([role, '--config', file]);
      expect(r.stderr).toBe(
        `${file}: node.dns.intervall: unknown key (expected one of the documented keys, see docs/config.md)\n`,
      );
      expect(r.code).toBe(2);
    }
  });

  test('a missing --kubeconfig file: exit 2 naming the file (not a fatal stack trace)', async () => {
    const missing = join(tmp, 'no-such-kubeconfig.yaml');
    const r = await runCli(['cluster', '--kubeconfig', missing, '--listen', '127.0.0.1:0']);
    expect(r.stderr).toMatch(new RegExp(`^${missing}: cannot load kubeconfig: ENOENT`));
    expect(r.code).toBe(2);
  });

  test('no kubeconfig at all outside a cluster: exit 2 saying so (not retrying an invalid URL forever)', async () => {
    // The child's environment has no KUBECONFIG and no KUBERNETES_SERVICE_HOST.
    const r = await runCli(['cluster', '--config', writeConfig('no-kube.yaml'), '--listen', '127.0.0.1:0']);
    expect(r.stderr).toMatch(/no --kubeconfig given, KUBECONFIG is not set, and not running in a cluster/);
    expect(r.code).toBe(2);
  });

  test('a config value of the wrong type names the file, the key and what was expected', async () => {
    const file = join(REPO_ROOT, 'test/config/fixtures/invalid/bad-duration.yaml');
    const r = await runCli(['node', '--config', file]);
    expect(r.stderr).toContain(`${file}: node.dns.timeout: expected a duration such as "10s"`);
    expect(r.code).toBe(2);
  });
});

describe('netprobe cluster against the fake API', () => {
  let api: FakeApi;
  let kubeconfig: string;

  beforeAll(async () => {
    api = await startFakeApi();
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
    kubeconfig = join(tmp, 'kubeconfig.yaml');
    await api.writeKubeconfig(kubeconfig);
  });
  afterAll(async () => {
    await api.close();
  });

  test.each(['SIGTERM', 'SIGINT'] as const)(
    'becomes ready, then %s: exit 0 and the port is closed',
    async (signal) => {
      const p = startRole('cluster', 'cluster.yaml', '--kubeconfig', kubeconfig);
      const port = await listenPort(p);
      await waitFor('cluster /readyz 200', async () => (await get(port, '/readyz')).status === 200, 30_000);
      expect(JSON.parse((await get(port, '/status')).body)).toMatchObject({
        role: 'cluster',
        synced: true,
      });
      // The cluster role published a plan: the ConfigMap is in the fake API.
      await waitFor(
        'the plan ConfigMap',
        () => api.store.get('ConfigMap', 'netprobe', 'netprobe-plan'),
        10_000,
      );

      const result = await stopWith(p, signal, EXIT_BOUND_MS);
      expect({ ...result, stderr: result.code === 0 ? '' : p.stderr() }).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
      expect(p.stderr()).toMatch(/"msg":"stopped"/);
      expect(await portClosed(port)).toBe(true);
    },
  );
});

describe('netprobe cluster with the API server down at start', () => {
  // Decided from src/kube/informer.ts: an unreachable API is not fatal. Each informer restarts with
  // capped exponential backoff (500 ms doubling, 4 s cap), /readyz answers 503 "caches not synced"
  // meanwhile (so the pod is not sent traffic but not restarted either: /healthz stays 200), and the
  // role becomes ready by itself once the API answers.
  let api: FakeApi | undefined;
  afterAll(async () => {
    await api?.close();
  });

  test('does not crash, /readyz is 503 with a reason, ready once the API appears', async () => {
    const apiPort = await freePort();
    const kubeconfig = join(tmp, 'kubeconfig-late.yaml');
    writeFileSync(kubeconfig, kubeconfigYaml({ server: `http://127.0.0.1:${apiPort}`, token: 'late-token' }));
    const proc = startRole('cluster', 'late.yaml', '--kubeconfig', kubeconfig);
    const port = await listenPort(proc);
    // Wait until the informers have failed at least once, so the 503 is observed while the API is down.
    await waitFor(
      'a failed watch in the log',
      () => proc.stderr().includes('watch failed; restarting'),
      30_000,
    );
    expect(await get(port, '/readyz')).toEqual({ status: 503, body: 'not ready: caches not synced\n' });
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(proc.child.exitCode).toBeNull();

    api = await startFakeApi({ port: apiPort, tokens: { 'late-token': 'late-user' } });
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
    // Backoff reaches at most a few seconds in this time; 60 s leaves room on a loaded machine.
    await waitFor(
      'cluster /readyz 200 after the API appeared',
      async () => (await get(port, '/readyz')).status === 200,
      60_000,
      200,
    );

    const result = await stopWith(proc, 'SIGTERM', EXIT_BOUND_MS);
    expect(result).toEqual({ code: 0, signal: null });
  });
});

describe('netprobe node --plan FILE (standalone, no cluster)', () => {
  test('ready once the plan is loaded, keeps it when the file turns invalid, exit 0 on SIGTERM', async () => {
    const planFile = join(tmp, 'plan.json');
    writeFileSync(planFile, planDoc());
    const proc = startRole('node', 'node.yaml', '--plan', planFile);
    const port = await listenPort(proc);
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect(await metricValue(port, 'netprobe_plan_generation{node="cli-test-node"}')).toBe(7);
    expect(JSON.parse((await get(port, '/status')).body)).toMatchObject({
      role: 'node',
      node: 'cli-test-node',
      plan: { generation: 7 },
      planError: null,
    });

    // A plan of another version is refused with the reason; the last good plan stays in use.
    writeFileSync(
      planFile,
      JSON.stringify({ ...JSON.parse(planDoc()), version: PLAN_VERSION + 1, generation: 8 }),
    );
    const rejected = 'netprobe_plan_updates_total{node="cli-test-node",result="rejected"}';
    await waitFor(
      'a rejected plan update',
      async () => ((await metricValue(port, rejected)) ?? 0) > 0,
      15_000,
      200,
    );
    const status = JSON.parse((await get(port, '/status')).body) as {
      plan: { generation: number };
      planError: string;
    };
    expect(status.plan.generation).toBe(7);
    expect(status.planError).toContain(
      `${planFile}: version: plan version ${PLAN_VERSION + 1} is not supported`,
    );
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect(await metricValue(port, 'netprobe_plan_generation{node="cli-test-node"}')).toBe(7);

    const result = await stopWith(proc, 'SIGTERM', EXIT_BOUND_MS);
    expect(result).toEqual({ code: 0, signal: null });
    expect(await portClosed(port)).toBe(true);
  });

  test('not ready while the plan file is missing; ready once it appears', async () => {
    const planFile = join(tmp, 'later-plan.json');
    const proc = startRole('node', 'node2.yaml', '--plan', planFile);
    const port = await listenPort(proc);
    expect(await get(port, '/readyz')).toEqual({
      status: 503,
      body: 'not ready: no valid plan loaded yet\n',
    });
    writeFileSync(planFile, planDoc({ generation: 3 }));
    await waitFor('node /readyz 200', async () => (await get(port, '/readyz')).status === 200, 15_000, 200);
    const result = await stopWith(proc, 'SIGINT', EXIT_BOUND_MS);
    expect(result).toEqual({ code: 0, signal: null });
  });
});
