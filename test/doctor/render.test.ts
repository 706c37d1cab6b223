import { kubectl, shellWord } from '../../src/doctor/commands.js';
import { renderJson, renderText, sanitize, summaryLine } from '../../src/doctor/render.js';
import type { DoctorFinding, DoctorReport } from '../../src/doctor/types.js';

// eslint-disable-next-line no-control-regex -- control characters are what the tests look for
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/;

const finding = (over: Partial<DoctorFinding>): DoctorFinding => ({
  severity: 'warning',
  stage: 'services',
  code: 'service-selector-matches-nothing',
  object: { kind: 'Service', namespace: 'shop', name: 'orders' },
  problem: 'selector app=orders matches no pod',
  why: 'no endpoints',
  next: 'kubectl -n shop get pods --show-labels',
  ...over,
});

const report = (
  findings: DoctorFinding[],
  skipped: DoctorReport['summary']['skipped'] = [],
): DoctorReport => ({
  findings,
  summary: {
    critical: findings.filter((f) => f.severity === 'critical').length,
    warning: findings.filter((f) => f.severity === 'warning').length,
    info: findings.filter((f) => f.severity === 'info').length,
    skipped,
    unreadable: {},
  },
});

describe('sanitize', () => {
  it.each([
    ['plain text', 'plain text'],
    ['evil\x1b[2J.example', 'evil\\x1b[2J.example'],
    ['title\x1b]0;pwned\x07', 'title\\x1b]0;pwned\\x07'],
    ['line\nbreak\r', 'line\\x0abreak\\x0d'],
    ['c1 \x9b31m', 'c1 \\x9b31m'],
    ['bidi \u202egnp.exe', 'bidi \\u202egnp.exe'],
    ['zero\u200bwidth', 'zero\\u200bwidth'],
    ['line\u2028separator', 'line\\u2028separator'],
    ['arabic\u061cmark', 'arabic\\u061cmark'],
    ['word\u2060joiner', 'word\\u2060joiner'],
    ['anchor\ufff9x', 'anchor\\ufff9x'],
    ['ünïcödé ok', 'ünïcödé ok'],
  ])('%j -> %j', (input, output) => {
    expect(sanitize(input)).toBe(output);
  });
});

describe('next commands', () => {
  it('quotes words a shell would interpret', () => {
    expect(shellWord('shop')).toBe('shop');
    expect(shellWord('a b')).toBe("'a b'");
    expect(shellWord("it's;rm -rf")).toBe(`'it'\\''s;rm -rf'`);
    expect(shellWord('')).toBe("''");
    expect(kubectl('shop', 'get', 'pods', '-l', 'app=x')).toBe('kubectl -n shop get pods -l app=x');
    expect(kubectl('', 'get', 'ingressclass')).toBe('kubectl get ingressclass');
    expect(kubectl('$(reboot)', 'get', 'pods')).toBe("kubectl -n '$(reboot)' get pods");
  });
});

describe('renderText', () => {
  it('groups by severity (critical first), each finding with object, problem, why and next, then the summary', () => {
    const text = renderText(
      report([
        finding({
          severity: 'critical',
          code: 'service-no-ready-endpoints',
          object: { kind: 'Service', namespace: 'shop', name: 'inv' },
        }),
        finding({}),
        finding({
          severity: 'info',
          stage: 'policy',
          code: 'namespace-without-default-deny',
          object: { kind: 'Namespace', namespace: '', name: 'batch' },
        }),
      ]),
    );
    const crit = text.indexOf('CRITICAL (1)');
    const warn = text.indexOf('WARNING (1)');
    const info = text.indexOf('INFO (1)');
    expect(crit).toBe(0);
    expect(warn).toBeGreaterThan(crit);
    expect(info).toBeGreaterThan(warn);
    expect(text).toContain(
      '  [critical] Service shop/inv  (services: service-no-ready-endpoints)\n    problem: ',
    );
    expect(text).toContain('[info] Namespace batch  (policy: namespace-without-default-deny)');
    expect(text).toContain('    next:    kubectl -n shop get pods --show-labels');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'Summary: 1 critical, 1 warning, 1 info: users are affected now',
    );
  });

  it('says when nothing was found, and lists skipped checks', () => {
    const text = renderText(
      report([], [{ stage: 'ingress', check: 'live route and TLS checks', reason: 'no --config given' }]),
    );
    expect(text).toContain('No problems found.');
    expect(text).toContain('Skipped:\n  - ingress: live route and TLS checks: no --config given');
    expect(summaryLine(report([], [{ stage: 'dns', check: 'DNS', reason: 'x' }]))).toBe(
      'Summary: 0 critical, 0 warning, 0 info; 1 check skipped: nothing found in what was checked',
    );
  });

  it('never prints control characters that come from the cluster', () => {
    const text = renderText(
      report([
        finding({
          object: { kind: 'Ingress', namespace: 'shop', name: 'x\x1b[31mred' },
          problem: 'host "evil\x1b]0;owned\x07" \u202e',
        }),
      ]),
    );
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('x\\x1b[31mred');
  });
});

describe('renderJson', () => {
  it('has the documented shape', () => {
    const parsed = JSON.parse(renderJson(report([finding({ severity: 'critical' })]))) as unknown;
    expect(parsed).toEqual({
      findings: [
        {
          severity: 'critical',
          stage: 'services',
          code: 'service-selector-matches-nothing',
          object: { kind: 'Service', namespace: 'shop', name: 'orders' },
          problem: 'selector app=orders matches no pod',
          why: 'no endpoints',
          next: 'kubectl -n shop get pods --show-labels',
        },
      ],
      summary: { critical: 1, warning: 0, info: 0, skipped: [], unreadable: {} },
    });
  });

  it('escapes control and bidi characters, and round-trips them', () => {
    const name = 'a\x1bb\x9bc\u202ed';
    const json = renderJson(report([finding({ object: { kind: 'Pod', namespace: 'shop', name } })]));
    expect(json).not.toMatch(CONTROL);
    const parsed = JSON.parse(json) as { findings: Array<{ object: { name: string } }> };
    expect(parsed.findings[0]?.object.name).toBe(name);
  });
});
