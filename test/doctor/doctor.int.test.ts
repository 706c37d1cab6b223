import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { renderText } from '../../src/doctor/render.js';
import { runDoctor } from '../../src/doctor/runner.js';
import type { DoctorFinding, DoctorReport } from '../../src/doctor/types.js';
import type { Sandbox } from '../../sandbox/cluster.js';
import { PLANTED_FAULTS } from '../../sandbox/seed.js';
import { runCli } from '../cli/process.js';
import { startTestSandbox } from '../helpers/sandbox.js';

/** What doctor must report for each planted fault: matched by object and problem, never by count. */
interface Expected {
  stage: DoctorFinding['stage'];
  code: string;
  object: DoctorFinding['object'] | { kind: string; namespace: string; name?: undefined };
  problem: RegExp;
  severity: DoctorFinding['severity'];
}

const EXPECTED: Record<string, Expected> = {
  'label mismatch': {
    stage: 'services',
    code: 'service-selector-matches-nothing',
    object: { kind: 'Service', namespace: 'shop', name: 'orders' },
    problem: /selector app=orders matches no pod; pod orders-1 is labelled app=orders-v2/,
    severity: 'warning',
  },
  'readiness failure': {
    stage: 'services',
    code: 'service-no-ready-endpoints',
    object: { kind: 'Service', namespace: 'shop', name: 'inventory' },
    problem: /none is ready/,
    severity: 'critical',
  },
  'unresolved named targetPort': {
    stage: 'services',
    code: 'service-target-port-unresolved',
    object: { kind: 'Service', namespace: 'shop', name: 'reports' },
    problem: /"metrics-http"/,
    severity: 'critical',
  },
  'egress policy forgets DNS': {
    stage: 'policy',
    code: 'dns-egress-blocked',
    object: { kind: 'Pod', namespace: 'batch' },
    problem: /DNS to kube-system\/kube-dns .* is denied/,
    severity: 'critical',
  },
  'Ingress path to a missing Service': {
    stage: 'ingress',
    code: 'ingress-backend-service-missing',
    object: { kind: 'Ingress', namespace: 'shop', name: 'storefront' },
    problem: /shop\.example\/api routes to Service api-gateway, which does not exist/,
    severity: 'critical',
  },
  'host routed nowhere': {
    stage: 'ingress',
    code: 'ingress-route-not-served',
    object: { kind: 'Ingress', namespace: 'shop', name: 'legacy' },
    problem: /old\.shop\.example.*default backend/,
    severity: 'critical',
  },
  'certificate expiring in 5 days': {
    stage: 'ingress',
    code: 'ingress-cert-expiring',
    object: { kind: 'Ingress', namespace: 'shop', name: 'pay' },
    problem: /pay\.shop\.example expires in [45] day/,
    severity: 'warning',
  },
  'wrong certificate hostname': {
    stage: 'ingress',
    code: 'ingress-cert-wrong-host',
    object: { kind: 'Ingress', namespace: 'shop', name: 'admin' },
    problem: /admin\.shop\.example does not name that host/,
    severity: 'critical',
  },
  'slow CoreDNS replica': {
    stage: 'dns',
    code: 'dns-server-slow',
    object: { kind: 'Pod', namespace: 'kube-system', name: 'coredns-b' },
    problem: /replica coredns-b .* answers slowly/,
    severity: 'warning',
  },
  'declared path blocked': {
    stage: 'policy',
    code: 'declared-path-blocked',
    object: { kind: 'Service', namespace: 'payments', name: 'payments-db' },
    problem: /checkout-to-payments-db \(TCP [0-9.]+:5432\) is blocked from where doctor runs: timeout/,
    severity: 'warning',
  },
  'Ingress backend the controller may not reach': {
    stage: 'policy',
    code: 'ingress-backend-blocked',
    object: { kind: 'Ingress', namespace: 'shop', name: 'status' },
    problem: /may not reach any pod of Service shop\/status-api/,
    severity: 'critical',
  },
  'NetworkPolicy not enforced': {
    stage: 'policy',
    code: 'declared-path-open',
    object: { kind: 'Service', namespace: 'shop', name: 'database' },
    problem: /agents-to-shop-database \(TCP [0-9.]+:5432\) is reachable .*although policy denies it/,
    severity: 'warning',
  },
};

