import type { DnsCheckConfig } from '../config/schema.js';
import type { Family } from '../net/address.js';
import type { DnsOutcome, DnsResult } from '../probers/dns.js';
import type { IngressPhases, IngressProbeResult, IngressResult } from '../probers/ingress.js';
import { compare, type PathKind, type PathOutcome, type PathResult } from '../probers/path.js';
import type { PlanPath } from '../plan/schema.js';
import type { ResultHistory } from '../runner/history.js';
import type { RouteLast } from '../server/status-page.js';
import type { TargetSink, TargetSpec } from '../runner/targets.js';
import type { Metrics } from './catalog.js';
import { SeriesTracker } from './series.js';

/*
 * The recorders: one per kind of target, turning its results into series (declared in the catalog)
 * and into the results model (ResultHistory) that the status page, /status and doctor read. Each
 * owns the series of its targets by target key, so a removed target removes exactly its series.
 */

const DNS_RESULTS: readonly DnsOutcome[] = ['success', 'nxdomain', 'servfail', 'refused', 'timeout', 'error'];
const PATH_RESULTS: readonly PathOutcome[] = [
  'open',
  'refused',
  'timeout',
  'unreachable',
  'no_answer',
  'error',
];

/** A DNS (server, check) pair as the node agent probes it. */
export interface DnsTarget extends TargetSpec<DnsResult> {
  labels: { node: string; check: string; via: string; server: string; family: Family };
  check: DnsCheckConfig;
}

/** Writes DNS results; the search-cost gauge is per check, kept while a search check exists. */
export class DnsRecorder implements TargetSink<DnsTarget, DnsResult> {
  private readonly series = new SeriesTracker();
  /** Failed lookups in a row per target, for netprobe_dns_consecutive_failures. */
  private readonly streak = new Map<string, number>();

  constructor(
    private readonly m: Metrics['dns'],
    private readonly history: ResultHistory,
  ) {}

  added(t: DnsTarget): void {
    // Every result value exists from the start, so rate() and ratios work before the first failure.
    for (const result of DNS_RESULTS) {
      this.m.lookups.inc({ ...t.labels, result }, 0);
      this.series.track(t.key, this.m.lookups, { ...t.labels, result });
    }
    this.series.track(t.key, this.m.lookupDuration, t.labels);
  }

  result(t: DnsTarget, r: DnsResult): void {
    this.m.lookups.inc({ ...t.labels, result: r.outcome });
    this.m.lookupDuration.observe(t.labels, r.durationSeconds);
    // A gauge of the current streak lets alerts see "failing now" without a rate window.
    const failures = r.outcome === 'success' ? 0 : (this.streak.get(t.key) ?? 0) + 1;
    this.streak.set(t.key, failures);
    this.m.consecutiveFailures.set(t.labels, failures);
    this.series.track(t.key, this.m.consecutiveFailures, t.labels);
    if (t.check.mode === 'search') {
      const labels = { node: t.labels.node, check: t.check.name };
      this.m.searchQueries.set(labels, r.queries);
      this.series.track(`check/${t.check.name}`, this.m.searchQueries, labels);
    }
    this.history.record({
      prober: 'dns',
      target: t.key,
      ok: r.outcome === 'success',
      outcome: r.outcome,
      durationSeconds: r.durationSeconds,
      detail: r.detail ?? `${r.queries} quer${r.queries === 1 ? 'y' : 'ies'}, rcode ${r.rcode ?? '-'}`,
      at: Date.now(),
    });
  }

  removed(key: string): void {
    // A server that left the plan or moved to another address starts a new streak.
    this.streak.delete(key);
    this.series.drop(key);
    this.history.remove('dns', key);
  }

  /** Drops the search-cost gauge of checks that are no longer search checks. */
  retainChecks(searchChecks: readonly string[]): void {
    const keep = new Set(searchChecks.map((c) => `check/${c}`));
    for (const key of this.series.targets()) {
      if (key.startsWith('check/') && !keep.has(key)) this.series.drop(key);
    }
  }
}

/** A path as the node agent probes it. */
export interface PathTarget extends TargetSpec<PathResult> {
  labels: { node: string; path: string; kind: PathKind; family: Family };
  expected: PlanPath['expected'];
  protocol: 'TCP' | 'UDP';
  port: number;
  /** Its row in the results model. */
  row: string;
}

/**
 * Writes path results. The counters are keyed by the path's identity; the expectation is its own
 * gauge, moved to its new label when a policy change flips it, so rate() windows survive.
 */
