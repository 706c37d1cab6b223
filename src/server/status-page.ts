import type { Plan } from '../plan/schema.js';
import type { CheckView, FailureRecord } from '../runner/history.js';
import { joinHostPort } from '../net/address.js';

/**
 * The status page at `/`: one self-contained HTML document rendered from plain data (no scripts,
 * no external assets, inline <style> only, so it works under the server's strict CSP). Every string
 * that reaches the page may come from the cluster (object names, Ingress hosts, error text) and is
 * escaped here, in one place.
 */

/** A DNS answer slower than this is marked SLOW: in-cluster lookups normally take a millisecond or two. */
export const DNS_SLOW_SECONDS = 0.1;
/** A served certificate expiring within this many days is marked EXPIRING (the warning alert's default). */
export const TLS_WARNING_DAYS = 14;
/** How often the browser reloads the page (a meta refresh, not a script). */
export const REFRESH_SECONDS = 10;

/** A Service with something wrong with its endpoints (from the endpoint inventory's series). */
export interface ServiceProblem {
  namespace: string;
  service: string;
  ready: number;
  notReady: number;
  terminating: number;
  /** null for a Service without a selector. */
  selectorPods: number | null;
  /** Human-readable problems, e.g. "selector matches no pod". */
  problems: string[];
}

/** A live NetworkPolicy finding. */
export interface PolicyFindingRow {
  severity: 'error' | 'warning' | 'info';
  code: string;
  object: { kind: string; namespace: string; name: string };
  message: string;
}

/** The certificate the controller served for a route's host. */
export interface RouteTls {
  /** Unix seconds. */
  notAfter: number;
  hostnameMatch: boolean;
  verified: boolean;
}

/** The last probe of an Ingress route. */
export interface RouteLast {
  result: string;
  statusCode: number;
  durationSeconds: number;
  at: number;
  tls?: RouteTls;
}

/** An Ingress route as the cluster role tracks it. */
export interface RouteRow {
  namespace: string;
  ingress: string;
  host: string;
  path: string;
  /** probed, unprobeable or disabled. */
  state: string;
  reason?: string;
  /** Where probes go (scheme://address) and where that address came from. */
  via?: { url: string; source: string };
  problems: string[];
  last: RouteLast | null;
}

/** What the cluster role's page shows besides the checks. */
export interface ClusterSections {
  plan: { generation: number; generatedAt: string } | null;
  /** Leader election among the cluster-role replicas (absent: not reported). */
  leader?: LeaderView;
  services: ServiceProblem[];
  findings: PolicyFindingRow[];
  routes: RouteRow[];
}

/** This replica's part in the leader election, and who led when. */
export interface LeaderView {
  enabled: boolean;
  identity: string;
  leading: boolean;
  /** The holder of the lease as last seen ('' when nobody holds it). */
  holder: string;
  /** Changes of the observed holder, oldest first (ms since the epoch). */
  history: Array<{ at: number; holder: string }>;
}

/** A neighbour node this agent probes. */
export interface Neighbour {
  node: string;
  address: string;
}

/** What the node role's page shows besides the checks: the plan in use. */
export interface NodeSections {
  plan: Plan | null;
  /** When the plan in use was accepted (ms since the epoch), null without one. */
  planAcceptedAt: number | null;
  /** Why the last plan update was rejected (the previous plan stays in use). */
  planError: string | null;
  neighbours: Neighbour[];
}

/** Everything the page shows. */
export interface StatusPageData {
  role: 'cluster' | 'node';
  /** Node name for the node role. */
  node?: string;
  version: string;
  /** Render time (ms since the epoch); every "ago" is relative to it. */
  now: number;
  readiness: { ready: boolean; reason: string };
  checks: CheckView[];
  failures: FailureRecord[];
  cluster?: ClusterSections;
  nodeInfo?: NodeSections;
  /** Caches whose watch has been failing (the API unreachable): what the page shows may be old. */
  stale?: Array<{ resource: string; seconds: number }>;
}

/** How a row is marked: the CSS class and data-state value. */
export type RowState = 'failing' | 'warning' | 'ok' | 'info';