function matches(f: Pick<DoctorFinding, 'stage' | 'code' | 'object' | 'problem'>, e: Expected): boolean {
  return (
    f.stage === e.stage &&
    f.code === e.code &&
    f.object.kind === e.object.kind &&
    f.object.namespace === e.object.namespace &&
    (e.object.name === undefined || f.object.name === e.object.name) &&
    e.problem.test(f.problem)
  );
}

async function doctorInProcess(sb: Sandbox, configFile: string): Promise<DoctorReport> {
  const kc = new KubeConfig();
  kc.loadFromFile(sb.kubeconfigPath);
  return runDoctor({ kubeConfig: kc, config: loadConfig(configFile, {}), configGiven: true });
}

describe('netprobe doctor on the sandbox', () => {
  it('covers every planted fault in this test', () => {
    const names = PLANTED_FAULTS.map((f) => f.split(':')[0] ?? f);
    expect(names.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe('with the planted faults', () => {
    let sb: Sandbox;
    let configFile: string;
    beforeAll(async () => {
      sb = await startTestSandbox();
      configFile = sb.configPath;
    });
    afterAll(async () => sb.stop());

    it('finds every planted fault (in-process)', async () => {
      const report = await doctorInProcess(sb, configFile);
      const text = renderText(report);
      for (const fault of PLANTED_FAULTS) {
        const e = EXPECTED[fault.split(':')[0] ?? fault];
        expect(e).toBeDefined();
        if (e === undefined) continue;
        const found = report.findings.find((f) => matches(f, e));
        if (found === undefined) throw new Error(`doctor did not report "${fault}"; it printed:\n${text}`);
        expect(found.severity).toBe(e.severity);
        expect(found.next).toMatch(/^kubectl /);
      }
      expect(report.summary.critical).toBeGreaterThan(0);
      expect(report.summary.skipped).toEqual([]);
    });

    it('finds them through the CLI too, as JSON, and exits 1', async () => {
      const r = await runCli(
        ['doctor', '--kubeconfig', sb.kubeconfigPath, '--config', configFile, '--output', 'json'],
        60_000,
      );
      expect(r.stderr).toContain('doctor: [5/5] NetworkPolicy findings');
      expect(r.code).toBe(1);
      const parsed = JSON.parse(r.stdout) as { findings: DoctorFinding[]; summary: { critical: number } };
      for (const fault of PLANTED_FAULTS) {
        const e = EXPECTED[fault.split(':')[0] ?? fault];
        if (e === undefined) throw new Error(`no expectation for ${fault}`);
        expect(parsed.findings.some((f) => matches(f, e))).toBe(true);
      }
    });

    it('--namespace payments keeps the payments finding and cluster-wide DNS, drops shop', async () => {
      const r = await runCli(
        ['doctor', '--kubeconfig', sb.kubeconfigPath, '--config', configFile, '-n', 'payments', '-o', 'json'],
        60_000,
      );
      const parsed = JSON.parse(r.stdout) as { findings: DoctorFinding[] };
      const ex = (k: string): Expected => EXPECTED[k] as Expected;
      expect(parsed.findings.some((f) => matches(f, ex('declared path blocked')))).toBe(true);
      expect(parsed.findings.some((f) => matches(f, ex('slow CoreDNS replica')))).toBe(true);
      expect(parsed.findings.filter((f) => f.object.namespace === 'shop')).toEqual([]);
      // Both are warnings (the path is probed from here, not from the agents): no critical, exit 0.
      expect(r.code).toBe(0);
    });
  });

  describe('healthy', () => {
    let sb: Sandbox;
    let configFile: string;
    beforeAll(async () => {
      sb = await startTestSandbox({ healthy: true });
      configFile = sb.configPath;
    });
    afterAll(async () => sb.stop());

    it('reports nothing of severity warning or critical (in-process)', async () => {
      const report = await doctorInProcess(sb, configFile);
      expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(report.summary.skipped).toEqual([]);
    });

    it('exits 0 through the CLI, with text output', async () => {
      const r = await runCli(['doctor', '--kubeconfig', sb.kubeconfigPath, '--config', configFile], 60_000);
      expect(r.stdout).toMatch(/Summary: 0 critical, 0 warning, \d+ info: healthy/);
      expect(r.code).toBe(0);
    });
  });
});