export class PathRecorder implements TargetSink<PathTarget, PathResult> {
  private readonly series = new SeriesTracker();
  private readonly expectations = new SeriesTracker();
  private readonly rows = new Map<string, string>();

  constructor(
    private readonly m: Metrics['path'],
    private readonly history: ResultHistory,
  ) {}

  added(t: PathTarget): void {
    for (const result of PATH_RESULTS) {
      this.m.probes.inc({ ...t.labels, result }, 0);
      this.series.track(t.key, this.m.probes, { ...t.labels, result });
    }
    this.series.track(t.key, this.m.reachable, t.labels);
    this.kept(t);
  }

  kept(t: PathTarget): void {
    this.expectations.drop(t.key);
    this.m.expected.set({ ...t.labels, expected: t.expected }, 1);
    this.expectations.track(t.key, this.m.expected, { ...t.labels, expected: t.expected });
    this.rows.set(t.key, t.row);
  }

  result(t: PathTarget, r: PathResult): void {
    this.m.probes.inc({ ...t.labels, result: r.outcome });
    this.m.duration.observe({ node: t.labels.node, kind: t.labels.kind }, r.durationSeconds);
    // An inconclusive result (local error) leaves no sample, so it can never fire a mismatch alert.
    if (r.verdict === 'inconclusive') this.m.reachable.remove(t.labels);
    else this.m.reachable.set(t.labels, r.verdict === 'reachable' ? 1 : 0);
    const verdict = compare(t.expected, r.verdict);
    this.history.record({
      prober: 'path',
      target: t.row,
      ok:
        r.verdict !== 'inconclusive' &&
        verdict !== 'blocked_but_allowed' &&
        verdict !== 'reachable_but_denied',
      outcome: `${r.outcome} (expected ${t.expected})`,
      durationSeconds: r.durationSeconds,
      detail: `${t.labels.kind} ${t.protocol}/${t.port} ${r.errno ?? ''} ${r.reason ?? ''}`.trim(),
      at: Date.now(),
    });
  }

  removed(key: string): void {
    this.series.drop(key);
    this.expectations.drop(key);
    const row = this.rows.get(key);
    this.rows.delete(key);
    if (row !== undefined) this.history.remove('path', row);
  }
}

/** How one probe of the API server's /readyz ended. */
export interface ApiserverResult {
  result: 'ok' | 'not_ready' | 'error';
  status: number;
  durationSeconds: number;
  detail: string;
}

/** The API server /readyz target of the cluster role (one, with no labels of its own). */
export type ApiserverTarget = TargetSpec<ApiserverResult>;

const APISERVER_RESULTS: ReadonlyArray<ApiserverResult['result']> = ['ok', 'not_ready', 'error'];

/** Writes API server readiness: series exist from the start and go when the target does. */
export class ApiserverRecorder implements TargetSink<ApiserverTarget, ApiserverResult> {
  private readonly series = new SeriesTracker();

  constructor(
    private readonly m: Metrics['kube'],
    private readonly history: ResultHistory,
  ) {}

  added(t: ApiserverTarget): void {
    for (const result of APISERVER_RESULTS) {
      this.m.apiserverProbes.inc({ result }, 0);
      this.series.track(t.key, this.m.apiserverProbes, { result });
    }
    this.series.track(t.key, this.m.apiserverProbeDuration, {});
  }

  result(t: ApiserverTarget, r: ApiserverResult): void {
    this.m.apiserverProbes.inc({ result: r.result });
    this.m.apiserverProbeDuration.observe(r.durationSeconds);
    this.m.apiserverReady.set(r.result === 'ok' ? 1 : 0);
    this.series.track(t.key, this.m.apiserverReady, {});
    this.history.record({
      prober: 'apiserver',
      target: t.key,
      ok: r.result === 'ok',
      outcome: r.result,
      durationSeconds: r.durationSeconds,
      detail: r.detail,
      at: Date.now(),
    });
  }

  removed(key: string): void {
    this.series.drop(key);
    this.history.remove('apiserver', key);
  }
}

/** The labels of one Ingress route (host and path as the Ingress spells them). */
export interface RouteLabels {
  namespace: string;
  ingress: string;
  host: string;
  path: string;
}

/** An Ingress route as a probe target; `scheme` decides whether it has TLS series. */
export interface IngressTarget extends TargetSpec<IngressProbeResult> {
  labels: RouteLabels;
  scheme: 'http' | 'https';
  /** scheme://address, for the results model's detail. */
  via: string;
  row: string;
}

