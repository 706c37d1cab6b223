// The policy issue's "Done when": `netprobe policy lint` and `query` work on a snapshot exported from
// the sandbox with kubectl, exactly as an operator would export one from a cluster.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runPolicyCommand } from '../../src/policy/cli.js';
import type { Sandbox } from '../../sandbox/cluster.js';
import { startTestSandbox } from '../helpers/sandbox.js';

const run = promisify(execFile);

async function policy(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runPolicyCommand(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('netprobe policy on a snapshot exported from the sandbox', () => {
  let sb: Sandbox;
  let dir: string;
  let snapshot: string;
  beforeAll(async () => {
    sb = await startTestSandbox();
    dir = mkdtempSync(join(tmpdir(), 'netprobe-snapshot-'));
    snapshot = join(dir, 'snapshot.yaml');
    const { stdout } = await run(
      'kubectl',
      ['--kubeconfig', sb.kubeconfigPath, 'get', 'ns,pods,svc,netpol,ingress', '-A', '-o', 'yaml'],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(snapshot, stdout);
  }, 330_000);
  afterAll(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lint finds the planted policy faults and exits 1', async () => {
    const r = await policy(['lint', '--snapshot', snapshot, '--output', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const findings = (
      JSON.parse(r.out) as { findings: Array<{ code: string; object: { namespace?: string; name: string } }> }
    ).findings;
    const has = (code: string, namespace: string, name?: string): boolean =>
      findings.some(
        (f) =>
          f.code === code &&
          f.object.namespace === namespace &&
          (name === undefined || f.object.name === name),
      );
    expect(has('dns-egress-blocked', 'batch')).toBe(true);
    expect(has('ingress-backend-blocked', 'shop', 'status')).toBe(true);
    expect(has('dns-egress-blocked', 'shop')).toBe(false);
  });

  it('query answers allowed and denied flows with the policies that decide them', async () => {
    const ask = (from: string, to: string, port: string) =>
      policy([
        'query',
        '--snapshot',
        snapshot,
        '--from',
        from,
        '--to',
        to,
        '--port',
        port,
        '--output',
        'json',
      ]);
    const allowed = await ask('shop/frontend-1', 'shop/status-api-1', '8080/TCP');
    const denied = await ask('ingress-nginx/ingress-nginx-controller-1', 'shop/status-api-1', '8080/TCP');
    expect([allowed.code, allowed.err]).toEqual([0, '']);
    expect(JSON.parse(allowed.out)).toMatchObject([{ allowed: true }]);
    expect(JSON.parse(denied.out)).toMatchObject([{ allowed: false }]);
  });
});
