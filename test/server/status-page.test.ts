import { ResultHistory, type CheckState } from '../../src/runner/history.js';
import type { Plan } from '../../src/plan/schema.js';
import {
  escapeHtml,
  markRoute,
  renderStatusPage,
  type RouteRow,
  type StatusPageData,
} from '../../src/server/status-page.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOSTILE = `<script>alert("x")</script>'"&`;

function result(over: Partial<CheckState>): CheckState {
  return {
    prober: 'path',
    target: 'apiserver',
    ok: true,
    outcome: 'open',
    durationSeconds: 0.001,
    detail: 'apiserver TCP/443',
    at: NOW - 3000,
    ...over,
  };
}

function page(history: ResultHistory, over: Partial<StatusPageData> = {}): string {
  return renderStatusPage({
    role: 'node',
    node: 'node-a',
    version: '1.2.3',
    now: NOW,
    readiness: { ready: true, reason: '' },
    checks: history.checks(),
    failures: history.recentFailures(),
    ...over,
  });
}

/** The rows of one section: state and visible text. */
function rows(html: string, section: string): Array<{ state: string; text: string }> {
  const start = html.indexOf(`<section id="${section}">`);
  if (start === -1) throw new Error(`no section ${section}`);
  const body = html.slice(start, html.indexOf('</section>', start));
  return [...body.matchAll(/<tr class="(\w+)" data-state="\w+">(.*?)<\/tr>/g)].map((m) => ({
    state: m[1] ?? '',
    text: (m[2] ?? '')
      .replace(/<wbr>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  }));
}

function route(over: Partial<RouteRow>): RouteRow {
  return {
    namespace: 'shop',
    ingress: 'web',
    host: 'shop.example',
    path: '/',
    state: 'probed',
    problems: [],
    last: { result: 'ok', statusCode: 200, durationSeconds: 0.01, at: NOW - 1000 },
    ...over,
  };
}

const DAY = 86_400;

describe('escapeHtml', () => {
  test('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(HOSTILE)).toBe('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#39;&#34;&#38;');
  });
});