const INGRESS_RESULTS: readonly IngressResult[] = [
  'ok',
  'no_route',
  'backend_unavailable',
  'server_error',
  'unexpected_status',
  'timeout',
  'connect_error',
  'tls_error',
  'protocol_error',
];
const INGRESS_PHASES: ReadonlyArray<keyof IngressPhases> = [
  'resolve',
  'connect',
  'tls',
  'processing',
  'transfer',
];

/**
 * Writes Ingress route results and keeps each route's last result for the status page. TLS series
 * are per host: they stay while any https route of the host is a target.
 */
export class IngressRecorder implements TargetSink<IngressTarget, IngressProbeResult> {
  private readonly series = new SeriesTracker();
  private readonly last = new Map<string, RouteLast>();
  private readonly rows = new Map<string, string>();
  /** TLS host series id -> route keys that keep it. */
  private readonly hosts = new Map<string, Set<string>>();
  private readonly hostOf = new Map<string, string>();

  constructor(
    private readonly m: Metrics['ingress'],
    private readonly history: ResultHistory,
  ) {}

  added(t: IngressTarget): void {
    const l = t.labels;
    for (const result of INGRESS_RESULTS) {
      this.m.probes.inc({ ...l, result }, 0);
      this.series.track(t.key, this.m.probes, { ...l, result });
    }
    this.series.track(t.key, this.m.routeUp, l);
    this.series.track(t.key, this.m.statusCode, l);
    this.series.track(t.key, this.m.duration, l);
    for (const phase of INGRESS_PHASES) this.series.track(t.key, this.m.phase, { ...l, phase });
    this.rows.set(t.key, t.row);
    if (t.scheme !== 'https') return;
    const host = hostLabels(l);
    const id = `tls${JSON.stringify(Object.values(host))}`;
    const keepers = this.hosts.get(id) ?? new Set<string>();
    keepers.add(t.key);
    this.hosts.set(id, keepers);
    this.hostOf.set(t.key, id);
    this.series.track(id, this.m.certExpiry, host);
    this.series.track(id, this.m.certHostnameMatch, host);
    this.series.track(id, this.m.certVerified, host);
  }

  result(t: IngressTarget, r: IngressProbeResult): void {
    const l = t.labels;
    this.m.routeUp.set(l, r.result === 'ok' ? 1 : 0);
    this.m.probes.inc({ ...l, result: r.result });
    this.m.statusCode.set(l, r.statusCode);
    this.m.duration.observe(l, r.durationSeconds);
    for (const phase of INGRESS_PHASES) this.m.phase.set({ ...l, phase }, r.phases[phase]);
    if (t.scheme === 'https' && r.tls !== undefined) {
      const host = hostLabels(l);
      this.m.certExpiry.set(host, r.tls.notAfter);
      this.m.certHostnameMatch.set(host, r.tls.hostnameMatch ? 1 : 0);
      this.m.certVerified.set(host, r.tls.verified ? 1 : 0);
    }
    const at = Date.now();
    this.last.set(t.key, {
      result: r.result,
      statusCode: r.statusCode,
      durationSeconds: r.durationSeconds,
      at,
      ...(r.tls === undefined
        ? {}
        : {
            tls: { notAfter: r.tls.notAfter, hostnameMatch: r.tls.hostnameMatch, verified: r.tls.verified },
          }),
    });
    this.history.record({
      prober: 'ingress',
      target: t.row,
      ok: r.result === 'ok',
      outcome: r.result,
      durationSeconds: r.durationSeconds,
      detail: `${t.via} ${r.statusCode} ${r.error ?? ''}`.trim(),
      at,
    });
  }

  removed(key: string): void {
    this.series.drop(key);
    this.last.delete(key);
    const row = this.rows.get(key);
    this.rows.delete(key);
    if (row !== undefined) this.history.remove('ingress', row);
    const id = this.hostOf.get(key);
    this.hostOf.delete(key);
    if (id === undefined) return;
    const keepers = this.hosts.get(id);
    keepers?.delete(key);
    if (keepers !== undefined && keepers.size > 0) return;
    this.hosts.delete(id);
    this.series.drop(id);
  }

  /** The route's last result (the status page's "last probe"), null before the first one. */
  lastOf(key: string): RouteLast | null {
    return this.last.get(key) ?? null;
  }
}

function hostLabels(l: RouteLabels): { namespace: string; ingress: string; host: string } {
  return { namespace: l.namespace, ingress: l.ingress, host: l.host };
}
