import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { runDoctorCommand } from '../../src/doctor/command.js';
import { renderJson, renderText } from '../../src/doctor/render.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { defaultConfig, failAll, obj, startListServer, type ListAnswers } from './support.js';

const ESC = '\x1b';
// eslint-disable-next-line no-control-regex -- control characters are what the test looks for
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

// What a compromised or buggy API server (or a hostile tenant's object) could return.
const hostile: ListAnswers = {
  namespaces: [obj.ns('shop'), null, 'text', { metadata: { name: 42 } }],
  pods: [
    null,
    7,
    [],
    { metadata: {} },
    {
      metadata: { name: `p${ESC}[2J`, namespace: 'shop', labels: { app: 'x' } },
      status: { phase: 'Running', conditions: 'x' },
    },
    {
      metadata: { name: 'q', namespace: 'shop' },
      spec: { containers: 'nope' },
      status: { phase: `Weird${ESC}]0;owned\x07` },
    },
  ],
  services: [
    { metadata: { name: `svc\u202e`, namespace: 'shop' }, spec: { selector: { app: 'none' }, ports: 'no' } },
    {
      metadata: { name: 'bad-ports', namespace: 'shop' },
      spec: { selector: 5, ports: [{ port: 'x' }, null] },
    },
  ],
  endpointslices: [{ metadata: { name: 's', namespace: 'shop', labels: 5 }, endpoints: 'x', ports: null }],
  ingresses: [
    {
      metadata: { name: 'evil', namespace: 'shop' },
      spec: {
        rules: [
          {
            host: `evil${ESC}[31m.example`,
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'x', port: { number: 80 } } } },
              ],
            },
          },
          { host: 7 },
          'rule',
        ],
        tls: 'x',
      },
    },
    { metadata: { name: 'e2', namespace: 'shop' }, spec: 'string' },
    { metadata: null },
  ],
  ingressclasses: [null, { metadata: { name: 'nginx', annotations: 5 } }],
  networkpolicies: [
    { metadata: { name: 'np', namespace: 'shop' }, spec: { podSelector: 5, ingress: 'all' } },
    'x',
  ],
};