describe('renderStatusPage', () => {
  test('every string from the cluster is escaped: check targets, errors, Ingress hosts, object names, plan text, node name', () => {
    const h = new ResultHistory();
    h.record(result({ prober: 'ingress', target: HOSTILE, ok: false, outcome: HOSTILE, detail: HOSTILE }));
    const html = page(h, {
      node: HOSTILE,
      readiness: { ready: false, reason: HOSTILE },
      cluster: {
        plan: null,
        services: [
          {
            namespace: HOSTILE,
            service: HOSTILE,
            ready: 0,
            notReady: 1,
            terminating: 0,
            selectorPods: 1,
            problems: [HOSTILE],
          },
        ],
        findings: [
          {
            severity: 'error',
            code: HOSTILE,
            object: { kind: HOSTILE, namespace: HOSTILE, name: HOSTILE },
            message: HOSTILE,
          },
        ],
        routes: [route({ host: HOSTILE, path: HOSTILE, ingress: HOSTILE, problems: [HOSTILE] })],
      },
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('alert("x")');
    expect(html).toContain('&#60;script&#62;');
    // Only the page's own markup has tags: one <style>, no scripts, no external references.
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  test('checks are listed failing first, then slow DNS, then ok; the summary counts them', () => {
    const h = new ResultHistory();
    h.record(result({ prober: 'dns', target: 'replica/a/fqdn', durationSeconds: 0.002, outcome: 'success' }));
    h.record(result({ prober: 'dns', target: 'replica/b/fqdn', durationSeconds: 0.15, outcome: 'success' }));
    h.record(result({ target: 'zz-blocked', ok: false, outcome: 'timeout (expected allow)' }));
    const html = page(h);
    expect(rows(html, 'checks').map((r) => [r.state, r.text.split(' ')[0]])).toEqual([
      ['failing', 'FAILING'],
      ['warning', 'SLOW'],
      ['ok', 'OK'],
    ]);
    expect(rows(html, 'checks')[0]?.text).toContain('zz-blocked');
    expect(rows(html, 'checks')[1]?.text).toContain('replica/b/fqdn');
    expect(html).toMatch(/3 checks<\/strong> &middot; <strong class="failing">1 failing<\/strong>/);
    expect(html).toContain('1 slow');
  });

  test('a failure stays in the history after the check recovers, and after it is no longer probed', () => {
    const h = new ResultHistory(200, () => NOW - 500);
    h.record(
      result({ target: 'db', ok: false, outcome: 'timeout', detail: 'declared TCP/5432', at: NOW - 9000 }),
    );
    h.record(
      result({ target: 'db', ok: false, outcome: 'timeout', detail: 'declared TCP/5432', at: NOW - 7000 }),
    );
    h.record(result({ target: 'db', ok: true, outcome: 'open', at: NOW - 5000 }));
    h.record(result({ target: 'gone', ok: false, outcome: 'refused', detail: 'port 81', at: NOW - 4000 }));
    h.retain('path', new Set(['db']));
    const html = page(h);
    const failures = rows(html, 'failures');
    expect(failures.map((f) => f.text.split(' ')[0])).toEqual(['REMOVED', 'RECOVERED']);
    expect(failures[0]?.text).toContain('refused');
    expect(failures[1]?.text).toMatch(/timeout declared TCP\/5432 2 /);
    expect(failures.every((f) => f.state === 'info')).toBe(true);
    // The recovered check shows its last error; the removed one is gone from the checks.
    const checks = rows(html, 'checks');
    expect(checks).toHaveLength(1);
    expect(checks[0]?.text).toMatch(
      /^OK path db open .* timeout: declared TCP\/5432 2026-03-01T11:59:53Z \(7s ago\)/,
    );
    expect(html).toContain('0 failing');
  });

  test('consecutive failures of one check are one episode; the bound drops ended episodes before ongoing ones', () => {
    const h = new ResultHistory(2);
    h.record(result({ target: 'a', ok: false, at: 1 }));
    h.record(result({ target: 'a', ok: false, at: 2 }));
    h.record(result({ target: 'b', ok: false, at: 3 }));
    h.record(result({ target: 'b', ok: true, at: 4 }));
    h.record(result({ target: 'c', ok: false, at: 5 }));
    const f = h.recentFailures();
    expect(f.map((x) => [x.target, x.count, x.ended])).toEqual([
      ['c', 1, null],
      ['a', 2, null],
    ]);
    h.record(result({ target: 'a', ok: false, at: 6 }));
    expect(h.recentFailures().map((x) => [x.target, x.count, x.firstAt, x.lastAt])).toEqual([
      ['a', 3, 1, 6],
      ['c', 1, 5, 5],
    ]);
  });

  test('node role: the plan in use with its DNS servers, paths and expectations, neighbours, and a rejected update', () => {
    const plan: Plan = {
      version: 1,
      generation: 7,
      generatedAt: '2026-03-01T11:58:00.000Z',
      clusterDomain: 'cluster.local',
      dns: { servers: [{ name: 'coredns-b', via: 'replica', address: '10.0.0.12', port: 53 }] },
      agents: {
        port: 9808,
        sentinelPort: 0,
        neighbourExpected: 'allow',
        sentinelExpected: 'unknown',
        ring: { k: 5, vnodes: 1 },
        list: [],
      },
      paths: [
        {
          name: 'checkout-to-payments-db',
          kind: 'declared',
          address: '10.0.5.1',
          port: 5432,
          protocol: 'TCP',
          check: 'connect',
          expected: 'allow',
          decidedBy: `allowed by payments/${HOSTILE}`,
        },
      ],
    };
    const html = page(new ResultHistory(), {
      nodeInfo: {
        plan,
        planAcceptedAt: NOW - 60_000,
        planError: 'paths.0.port: expected a number',
        neighbours: [{ node: 'node-b', address: '10.0.1.2' }],
      },
    });
    const section = html.slice(html.indexOf('<section id="plan">'));
    expect(section).toContain('<dd><span class="num">7</span></dd>');
    expect(section).toContain('2026-03-01T11:58:00Z</time> <span class="ago">(2m ago)</span>');
    expect(rows(html, 'plan').map((r) => r.text)).toEqual([
      'coredns-b replica 10.0.0.12:53',
      `checkout-to-payments-db declared 10.0.5.1:5432/TCP connect allow allowed by payments/${escapeHtml(HOSTILE)}`,
      'node-b 10.0.1.2:9808 allow',
    ]);
    expect(section).toMatch(/REJECTED.*paths\.0\.port: expected a number/);
    expect(html).toContain('plan generation 7');
  });

  test('node role without a plan says so', () => {
    const html = page(new ResultHistory(), {
      readiness: { ready: false, reason: 'no valid plan loaded yet' },
      nodeInfo: { plan: null, planAcceptedAt: null, planError: null, neighbours: [] },
    });
    expect(html).toMatch(/NOT READY<\/span> no valid plan loaded yet/);
    expect(html).toContain('No valid plan loaded yet');
    expect(html).toContain('No probe has run yet.');
  });

  test('cluster role: Services, routes and findings are marked with a word and sorted failing first', () => {
    const html = page(new ResultHistory(), {
      role: 'cluster',
      cluster: {
        plan: { generation: 3, generatedAt: '2026-03-01T11:00:00Z' },
        services: [
          {
            namespace: 'shop',
            service: 'orders',
            ready: 0,
            notReady: 0,
            terminating: 0,
            selectorPods: 0,
            problems: ['selector matches no pod'],
          },
        ],
        findings: [
          {
            severity: 'error',
            code: 'dns-egress-blocked',
            object: { kind: 'Pod', namespace: 'batch', name: 'x' },
            message: 'm',
          },
          {
            severity: 'info',
            code: 'c',
            object: { kind: 'Namespace', namespace: '', name: 'batch' },
            message: 'm',
          },
        ],
        routes: [
          route({ host: 'ok.example' }),
          route({
            host: 'down.example',
            last: { result: 'no_route', statusCode: 404, durationSeconds: 0, at: NOW },
          }),
        ],
      },
    });
    expect(rows(html, 'services')).toEqual([
      { state: 'failing', text: 'FAILING shop/orders selector matches no pod 0 0 0 0' },
    ]);
    expect(rows(html, 'routes').map((r) => `${r.state} ${r.text.split(' ').slice(0, 2).join(' ')}`)).toEqual([
      'failing FAILING down.example/',
      'ok OK ok.example/',
    ]);
    expect(rows(html, 'findings').map((r) => r.text)).toEqual([
      'ERROR dns-egress-blocked Pod batch/x m',
      'INFO c Namespace batch m',
    ]);
    expect(html).toContain('1 Service with endpoint problems');
    expect(html).toContain('1 of 2 Ingress routes failing');
    expect(html).toContain('2 policy findings (1 error)');
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
  });

  test('each route says where its probes go and where that address came from', () => {
    const html = page(new ResultHistory(), {
      role: 'cluster',
      cluster: {
        plan: null,
        services: [],
        findings: [],
        routes: [
          route({
            host: 'v6.example',
            via: { url: 'https://[fd00::7]:443', source: 'the Ingress status, inside statusAddressCidrs' },
          }),
        ],
      },
    });
    expect(rows(html, 'routes').map((r) => r.text)).toEqual([
      expect.stringContaining('https://[fd00::7]:443 from the Ingress status, inside statusAddressCidrs'),
    ]);
  });

  test('a healthy cluster shows no failing row and says what was checked', () => {
    const h = new ResultHistory();
    h.record(result({ prober: 'ingress', target: 'shop/web/shop.example/', outcome: 'ok' }));
    const html = page(h, {
      role: 'cluster',
      cluster: { plan: null, services: [], findings: [], routes: [route({})] },
    });
    expect(html).not.toContain('data-state="failing"');
    expect(html).toContain('Every Service has ready endpoints');
    expect(html).toContain('No failure since this agent started.');
  });
});

describe('markRoute', () => {
  const tls = (notAfterDays: number, hostnameMatch = true, verified = true) => ({
    notAfter: NOW / 1000 + notAfterDays * DAY,
    hostnameMatch,
    verified,
  });
  const last = (over: Partial<NonNullable<RouteRow['last']>>): RouteRow['last'] => ({
    result: 'ok',
    statusCode: 200,
    durationSeconds: 0.01,
    at: NOW,
    ...over,
  });
  test.each([
    ['ok with a long-lived certificate', route({ last: last({ tls: tls(90) }) }), 'ok', 'OK', []],
    [
      'certificate expiring in 5 days',
      route({ last: last({ tls: tls(5) }) }),
      'warning',
      'EXPIRING',
      ['certificate expires in 5.0d'],
    ],
    [
      'expired certificate',
      route({ last: last({ result: 'tls_error', tls: tls(-2) }) }),
      'failing',
      'FAILING',
      ['probe: tls_error', 'certificate expired 2.0d ago'],
    ],
    [
      'wrong host name',
      route({ last: last({ result: 'tls_error', tls: tls(300, false) }) }),
      'failing',
      'FAILING',
      ['probe: tls_error', 'certificate does not match the host name'],
    ],
    [
      'static problem on a route that still answers',
      route({ problems: ['backend_service_missing'] }),
      'failing',
      'FAILING',
      ['problem: backend_service_missing'],
    ],
    ['not probed yet', route({ last: null }), 'info', 'PENDING', []],
    [
      'unprobeable',
      route({ state: 'unprobeable', reason: 'regex_path', last: null }),
      'info',
      'NOT PROBED',
      ['unprobeable (regex_path)'],
    ],
  ])('%s', (_name, r, state, word, notes) => {
    expect(markRoute(r, NOW)).toEqual({ state, word, notes });
  });
});
