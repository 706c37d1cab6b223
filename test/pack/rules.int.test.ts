import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alerts = join(root, 'alerts');
const testFiles = readdirSync(join(alerts, 'tests')).filter((f) => f.endsWith('.yaml'));

/** Runs promtool; resolves with its output whatever the exit code, so failures show promtool's report. */
async function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('alerts/netprobe-rules.yaml with promtool', () => {
  it('passes promtool check rules', async () => {
    const r = await promtool(['check', 'rules', 'netprobe-rules.yaml'], alerts);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('has one promtool test file per area', () => {
    expect(testFiles.sort()).toEqual([
      'agent.yaml',
      'dns.yaml',
      'endpoints.yaml',
      'ingress.yaml',
      'paths.yaml',
    ]);
  });

  it.each(testFiles)('passes promtool test rules %s', async (file) => {
    const r = await promtool(['test', 'rules', file], join(alerts, 'tests'));
    expect(r.output).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });
});
