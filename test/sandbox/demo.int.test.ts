import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SHIPPED_RULE_FILE } from '../../sandbox/prometheus.js';
import { acquireSandboxLock } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

// `npm run demo` as a user runs it (the demo script in its own process): its Prometheus must have
// loaded every shipped rule and scrape both roles, and the demo must print where it is.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROM_LISTEN = '127.0.0.1:9816';
const PROM_URL = `http://${PROM_LISTEN}`;

async function getData(path: string): Promise<unknown> {
  const body = (await (await fetch(`${PROM_URL}${path}`)).json()) as { status: string; data: unknown };
  if (body.status !== 'success') throw new Error(`${path}: ${body.status}`);
  return body.data;
}

describe('npm run demo with Prometheus', () => {
  let demo: ChildProcess | undefined;
  let release: (() => void) | undefined;
  let output = '';

  beforeAll(async () => {
    release = await acquireSandboxLock();
    demo = spawn(
      process.execPath,
      [
        'scripts/node24.mjs',
        '--import',
        'tsx',
        'sandbox/demo.ts',
        '--listen',
        '127.0.0.1:9817',
        '--prometheus-listen',
        PROM_LISTEN,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    demo.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    demo.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor('the demo to finish starting', () => output.includes('Press Ctrl-C to stop.'), 90_000, 200);
  }, 120_000);

  afterAll(async () => {
    if (demo && demo.exitCode === null) {
      const exited = new Promise((r) => demo?.once('exit', r));
      demo.kill('SIGINT');
      await exited;
    }
    release?.();
  }, 30_000);

  it('prints the URL of its Prometheus', () => {
    expect(output).toContain(`Prometheus            ${PROM_URL}/alerts`);
  });

  it('has loaded every shipped alerting rule', async () => {
    const shipped = parse(readFileSync(SHIPPED_RULE_FILE, 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    const want = shipped.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))).sort();
    const data = (await getData('/api/v1/rules?type=alert')) as {
      groups: { rules: { name: string; health: string }[] }[];
    };
    const loaded = data.groups.flatMap((g) => g.rules);
    expect(want.length).toBeGreaterThan(20);
    expect(loaded.map((r) => r.name).sort()).toEqual(want);
  });

  it('scrapes both roles: the cluster role and the two node agents are up', async () => {
    const up = async (): Promise<string[]> => {
      const data = (await getData('/api/v1/targets?state=active')) as {
        activeTargets: { labels: Record<string, string>; health: string }[];
      };
      return data.activeTargets
        .filter((t) => t.health === 'up')
        .map((t) => `${t.labels.job ?? ''} ${t.labels.node ?? t.labels.pod ?? ''}`)
        .sort();
    };
    await waitFor('three targets up', async () => (await up()).length === 3, 30_000, 500);
    expect(await up()).toEqual([
      'netprobe-cluster netprobe-cluster-0',
      'netprobe-node node-a',
      'netprobe-node node-b',
    ]);
  });
});
