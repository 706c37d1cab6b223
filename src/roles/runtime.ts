import { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log/logger.js';
import { cacheStaleness, type Staleness } from '../kube/cache.js';
import { createMetrics, type Metrics } from '../metrics/catalog.js';
import { ResultHistory, type CheckView, type FailureRecord } from '../runner/history.js';
import { Scheduler } from '../runner/scheduler.js';
import { REFUSAL_REASONS } from '../metrics/families/listener.js';
import { startHttpServer, type HttpHandle, type RoleStatus } from '../server/http.js';
import type { StatusPageData } from '../server/status-page.js';
import { netprobeVersion } from '../version.js';

/** What every role shares: logger, registry, metrics, scheduler. */
export interface Runtime {
  config: Config;
  logger: Logger;
  registry: Registry;
  metrics: Metrics;
  scheduler: Scheduler;
  history: ResultHistory;
}

/** What every feature of a role has: a name for /status, its status (may be a Promise), and a stop. */
export interface RoleFeature {
  name: string;
  status(): unknown;
  stop(): Promise<void> | void;
}

/** The features' statuses by name, for /status (awaiting the ones that read metrics back). */
export async function featureStatuses(features: readonly RoleFeature[]): Promise<Record<string, unknown>> {
  const values = await Promise.all(features.map(async (f): Promise<unknown> => await f.status()));
  return Object.fromEntries(features.map((f, i) => [f.name, values[i]]));
}

/** The part of the status page every role shares. */
export function pageBase(
  rt: Runtime,
  readiness: { ready: boolean; reason: string },
): Pick<StatusPageData, 'version' | 'now' | 'readiness' | 'checks' | 'failures' | 'stale'> {
  return {
    version: netprobeVersion(),
    now: Date.now(),
    readiness,
    checks: rt.history.checks(),
    failures: rt.history.recentFailures(),
    stale: cacheStaleness(rt.metrics).resources,
  };
}

/** The part of /status every role shares: identity, readiness, checks and recent failures. */
export function commonStatus(
  rt: Runtime,
  readiness: { ready: boolean; reason: string },
): {
  version: string;
  ready: boolean;
  reason: string;
  stale: boolean;
  staleResources: Staleness['resources'];
  checks: CheckView[];
  recentFailures: FailureRecord[];
} {
  const staleness = cacheStaleness(rt.metrics);
  return {
    version: netprobeVersion(),
    ...readiness,
    // Readiness stays true while stale: Prometheus keeps scraping and the pod keeps its endpoint.
    stale: staleness.stale,
    staleResources: staleness.resources,
    checks: rt.history.checks(),
    recentFailures: rt.history.recentFailures(),
  };
}

/** A started role: its HTTP address and how to stop it. */
export interface RoleHandle {
  address: { host: string; port: number };
  runtime: Runtime;
  stop(): Promise<void>;
}

/** Probers whose agent series are pre-initialised. */
export type ProberName = 'dns' | 'path' | 'ingress';

/** Creates the runtime of a role (nothing is started). */
export function createRuntime(config: Config, role: 'node' | 'cluster', logger?: Logger): Runtime {
  const log = logger ?? createLogger(config.logLevel, { role });
  const registry = new Registry();
  const metrics = createMetrics(registry);
  metrics.agent.buildInfo.set({ version: netprobeVersion(), role }, 1);
  const scheduler = new Scheduler({
    concurrency: role === 'node' ? config.node.concurrency : config.cluster.ingress.concurrency,
    logger: log,
    hooks: {
      onRunEnd: (prober, outcome, endedAt) => {
        metrics.agent.proberRuns.inc({ prober, outcome });
        metrics.agent.proberLastRun.set({ prober }, endedAt / 1000);
      },
      onOverlapSkip: (prober) => metrics.agent.proberOverlapSkips.inc({ prober }),
      onTargets: (prober, n) => metrics.agent.proberTargets.set({ prober }, n),
    },
  });
  return { config, logger: log, registry, metrics, scheduler, history: new ResultHistory() };
}

/** Pre-initialises the agent series of the probers a role runs. */
export function initProberSeries(rt: Runtime, probers: readonly ProberName[]): void {
  for (const prober of probers) {
    rt.metrics.agent.proberTargets.set({ prober }, 0);
    rt.metrics.agent.proberOverlapSkips.inc({ prober }, 0);
    for (const outcome of ['completed', 'timeout', 'failed'])
      rt.metrics.agent.proberRuns.inc({ prober, outcome }, 0);
  }
}

/** Starts the HTTP server; returns a stop function that stops scheduling, waits (bounded), and closes. */
export async function serve(
  rt: Runtime,
  status: RoleStatus,
  stopRole: () => Promise<void> | void,
): Promise<RoleHandle> {
  const refusals = rt.metrics.listener.refusals;
  for (const reason of REFUSAL_REASONS) refusals.inc({ listener: 'metrics', reason }, 0);
  const http: HttpHandle = await startHttpServer(rt.config.listen, rt.registry, status, rt.logger, {
    limits: rt.config.server,
    onRefusal: (reason) => refusals.inc({ listener: 'metrics', reason }),
  });
  rt.logger.info('listening', { address: `${http.address.host}:${http.address.port}` });
  let stopping: Promise<void> | undefined;
  return {
    address: http.address,
    runtime: rt,
    stop: () => {
      stopping ??= (async () => {
        await rt.scheduler.stop(rt.config.shutdownGrace);
        await stopRole();
        await http.close();
        rt.logger.info('stopped');
      })();
      return stopping;
    },
  };
}
