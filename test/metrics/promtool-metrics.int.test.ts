// Issue 2: "a test pipes the real /metrics output of both roles through `promtool check metrics`
// and fails on any complaint". The faulty sandbox is used so that every family has series: failing
// lookups, blocked paths, expiring certificates, policy findings.
import { spawn } from 'node:child_process';
import type { Sandbox } from '../../sandbox/cluster.js';
import { roleMetrics, startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/** Runs `promtool check metrics` with the exposition on stdin. */
function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

/** Sum of the samples of a metric (any labels). */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('promtool check metrics on the real /metrics of both roles', () => {
  let sb: Sandbox;
  const scraped: Array<[string, string]> = [];

  beforeAll(async () => {
    sb = await startTestSandbox();
    // Wait until the probers of both roles have run, so their families have series, then scrape.
    const urls = [sb.urls.cluster, ...sb.urls.nodes];
    let texts: string[] = [];
    await waitFor(
      'DNS, path and ingress probes in both roles',
      async () => {
        texts = await Promise.all(urls.map(roleMetrics));
        const [cluster = '', ...nodes] = texts;
        return (
          total(cluster, 'netprobe_ingress_probes_total') > 0 &&
          total(cluster, 'netprobe_service_endpoints') > 0 &&
          nodes.every(
            (t) => total(t, 'netprobe_dns_lookups_total') > 0 && total(t, 'netprobe_path_probes_total') > 0,
          )
        );
      },
      60_000,
      500,
    );
    texts.forEach((text, i) => scraped.push([i === 0 ? 'cluster' : `node ${urls[i] ?? ''}`, text]));
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
  });

  test('the sandbox has a cluster role and two node roles', () => {
    expect(scraped.map(([role]) => role.split(' ')[0])).toEqual(['cluster', 'node', 'node']);
  });

  test.each([0, 1, 2])('role #%i: promtool exits 0 with no complaint', async (i) => {
    const [role, text] = scraped[i] ?? ['missing', ''];
    expect(text).toContain('netprobe_build_info{');
    const { code, output } = await promtoolCheck(text);
    // The role is in the value so a failure says which role's exposition promtool complained about.
    expect({ role, code, output }).toEqual({ role, code: 0, output: '' });
  });

  test('promtool does complain about a bad exposition (the check can fail)', async () => {
    const bad =
      '# HELP netprobe_bad_seconds_total x\n# TYPE netprobe_bad_seconds_total gauge\nnetprobe_bad_seconds_total 1\n';
    const { code, output } = await promtoolCheck(bad);
    expect(code).not.toBe(0);
    expect(output).toMatch(/netprobe_bad_seconds_total/);
  });
});
