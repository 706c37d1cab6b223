import { assembleReport, compareFindings, inNamespace } from '../../src/doctor/runner.js';
import type { DoctorFinding } from '../../src/doctor/types.js';

const f = (
  severity: DoctorFinding['severity'],
  stage: DoctorFinding['stage'],
  ns: string,
  name: string,
): DoctorFinding => ({
  severity,
  stage,
  code: `${stage}-x`,
  object: { kind: 'Service', namespace: ns, name },
  problem: 'p',
  why: 'w',
  next: 'n',
});

describe('ordering', () => {
  it('sorts by severity, then the triage order of stages, then object', () => {
    const input = [
      f('info', 'pods', 'a', 'a'),
      f('warning', 'policy', 'a', 'a'),
      f('critical', 'dns', 'kube-system', 'kube-dns'),
      f('warning', 'pods', 'b', 'b'),
      f('critical', 'services', 'shop', 'z'),
      f('critical', 'services', 'shop', 'a'),
      f('warning', 'ingress', 'a', 'a'),
    ];
    const names = [...input].sort(compareFindings).map((x) => `${x.severity}/${x.stage}/${x.object.name}`);
    expect(names).toEqual([
      'critical/services/a',
      'critical/services/z',
      'critical/dns/kube-dns',
      'warning/pods/b',
      'warning/ingress/a',
      'warning/policy/a',
      'info/pods/a',
    ]);
  });
});

describe('namespace filter', () => {
  it.each([
    [undefined, f('warning', 'pods', 'other', 'x'), true],
    ['shop', f('warning', 'pods', 'shop', 'x'), true],
    ['shop', f('warning', 'pods', 'other', 'x'), false],
    ['shop', f('critical', 'dns', 'kube-system', 'coredns-b'), true],
    ['shop', f('info', 'policy', '', 'cluster-scoped'), true],
  ])('namespace %s keeps %j: %s', (ns, finding, kept) => {
    expect(inNamespace(finding, ns)).toBe(kept);
  });

  it('counts only what is kept', () => {
    const r = assembleReport(
      [
        {
          findings: [f('critical', 'services', 'other', 'x'), f('warning', 'pods', 'shop', 'y')],
          skipped: [],
        },
        {
          findings: [f('info', 'policy', 'shop', 'z')],
          skipped: [{ stage: 'dns', check: 'DNS', reason: 'r' }],
        },
      ],
      'shop',
      { pods: 2 },
    );
    expect(r.summary).toEqual({
      critical: 0,
      warning: 1,
      info: 1,
      skipped: [{ stage: 'dns', check: 'DNS', reason: 'r' }],
      unreadable: { pods: 2 },
    });
    expect(r.findings.map((x) => x.object.name)).toEqual(['y', 'z']);
  });
});
