import { readFileSync } from 'node:fs';
import {
  buildIngressRoutes,
  routeOptionsFrom,
  checkRoute,
  type IngressRoute,
  type RouteCounts,
  type RouteLookups,
  type RouteProbe,
} from '../inventory/ingress-routes.js';
import type { EndpointSliceP } from '../kube/projections.js';
import { SeriesTracker } from '../metrics/series.js';
import {
  classify,
  createIngressTrust,
  fingerprintDefaultBackend,
  probeIngressRoute,
  type IngressPhases,
  type IngressProbeResult,
  type IngressResult,
  type IngressTrust,
  type ResponseFingerprint,
} from '../probers/ingress.js';
import { debounce } from '../runner/debounce.js';
import type { Job } from '../runner/scheduler.js';
import type { RouteLast, RouteRow } from '../server/status-page.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';
import type { Runtime } from './runtime.js';

const RESULTS: readonly IngressResult[] = [
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
const PHASES: ReadonlyArray<keyof IngressPhases> = ['resolve', 'connect', 'tls', 'processing', 'transfer'];
/** A controller's default backend rarely changes; a redeploy that changes it is caught within this. */
const FINGERPRINT_MAX_AGE_MS = 5 * 60_000;

type RouteLabels = { namespace: string; ingress: string; host: string; path: string };

/** What the status page shows of a route's last probe. */
type LastResult = RouteLast & { result: IngressResult };

/** One route as this feature tracks it, rebuilt on every recompute. */
interface RouteEntry {
  key: string;
  labels: RouteLabels;
  route: IngressRoute;
  problems: string[];
  last?: LastResult;
}

/** The default-backend fingerprint of one controller address. */
interface Fingerprint {
  value?: ResponseFingerprint;
  /** When the last attempt started (0: never). */
  attemptedAt: number;
  inFlight?: Promise<void>;
}

/** The feature's state between recomputations. */
interface State {
  routes: Map<string, RouteEntry>;
  counts: RouteCounts;
  issues: number;
  loggedIssues: Set<string>;
  fingerprints: Map<string, Fingerprint>;
}

/** The Ingress feature of the cluster role: discovers routes, checks them statically, probes them through the controller. */
export function createIngressFeature(ctx: ClusterContext): ClusterFeature {
  const { rt, cache } = ctx;
  const cfg = rt.config.cluster.ingress;
  if (!cfg.enabled)
    return {
      name: 'ingress',
      start: () => undefined,
      status: () => ({ enabled: false }),
      stop: () => undefined,
    };
  const trust = readTrust(rt, cfg.caFile);
  const series = new SeriesTracker();
  const state: State = {
    routes: new Map(),
    counts: { probed: 0, unprobeable: 0, disabled: 0, invalid_host: 0 },
    issues: 0,
    loggedIssues: new Set(),
    fingerprints: new Map(),
  };
  let started = false;
  let stopped = false;

  const fingerprint = (probe: RouteProbe): Fingerprint => {
    const key = addressKey(probe);
    let fp = state.fingerprints.get(key);
    if (fp === undefined) {
      fp = { attemptedAt: 0 };
      state.fingerprints.set(key, fp);
    }
    return fp;
  };

  const refresh = (probe: RouteProbe, fp: Fingerprint): Promise<void> => {
    fp.inFlight ??= (async () => {
      fp.attemptedAt = Date.now();
      const controller = {
        scheme: probe.scheme,
        address: probe.address,
        maxBodyBytes: cfg.maxBodyBytes,
        trust,
      };
      try {
        // Without a fingerprint nothing can be called no_route: a stale one could misjudge real answers.
        fp.value = await fingerprintDefaultBackend(controller, AbortSignal.timeout(cfg.timeout * 1000));
        if (fp.value === undefined)
          rt.logger.warn('no default-backend fingerprint', { controller: addressKey(probe) });
      } finally {
        fp.inFlight = undefined;
      }
    })();
    return fp.inFlight;
  };

  const fingerprintFor = async (
    probe: RouteProbe,
    signal: AbortSignal,
  ): Promise<ResponseFingerprint | undefined> => {
    const fp = fingerprint(probe);
    const age = Date.now() - fp.attemptedAt;
    // A failed attempt is retried at the probe interval, a good one every few minutes.
    const stale = fp.value === undefined ? age >= cfg.interval * 1000 : age >= FINGERPRINT_MAX_AGE_MS;
    const pending = fp.inFlight ?? (stale ? refresh(probe, fp) : undefined);
    if (pending !== undefined) await untilAborted(pending, signal);
    return fp.value;
  };

  const record = (key: string, probe: RouteProbe, r: IngressProbeResult): void => {
    // Recomputes replace entries often (every EndpointSlice change), so a probe records into the current one;
    // a probe that ends after its route was removed, disabled or moved to another scheme must not recreate series.
    const entry = state.routes.get(key);
    const current = entry?.route.state === 'probed' && entry.route.probe?.scheme === probe.scheme;
    if (stopped || entry === undefined || !current) return;
    recordResult(rt, entry, probe, r);
  };

  const makeJob = (entry: RouteEntry, probe: RouteProbe): Job => ({
    key: entry.key,
    intervalSeconds: cfg.interval,
    timeoutSeconds: cfg.timeout,
    run: async (signal) => {
      const target = { ...probe, maxBodyBytes: cfg.maxBodyBytes, trust };
      const raw = await probeIngressRoute(target, signal);
      const noRoute = probe.detectNoRoute ? await fingerprintFor(probe, signal) : undefined;
      record(entry.key, probe, classify(raw, noRoute));
    },
  });

  const recompute = (): void => {
    if (stopped) return;
    const inv = buildIngressRoutes(
      [...cache.ingresses.list()],
      [...cache.ingressClasses.list()],
      routeOptionsFrom(cfg),
    );
    logIssues(rt, state, inv.issues);
    state.counts = inv.counts;
    state.issues = inv.issues.length;
    for (const [s, n] of Object.entries(inv.counts)) rt.metrics.ingress.routes.set({ state: s }, n);
    const lookups = cacheLookups(ctx);
    const next = new Map<string, RouteEntry>();
    const keep = new Set<string>();
    const jobs: Job[] = [];
    for (const route of inv.routes) {
      const labels = {
        namespace: route.namespace,
        ingress: route.ingress,
        host: route.host,
        path: route.path,
      };
      const key = JSON.stringify(Object.values(labels));
      // Two rules with the same host and path share one set of series: the first one wins, as in most controllers.
      if (next.has(key)) continue;
      const entry: RouteEntry = {
        key,
        labels,
        route,
        problems: checkRoute(route, lookups),
        last: state.routes.get(key)?.last,
      };
      next.set(key, entry);
      trackProblems(rt, series, entry, keep);
      if (route.state !== 'probed' || route.probe === undefined) continue;
      trackProbeSeries(rt, series, entry, route.probe, keep);
      jobs.push(makeJob(entry, route.probe));
    }
    state.routes = next;
    series.retain(keep);
    refreshFingerprints(state, inv.routes, refresh, fingerprint);
    rt.history.retain('ingress', new Set(jobs.map((j) => historyTarget(next.get(j.key)?.labels))));
    rt.scheduler.setJobs('ingress', jobs);
  };

  const update = debounce(recompute, 250, 1000);
  const trigger = (): void => {
    if (started && !stopped) update.trigger();
  };
  cache.ingresses.onChange(trigger);
  cache.ingressClasses.onChange(trigger);
  cache.services.onChange(trigger);
  cache.endpointSlices.onChange(trigger);

  const routeRows = (): RouteRow[] =>
    [...state.routes.values()].map((e) => ({
      ...e.labels,
      state: e.route.state,
      ...(e.route.reason === undefined ? {} : { reason: e.route.reason }),
      problems: e.problems,
      last: e.last ?? null,
    }));

  return {
    name: 'ingress',
    start: () => {
      started = true;
      recompute();
    },
    status: () => ({
      enabled: true,
      counts: state.counts,
      issues: state.issues,
      controllers: [...state.fingerprints].map(([address, fp]) => ({
        address,
        fingerprint: fp.value !== undefined,
        attemptedAt: fp.attemptedAt === 0 ? null : new Date(fp.attemptedAt).toISOString(),
      })),
      routes: routeRows(),
    }),
    sections: () => ({ routes: routeRows() }),
    stop: () => {
      stopped = true;
      update.cancel();
      rt.scheduler.setJobs('ingress', []);
    },
  };
}

/** The trust store, from caFile read once; an unreadable file is logged and the system roots are used. */
function readTrust(rt: Runtime, caFile: string | undefined): IngressTrust {
  if (caFile === undefined) return createIngressTrust();
  try {
    return createIngressTrust(readFileSync(caFile, 'utf8'));
  } catch (err) {
    rt.logger.error('cannot read cluster.ingress.caFile; verifying against the system CAs only', {
      err,
      caFile,
    });
    return createIngressTrust();
  }
}

/** Logs each distinct issue once, so a recompute on every event does not repeat them. */
function logIssues(
  rt: Runtime,
  state: State,
  issues: ReadonlyArray<{ namespace: string; ingress: string; reason: string; detail: string }>,
): void {
  const seen = new Set<string>();
  for (const i of issues) {
    const id = `${i.namespace}/${i.ingress} ${i.reason} ${i.detail}`;
    seen.add(id);
    if (!state.loggedIssues.has(id)) rt.logger.warn('ingress skipped in part', { ...i });
  }
  state.loggedIssues = seen;
}

/** Service and ready-endpoint lookups over the cache; ready counts are indexed once per recompute. */
function cacheLookups(ctx: ClusterContext): RouteLookups {
  const ready = new Map<string, number>();
  for (const s of ctx.cache.endpointSlices.list()) {
    const id = `${s.metadata.namespace}/${s.serviceName}`;
    ready.set(id, (ready.get(id) ?? 0) + readyCount(s));
  }
  return {
    service: (namespace, name) => {
      const svc = ctx.cache.services.get(name, namespace);
      return svc === undefined ? undefined : { type: svc.type, ports: svc.ports };
    },
    readyEndpoints: (namespace, name) => ready.get(`${namespace}/${name}`) ?? 0,
  };
}

function readyCount(slice: EndpointSliceP): number {
  return slice.endpoints.filter((e) => e.ready).length;
}

/** Sets the route's static problems; each is tracked on its own so a fixed problem's series goes away. */
function trackProblems(rt: Runtime, series: SeriesTracker, entry: RouteEntry, keep: Set<string>): void {
  for (const problem of entry.problems) {
    const labels = { ...entry.labels, problem };
    const id = `problem${entry.key}${problem}`;
    rt.metrics.ingress.problem.set(labels, 1);
    series.track(id, rt.metrics.ingress.problem, labels);
    keep.add(id);
  }
}

/** Pre-initialises a probed route's counters and tracks every series its probes will write. */
function trackProbeSeries(
  rt: Runtime,
  series: SeriesTracker,
  entry: RouteEntry,
  probe: RouteProbe,
  keep: Set<string>,
): void {
  const m = rt.metrics.ingress;
  const l = entry.labels;
  keep.add(entry.key);
  for (const result of RESULTS) {
    m.probes.inc({ ...l, result }, 0);
    series.track(entry.key, m.probes, { ...l, result });
  }
  series.track(entry.key, m.routeUp, l);
  series.track(entry.key, m.statusCode, l);
  series.track(entry.key, m.duration, l);
  for (const phase of PHASES) series.track(entry.key, m.phase, { ...l, phase });
  if (probe.scheme !== 'https') return;
  // TLS series are per host: every https path of the host keeps them alive.
  const host = { namespace: l.namespace, ingress: l.ingress, host: l.host };
  const id = `tls${JSON.stringify(Object.values(host))}`;
  keep.add(id);
  series.track(id, m.certExpiry, host);
  series.track(id, m.certHostnameMatch, host);
  series.track(id, m.certVerified, host);
}

/** Writes one probe result to the metrics, the route's status and the history. */
function recordResult(rt: Runtime, entry: RouteEntry, probe: RouteProbe, r: IngressProbeResult): void {
  const m = rt.metrics.ingress;
  const l = entry.labels;
  m.routeUp.set(l, r.result === 'ok' ? 1 : 0);
  m.probes.inc({ ...l, result: r.result });
  m.statusCode.set(l, r.statusCode);
  m.duration.observe(l, r.durationSeconds);
  for (const phase of PHASES) m.phase.set({ ...l, phase }, r.phases[phase]);
  if (probe.scheme === 'https' && r.tls !== undefined) {
    const host = { namespace: l.namespace, ingress: l.ingress, host: l.host };
    m.certExpiry.set(host, r.tls.notAfter);
    m.certHostnameMatch.set(host, r.tls.hostnameMatch ? 1 : 0);
    m.certVerified.set(host, r.tls.verified ? 1 : 0);
  }
  const at = Date.now();
  entry.last = {
    result: r.result,
    statusCode: r.statusCode,
    durationSeconds: r.durationSeconds,
    at,
    ...(r.tls === undefined
      ? {}
      : { tls: { notAfter: r.tls.notAfter, hostnameMatch: r.tls.hostnameMatch, verified: r.tls.verified } }),
  };
  rt.history.record({
    prober: 'ingress',
    target: historyTarget(l),
    ok: r.result === 'ok',
    outcome: r.result,
    durationSeconds: r.durationSeconds,
    detail:
      `${probe.scheme}://${probe.address.host}:${probe.address.port} ${r.statusCode} ${r.error ?? ''}`.trim(),
    at,
  });
}

/** Starts a fingerprint for every controller address that is new, and for all of them when the set changed. */
function refreshFingerprints(
  state: State,
  routes: readonly IngressRoute[],
  refresh: (probe: RouteProbe, fp: Fingerprint) => Promise<void>,
  fingerprint: (probe: RouteProbe) => Fingerprint,
): void {
  const wanted = new Map<string, RouteProbe>();
  for (const r of routes)
    if (r.state === 'probed' && r.probe?.detectNoRoute === true) wanted.set(addressKey(r.probe), r.probe);
  const before = [...state.fingerprints.keys()].sort().join(' ');
  for (const key of state.fingerprints.keys()) if (!wanted.has(key)) state.fingerprints.delete(key);
  if ([...wanted.keys()].sort().join(' ') === before) return;
  // A changed address set often means a redeployed controller: its default backend may have changed too.
  for (const probe of wanted.values()) void refresh(probe, fingerprint(probe));
}

function addressKey(probe: Pick<RouteProbe, 'scheme' | 'address'>): string {
  return `${probe.scheme}://${probe.address.host}:${probe.address.port}`;
}

/** The status-page target of a route: namespace/ingress/host+path. */
function historyTarget(l: RouteLabels | undefined): string {
  return l === undefined ? '' : `${l.namespace}/${l.ingress}/${l.host}${l.path}`;
}

/** Waits for `p` but no longer than the signal allows (the scheduler's hard timeout). */
async function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