/** A row's state and the word shown with it (colour is never the only signal). */
export interface Mark {
  state: RowState;
  word: string;
  notes: string[];
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const esc = escapeHtml;

/** Sort order of rows: failing first. */
const RANK: Record<RowState, number> = { failing: 0, warning: 1, info: 2, ok: 3 };

/** How a check is marked: failing, slow (DNS above DNS_SLOW_SECONDS) or ok. */
export function markCheck(c: CheckView): Mark {
  if (!c.ok) return { state: 'failing', word: 'FAILING', notes: [] };
  if (c.prober === 'dns' && c.durationSeconds >= DNS_SLOW_SECONDS)
    return { state: 'warning', word: 'SLOW', notes: [`slower than ${DNS_SLOW_SECONDS * 1000} ms`] };
  return { state: 'ok', word: 'OK', notes: [] };
}

function tlsNotes(tls: RouteTls | undefined, now: number): { bad: string[]; warn: string[] } {
  if (tls === undefined) return { bad: [], warn: [] };
  const bad: string[] = [];
  const warn: string[] = [];
  if (!tls.hostnameMatch) bad.push('certificate does not match the host name');
  if (!tls.verified) bad.push('certificate chain not verified');
  const left = tls.notAfter * 1000 - now;
  if (left <= 0) bad.push(`certificate expired ${duration(-left)} ago`);
  else if (left < TLS_WARNING_DAYS * 86_400_000) warn.push(`certificate expires in ${duration(left)}`);
  return { bad, warn };
}

/** How an Ingress route is marked, with the reasons. */
export function markRoute(r: RouteRow, now: number): Mark {
  const problems = r.problems.map((p) => `problem: ${p}`);
  if (r.state !== 'probed') {
    const notes = [...problems, `${r.state}${r.reason === undefined ? '' : ` (${r.reason})`}`];
    return problems.length > 0
      ? { state: 'failing', word: 'FAILING', notes }
      : { state: 'info', word: 'NOT PROBED', notes };
  }
  const last = r.last;
  if (last === null)
    return { state: problems.length > 0 ? 'failing' : 'info', word: 'PENDING', notes: problems };
  const tls = tlsNotes(last.tls, now);
  const result = last.result === 'ok' ? [] : [`probe: ${last.result}`];
  const bad = [...result, ...problems, ...tls.bad];
  if (bad.length > 0) return { state: 'failing', word: 'FAILING', notes: [...bad, ...tls.warn] };
  if (tls.warn.length > 0) return { state: 'warning', word: 'EXPIRING', notes: tls.warn };
  return { state: 'ok', word: 'OK', notes: [] };
}

/** How a policy finding is marked, by severity. */
export function markFinding(f: PolicyFindingRow): Mark {
  if (f.severity === 'error') return { state: 'failing', word: 'ERROR', notes: [] };
  if (f.severity === 'warning') return { state: 'warning', word: 'WARNING', notes: [] };
  return { state: 'info', word: 'INFO', notes: [] };
}

// ---- formatting -------------------------------------------------------------------------------

/** A positive span of milliseconds in the largest sensible unit: "42s", "5m", "3.2h", "4.9d". */
function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A time as ISO plus how long ago (or from now). */
function when(ms: number | null, now: number): string {
  if (ms === null || !Number.isFinite(ms)) return '<span class="muted">never</span>';
  const delta = now - ms;
  const rel = delta >= 0 ? `${duration(delta)} ago` : `in ${duration(-delta)}`;
  return `<time datetime="${esc(iso(ms))}">${esc(iso(ms))}</time> <span class="ago">(${rel})</span>`;
}

function latency(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;
  return `${seconds.toFixed(2)} s`;
}

function badge(m: Pick<Mark, 'state' | 'word'>): string {
  return `<span class="badge ${m.state}">${esc(m.word)}</span>`;
}

function row(state: RowState, cells: string[]): string {
  return `<tr class="${state}" data-state="${state}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function table(headers: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function section(id: string, title: string, note: string, body: string): string {
  const lead = note === '' ? '' : `<p class="note">${note}</p>`;
  return `<section id="${id}"><h2>${esc(title)}</h2>${lead}${body}</section>`;
}

function lines(items: string[]): string {
  return items.map((i) => esc(i)).join('<br>');
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---- sections ---------------------------------------------------------------------------------

/** An identifier with break opportunities after its slashes (targets and routes are long). */
function ident(text: string): string {
  return `<code>${esc(text).replaceAll('/', '/<wbr>')}</code>`;
}

function checksSection(d: StatusPageData): string {
  const marked = d.checks.map((c) => ({ c, m: markCheck(c) }));
  marked.sort((a, b) => RANK[a.m.state] - RANK[b.m.state]);
  const rows = marked.map(({ c, m }) => {
    const lastError =
      c.lastFailure === null
        ? '<span class="muted">none</span>'
        : `${esc(c.lastFailure.outcome)}: ${esc(c.lastFailure.detail)}<br>${when(c.lastFailure.at, d.now)}`;
    return row(m.state, [
      badge(m),
      esc(c.prober),
      ident(c.target),
      esc(c.outcome),
      `<span class="num">${latency(c.durationSeconds)}</span>`,
      esc(c.detail),
      lastError,
      when(c.at, d.now),
    ]);
  });
  return section(
    'checks',
    'Checks',
    'The last result of every probe this agent runs, failing first.',
    table(
      ['State', 'Prober', 'Check', 'Outcome', 'Latency', 'Detail', 'Last error', 'Checked'],
      rows,
      'No probe has run yet.',
    ),
  );
}

function failuresSection(d: StatusPageData): string {
  const rows = d.failures.map((f) => {
    const m: Mark =
      f.ended === null
        ? { state: 'failing', word: 'ONGOING', notes: [] }
        : { state: 'info', word: f.ended === 'recovered' ? 'RECOVERED' : 'REMOVED', notes: [] };
    return row(m.state, [
      badge(m),
      `${esc(f.prober)} ${ident(f.target)}`,
      esc(f.outcome),
      esc(f.detail),
      `<span class="num">${f.count}</span>`,
      when(f.firstAt, d.now),
      when(f.lastAt, d.now),
      f.endedAt === null ? '<span class="muted">-</span>' : when(f.endedAt, d.now),
    ]);
  });
  return section(
    'failures',
    'Recent failures',
    'Failure episodes (consecutive failing results of one check), kept after the check recovers or is no longer probed; the most recent first.',
    table(
      ['State', 'Check', 'Outcome', 'Last error', 'Results', 'First failed', 'Last failed', 'Ended'],
      rows,
      'No failure since this agent started.',
    ),
  );
}

function servicesSection(services: ServiceProblem[]): string {
  const rows = services.map((s) =>
    row('failing', [
      badge({ state: 'failing', word: 'FAILING' }),
      `<code>${esc(s.namespace)}/${esc(s.service)}</code>`,
      lines(s.problems),
      `<span class="num">${s.ready}</span>`,
      `<span class="num">${s.notReady}</span>`,
      `<span class="num">${s.terminating}</span>`,
      s.selectorPods === null
        ? '<span class="muted">no selector</span>'
        : `<span class="num">${s.selectorPods}</span>`,
    ]),
  );
  return section(
    'services',
    'Services with endpoint problems',
    'Services whose selector matches no pod, with no ready endpoint although pods match, or with a named targetPort no matching pod declares (as the alerts judge them; selector-less Services are not judged).',
    table(
      ['State', 'Service', 'Problems', 'Ready', 'Not ready', 'Terminating', 'Selector pods'],
      rows,
      'Every Service has ready endpoints, a selector that matches pods and resolved target ports.',
    ),
  );
}

function certCell(tls: RouteTls | undefined, now: number): string {
  if (tls === undefined) return '<span class="muted">-</span>';
  const expiry = `expires ${when(tls.notAfter * 1000, now)}`;
  const host = tls.hostnameMatch ? 'host name matches' : 'host name does not match';
  return `${expiry}<br>${esc(host)}, chain ${tls.verified ? 'verified' : 'not verified'}`;
}

function routesSection(routes: RouteRow[], now: number): string {
  const marked = routes.map((r) => ({ r, m: markRoute(r, now) }));
  marked.sort((a, b) => RANK[a.m.state] - RANK[b.m.state]);
  const rows = marked.map(({ r, m }) =>
    row(m.state, [
      badge(m),
      `<code>${esc(r.host === '' ? '*' : r.host)}${esc(r.path)}</code>`,
      `<code>${esc(r.namespace)}/${esc(r.ingress)}</code>`,
      r.via === undefined
        ? '<span class="muted">-</span>'
        : `<code>${esc(r.via.url)}</code><br><span class="muted">from ${esc(r.via.source)}</span>`,
      r.last === null
        ? '<span class="muted">not yet</span>'
        : `${esc(r.last.result)} <span class="muted">HTTP ${r.last.statusCode}, ${latency(r.last.durationSeconds)}</span><br>${when(r.last.at, now)}`,
      certCell(r.last?.tls, now),
      m.notes.length === 0 ? '<span class="muted">none</span>' : lines(m.notes),
    ]),
  );
  return section(
    'routes',
    'Ingress routes',
    `Every host and path of every Ingress, probed through its controller. Certificates expiring within ${TLS_WARNING_DAYS} days are marked EXPIRING.`,
    table(
      ['State', 'Route', 'Ingress', 'Probed via', 'Last probe', 'Certificate', 'Why'],
      rows,
      'No Ingress route found.',
    ),
  );
}

function findingsSection(findings: PolicyFindingRow[]): string {
  const rows = findings.map((f) => {
    const m = markFinding(f);
    const obj = f.object.namespace === '' ? f.object.name : `${f.object.namespace}/${f.object.name}`;
    return row(m.state, [
      badge(m),
      `<code>${esc(f.code)}</code>`,
      `${esc(f.object.kind)} <code>${esc(obj)}</code>`,
      esc(f.message),
    ]);
  });
  return section(
    'findings',
    'NetworkPolicy findings',
    'What the policy engine finds in the live policies: blocked DNS, Ingress backends the controller may not reach, Services nobody may reach, namespaces without default-deny.',
    table(['Severity', 'Finding', 'Object', 'Why'], rows, 'No finding.'),
  );
}

function planSummary(n: NodeSections, now: number): string {
  const plan = n.plan;
  const error =
    n.planError === null
      ? ''
      : `<p class="banner failing" data-state="failing">${badge({ state: 'failing', word: 'REJECTED' })} The last plan update was rejected; the previous plan stays in use: ${esc(n.planError)}</p>`;
  if (plan === null)
    return `${error}<p class="banner warning" data-state="warning">${badge({ state: 'warning', word: 'NO PLAN' })} No valid plan loaded yet: nothing but the resolver is probed.</p>`;
  const facts: Array<[string, string]> = [
    ['Generation', `<span class="num">${plan.generation}</span>`],
    ['Generated', when(Date.parse(plan.generatedAt), now)],
    ['Last accepted', when(n.planAcceptedAt, now)],
    ['Cluster domain', `<code>${esc(plan.clusterDomain)}</code>`],
  ];
  const dl = facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('');
  return `${error}<dl>${dl}</dl>`;
}

/** The Kubernetes API has been unreachable: the inventory shown is the last one seen. */
function staleBanner(d: StatusPageData): string {
  const stale = d.stale ?? [];
  if (stale.length === 0) return '';
  const longest = Math.max(...stale.map((s) => s.seconds));
  const what = stale.map((s) => esc(s.resource)).join(', ');
  return `<p class="banner warning" data-state="warning" id="stale">${badge({ state: 'warning', word: 'STALE' })} The Kubernetes API has been unreachable for ${longest} s: ${what} may be out of date; probes go on with the last known targets.</p>`;
}

function planSection(n: NodeSections, now: number): string {
  const plan = n.plan;
  if (plan === null) return section('plan', 'Plan in use', '', planSummary(n, now));
  const servers = plan.dns.servers.map((s) =>
    row('info', [esc(s.name), esc(s.via), `<code>${esc(joinHostPort(s.address, s.port))}</code>`]),
  );
  const paths = plan.paths.map((p) =>
    row('info', [
      `<code>${esc(p.name)}</code>`,
      esc(p.kind),
      `<code>${esc(p.address)}:${p.port}/${esc(p.protocol)}</code>`,
      esc(p.check),
      `<strong>${esc(p.expected)}</strong>`,
      esc(p.decidedBy),
    ]),
  );
  const neighbours = n.neighbours.map((nb) =>
    row('info', [
      esc(nb.node),
      `<code>${esc(nb.address)}:${plan.agents.port}</code>`,
      `<strong>${esc(plan.agents.neighbourExpected)}</strong>`,
    ]),
  );
  return section(
    'plan',
    'Plan in use',
    'What the cluster role told this agent to probe, with the verdict the policy engine expects for each path.',
    [
      planSummary(n, now),
      '<h3>DNS servers</h3>',
      table(['Name', 'Found via', 'Address'], servers, 'The plan lists no DNS server.'),
      '<h3>Paths</h3>',
      table(['Path', 'Kind', 'Target', 'Check', 'Expected', 'Decided by'], paths, 'The plan lists no path.'),
      '<h3>Neighbours</h3>',
      table(['Node', 'Address', 'Expected'], neighbours, 'This agent probes no neighbour.'),
    ].join(''),
  );
}

// ---- page -------------------------------------------------------------------------------------

function leaderSection(l: LeaderView, now: number): string {
  const role = !l.enabled
    ? 'leader (election disabled: one replica)'
    : l.leading
      ? 'leader'
      : `standby (leader: ${l.holder === '' ? 'none' : l.holder})`;
  const banner =
    l.enabled && !l.leading && l.holder === ''
      ? `<p class="banner warning" data-state="warning">${badge({ state: 'warning', word: 'NO LEADER' })} No replica holds the leader lease: the plan is not published and routes are not probed.</p>`
      : '';
  const rows = [...l.history]
    .reverse()
    .map((e) =>
      row('info', [
        when(e.at, now),
        e.holder === '' ? '<span class="muted">none</span>' : `<code>${esc(e.holder)}</code>`,
      ]),
    );
  return section(
    'leader',
    'Leader election',
    '',
    [
      banner,
      `<dl><dt>This replica</dt><dd><code>${esc(l.identity)}</code>: ${esc(role)}</dd></dl>`,
      l.enabled ? table(['Seen', 'Leader'], rows, 'No leader seen yet.') : '',
    ].join(''),
  );
}

function summary(d: StatusPageData): string {
  const failing = d.checks.filter((c) => markCheck(c).state === 'failing').length;
  const slow = d.checks.filter((c) => markCheck(c).state === 'warning').length;
  const ongoing = d.failures.filter((f) => f.ended === null).length;
  const parts = [
    `<strong>${count(d.checks.length, 'check')}</strong>`,
    `<strong class="${failing > 0 ? 'failing' : 'ok'}">${failing} failing</strong>`,
  ];
  if (slow > 0) parts.push(`<strong class="warning">${slow} slow</strong>`);
  parts.push(`${count(d.failures.length, 'recent failure')} (${ongoing} ongoing)`);
  const c = d.cluster;
  if (c !== undefined) {
    const routes = c.routes.filter((r) => markRoute(r, d.now).state === 'failing').length;
    const errors = c.findings.filter((f) => f.severity === 'error').length;
    parts.push(
      `<span class="${c.services.length > 0 ? 'failing' : 'ok'}">${count(c.services.length, 'Service')} with endpoint problems</span>`,
      `<span class="${routes > 0 ? 'failing' : 'ok'}">${routes} of ${count(c.routes.length, 'Ingress route')} failing</span>`,
      `<span class="${errors > 0 ? 'failing' : 'ok'}">${count(c.findings.length, 'policy finding')} (${count(errors, 'error')})</span>`,
    );
  }
  const plan = d.nodeInfo?.plan ?? d.cluster?.plan;
  if (plan) parts.push(`plan generation ${plan.generation}`);
  return `<p class="summary" id="summary">${parts.join(' &middot; ')}</p>`;
}

function header(d: StatusPageData): string {
  const who = d.role === 'node' ? `node role on ${esc(d.node ?? '?')}` : 'cluster role';
  const ready = d.readiness.ready
    ? badge({ state: 'ok', word: 'READY' })
    : `${badge({ state: 'warning', word: 'NOT READY' })} ${esc(d.readiness.reason)}`;
  return [
    `<header><h1>netprobe <span class="role">${who}</span></h1>`,
    `<p class="meta">${ready} &middot; version ${esc(d.version)} &middot; rendered ${when(d.now, d.now)} &middot; reloads every ${REFRESH_SECONDS} s &middot; JSON at <a href="status">/status</a>, metrics at <a href="metrics">/metrics</a></p>`,
    `</header>`,
  ].join('');
}

const STYLE = `
:root{color-scheme:light;--bad:#b3261e;--bad-bg:#fdecea;--warn:#8a5300;--warn-bg:#fff4dc;--ok:#1e6b34;--ok-bg:#e6f4ea;--info:#4a5563;--info-bg:#eef1f5;--line:#d8dde4}
*{box-sizing:border-box}
body{margin:0;padding:20px 28px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1f24;background:#fafbfc}
header{border-bottom:1px solid var(--line);margin-bottom:12px}
h1{font-size:22px;margin:0 0 4px}h1 .role{font-weight:400;color:var(--info)}
h2{font-size:17px;margin:26px 0 4px}h3{font-size:14px;margin:16px 0 6px;color:var(--info)}
.meta{margin:0 0 12px;color:var(--info)}.meta a{color:inherit}
.summary{font-size:15px;padding:10px 14px;background:#fff;border:1px solid var(--line);border-radius:6px}
.summary .failing{color:var(--bad)}.summary .ok{color:var(--ok)}.summary .warning{color:var(--warn)}
.note{margin:0 0 8px;color:var(--info)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{background:#f1f3f6;font-weight:600;white-space:nowrap}
td{overflow-wrap:break-word}
tr.failing td{background:var(--bad-bg)}tr.warning td{background:var(--warn-bg)}
tr.failing td:first-child{box-shadow:inset 4px 0 var(--bad)}tr.warning td:first-child{box-shadow:inset 4px 0 var(--warn)}
.badge{display:inline-block;min-width:5.5em;text-align:center;font-size:11px;font-weight:700;letter-spacing:.04em;padding:2px 6px;border-radius:3px;white-space:nowrap}
.badge.failing{background:var(--bad);color:#fff}.badge.warning{background:#f0b429;color:#3d2600}
.badge.ok{background:var(--ok-bg);color:var(--ok);border:1px solid #a8d5b5}.badge.info{background:var(--info-bg);color:var(--info);border:1px solid var(--line)}
code{font:12.5px/1.3 ui-monospace,"DejaVu Sans Mono",Menlo,monospace}
.num{font-variant-numeric:tabular-nums;white-space:nowrap}
time{white-space:nowrap}
.muted,.ago{color:#6b7480}
.empty{padding:8px 12px;background:#fff;border:1px dashed var(--line);color:var(--info)}
.banner{padding:8px 12px;border-radius:4px}.banner.failing{background:var(--bad-bg)}.banner.warning{background:var(--warn-bg)}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:6px 0}dt{color:var(--info)}dd{margin:0}
`;

/** Renders the whole status page. */
export function renderStatusPage(d: StatusPageData): string {
  const sections = [checksSection(d)];
  if (d.cluster !== undefined) {
    if (d.cluster.leader !== undefined) sections.push(leaderSection(d.cluster.leader, d.now));
    sections.push(
      servicesSection(d.cluster.services),
      routesSection(d.cluster.routes, d.now),
      findingsSection(d.cluster.findings),
    );
  }
  if (d.nodeInfo !== undefined) sections.push(planSection(d.nodeInfo, d.now));
  sections.push(failuresSection(d));
  const title = d.role === 'node' ? `netprobe node ${d.node ?? ''}` : 'netprobe cluster';
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty icon: otherwise the browser asks for /favicon.ico and logs the 404 as an error.
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    header(d),
    staleBanner(d),
    summary(d),
    ...sections,
    '</body></html>',
  ].join('\n');
}