describe('doctor with hostile or broken data', () => {
  it('does not crash on garbage objects, reports them, and never prints control characters', async () => {
    const server = await startListServer(hostile);
    try {
      const report = await runDoctor({
        kubeConfig: server.kc,
        config: defaultConfig(),
        configGiven: false,
        dnsLookups: 1,
      });
      const text = renderText(report);
      expect(text).not.toMatch(CONTROL);
      expect(renderJson(report)).not.toMatch(CONTROL);
      // The Ingress host with an escape sequence is reported as invalid, shown escaped.
      const evil = report.findings.find((f) => f.code === 'ingress-invalid-host');
      expect(evil?.object).toEqual({ kind: 'Ingress', namespace: 'shop', name: 'evil' });
      expect(text).toContain('evil\\u001b[31m.example');
      // Names with escape sequences reach the text only escaped (sanitize), commands quoted.
      expect(text).toContain('[warning] Pod shop/p\\x1b[2J');
      expect(text).toContain("kubectl -n shop describe pod 'p\\x1b[2J'");
      expect(report.summary.unreadable.pods).toBeGreaterThanOrEqual(4);
      expect(report.summary.skipped.filter((s) => s.reason.startsWith('failed'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('skips the stages whose LIST failed and says why; runs the others', async () => {
    const server = await startListServer({
      pods: [obj.pod('shop', 'a', { app: 'a' }, { ready: false })],
      endpointslices: 403,
      networkpolicies: 500,
    });
    try {
      const report = await runDoctor({
        kubeConfig: server.kc,
        config: defaultConfig(),
        configGiven: false,
        dnsLookups: 1,
      });
      expect(report.findings.map((f) => f.code)).toContain('pod-not-ready');
      const skipped = Object.fromEntries(report.summary.skipped.map((s) => [s.stage, s.reason]));
      expect(skipped.services).toMatch(/^cannot list endpointslices: .*HTTP 403/);
      expect(skipped.dns).toMatch(/^cannot list endpointslices/);
      expect(skipped.policy).toMatch(/^cannot list networkpolicies: .*HTTP 500/);
    } finally {
      await server.close();
    }
  });

  it('stops paging when the API server repeats a continue token, instead of looping forever', async () => {
    const server = await startListServer({}, { continueToken: 'same' });
    try {
      await expect(
        runDoctor({ kubeConfig: server.kc, config: defaultConfig(), configGiven: false, dnsLookups: 1 }),
      ).rejects.toThrow(/repeated continue token same/);
      expect(server.requests.filter((r) => r.startsWith('GET /api/v1/pods')).length).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('fails when the API cannot be read at all', async () => {
    const all = failAll(401);
    const server = await startListServer(all);
    try {
      await expect(
        runDoctor({ kubeConfig: server.kc, config: defaultConfig(), configGiven: false }),
      ).rejects.toThrow(/cannot read the cluster: .*HTTP 401/);
    } finally {
      await server.close();
    }
  });
});

describe('netprobe doctor (CLI, in-process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-doctor-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await main(['doctor', ...args], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
    });
    return { code, stdout, stderr };
  };

  async function withServer(answers: ListAnswers, fn: (kubeconfig: string) => Promise<void>): Promise<void> {
    const server = await startListServer(answers);
    const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, server.kc.exportConfig());
    try {
      await fn(file);
    } finally {
      await server.close();
    }
  }

  it('prints help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: netprobe doctor');
  });

  it.each([
    [['--output', 'xml'], /--output must be text or json/],
    [['--bogus'], /netprobe doctor: Unknown option '--bogus'/],
    [['--namespace', 'Bad_NS'], /is not a namespace name/],
    [['--config', '/nonexistent/netprobe.yaml'], /\/nonexistent\/netprobe\.yaml: cannot read config file/],
    [['--kubeconfig', '/nonexistent/kubeconfig'], /cannot load kubeconfig \/nonexistent\/kubeconfig/],
  ])('exits 2 on %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 naming the key when caFile cannot be read', async () => {
    const cfg = join(dir, 'bad-ca.yaml');
    writeFileSync(cfg, 'cluster:\n  ingress:\n    caFile: /nonexistent/ca.pem\n');
    await withServer({}, async (kubeconfig) => {
      const r = await run(['--kubeconfig', kubeconfig, '--config', cfg]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cluster\.ingress\.caFile: cannot read \/nonexistent\/ca\.pem/);
    });
  });

  it('exits 1 with a critical finding, 0 without; JSON on stdout, one progress line per stage on stderr', async () => {
    const broken = {
      pods: [obj.pod('shop', 'inv-1', { app: 'inv' }, { ready: false })],
      services: [obj.service('shop', 'inv', { app: 'inv' })],
      endpointslices: [obj.slice('shop', 'inv', [{ pod: 'inv-1', ready: false }])],
    };
    await withServer(broken, async (kubeconfig) => {
      const r = await run(['--kubeconfig', kubeconfig, '-o', 'json']);
      expect(r.code).toBe(1);
      const parsed = JSON.parse(r.stdout) as {
        findings: Array<{ code: string; severity: string }>;
        summary: { critical: number };
      };
      expect(parsed.findings).toContainEqual(
        expect.objectContaining({ code: 'service-no-ready-endpoints', severity: 'critical' }),
      );
      expect(parsed.summary.critical).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('doctor: '))).toEqual([
        'doctor: reading the cluster (LIST pods, Services, EndpointSlices, Ingresses, NetworkPolicies)',
        'doctor: [1/5] pod readiness',
        'doctor: [2/5] Service selectors and endpoints',
        'doctor: [3/5] Ingress rules and backends',
        'doctor: [4/5] DNS',
        'doctor: [5/5] NetworkPolicy findings',
      ]);
      // --namespace of another namespace leaves the critical finding out: exit 0.
      const other = await run(['--kubeconfig', kubeconfig, '-n', 'other']);
      expect(other.code).toBe(0);
      expect(other.stdout).toContain('Summary: 0 critical');
    });
  });

  it('on a terminal, rewrites one progress line and clears it before the report', async () => {
    await withServer({}, async (kubeconfig) => {
      let stderr = '';
      let stdout = '';
      const code = await runDoctorCommand(
        ['--kubeconfig', kubeconfig],
        {},
        {
          stdout: (s) => (stdout += s),
          stderr: (s) => (stderr += s),
          stderrIsTTY: true,
        },
      );
      expect(code).toBe(0);
      expect(stderr).not.toContain('\n');
      expect(stderr).toContain('\r\x1b[2Kdoctor: [4/5] DNS...');
      expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
      expect(stdout).toContain('Summary: 0 critical');
    });
  });

  it('exits 1 with a message when the cluster cannot be read', async () => {
    const all = failAll(503);
    await withServer(all, async (kubeconfig) => {
      const r = await run(['--kubeconfig', kubeconfig]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/netprobe doctor: cannot read the cluster/);
      expect(r.stdout).toBe('');
    });
  });
});
