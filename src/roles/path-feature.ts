import { SeriesTracker } from '../metrics/series.js';
import { neighboursOf } from '../plan/ring.js';
import type { Plan, PlanPath } from '../plan/schema.js';
import { compare, probePath, type PathKind, type PathOutcome, type PathResult } from '../probers/path.js';
import { REFUSAL_REASONS } from '../metrics/families/listener.js';
import { startSentinel, type Sentinel, type SentinelOptions } from '../probers/sentinel.js';
import type { Job } from '../runner/scheduler.js';
import type { NodeFeature } from './node.js';
import type { Runtime } from './runtime.js';

const OUTCOMES: readonly PathOutcome[] = ['open', 'refused', 'timeout', 'unreachable', 'no_answer', 'error'];

/** A path as this node probes it. */
export interface NodePath {
  name: string;
  kind: PathKind;
  address: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  check: PlanPath['check'];
  expected: PlanPath['expected'];
  httpPayloadBytes?: number;
}

/** The plan's paths plus this node's neighbours and their sentinels (from the ring). */
export function nodePaths(plan: Plan, self: string): NodePath[] {
  const paths: NodePath[] = plan.paths.map((p) => ({ ...p }));
  const nodes = plan.agents.list.map((a) => a.node);
  const addressOf = new Map(plan.agents.list.map((a) => [a.node, a.address]));
  const ring = { k: plan.agents.ring.k, vnodes: plan.agents.ring.vnodes };
  for (const peer of nodes.includes(self) ? neighboursOf(self, nodes, ring) : []) {
    const address = addressOf.get(peer);
    if (!address) continue;
    paths.push({
      name: `neighbour-${peer}`,
      kind: 'neighbour',
      address,
      port: plan.agents.port,
      protocol: 'TCP',
      check: 'connect',
      expected: plan.agents.neighbourExpected,
    });
    if (plan.agents.sentinelPort > 0) {
      paths.push({
        name: `sentinel-${peer}`,
        kind: 'sentinel',
        address,
        port: plan.agents.sentinelPort,
        protocol: 'TCP',
        check: 'connect',
        expected: plan.agents.sentinelExpected,
      });
    }
  }
  return paths;
}

/** The path feature of the node role: probes every path and exports expected vs observed. */
export async function createPathFeature(rt: Runtime): Promise<NodeFeature> {
  const node = rt.config.node.name || 'standalone';
  const m = rt.metrics.path;
  const series = new SeriesTracker();
  // The expectation gauge has its own tracker: it is replaced on every plan, the others are kept.
  const expectations = new SeriesTracker();
  const { interval, timeout } = rt.config.node.paths;
  let sentinel: Sentinel | undefined;
  let neighbourListener: Sentinel | undefined;
  // Both listeners take the same limits, each with its own connection cap and per-source budget.
  const listenerOptions = (listener: 'sentinel' | 'neighbour', port: number): SentinelOptions => {
    const limits = rt.config.node.listeners;
    const refusals = rt.metrics.listener.refusals;
    for (const reason of REFUSAL_REASONS) refusals.inc({ listener, reason }, 0);
    return {
      address: rt.config.node.sentinelAddress,
      port,
      maxConnections: limits.maxConnections,
      headerTimeoutSeconds: limits.headerTimeout,
      idleTimeoutSeconds: limits.idleTimeout,
      payloadRate: limits.payloadRate,
      payloadBurst: limits.payloadBurst,
      onRefusal: (reason) => refusals.inc({ listener, reason }),
    };
  };
  // Neighbours dial this; it answers like the sentinel but is allowed between agents.
  try {
    neighbourListener = await startSentinel(listenerOptions('neighbour', rt.config.node.neighbourPort));
  } catch (err) {
    rt.logger.error('cannot start the neighbour probe listener', { err, port: rt.config.node.neighbourPort });
  }
  if (rt.config.node.sentinelPort > 0) {
    try {
      sentinel = await startSentinel(listenerOptions('sentinel', rt.config.node.sentinelPort));
    } catch (err) {
      rt.logger.error('cannot start the policy sentinel listener', {
        err,
        port: rt.config.node.sentinelPort,
      });
    }
  }

  // Keys of the current plan: a probe still in flight when the plan drops or changes its path must
  // not bring back the series (and status row) that applyPlan just removed.
  // The address is part of it: a path that kept its name but moved is another target.
  let live = new Map<string, string>();
  const record = (key: string, p: NodePath, r: PathResult): void => {
    if (live.get(key) !== `${p.address}:${p.port}/${p.protocol}`) return;
    const reachable = { node, path: p.name, kind: p.kind };
    m.probes.inc({ node, path: p.name, kind: p.kind, result: r.outcome });
    m.duration.observe({ node, kind: p.kind }, r.durationSeconds);
    // An inconclusive result (local error) leaves no sample, so it can never fire a mismatch alert.
    if (r.verdict === 'inconclusive') m.reachable.remove(reachable);
    else m.reachable.set(reachable, r.verdict === 'reachable' ? 1 : 0);
    const verdict = compare(p.expected, r.verdict);
    rt.history.record({
      prober: 'path',
      target: p.name,
      ok:
        r.verdict !== 'inconclusive' &&
        verdict !== 'blocked_but_allowed' &&
        verdict !== 'reachable_but_denied',
      outcome: `${r.outcome} (expected ${p.expected})`,
      durationSeconds: r.durationSeconds,
      detail: `${p.kind} ${p.protocol}/${p.port} ${r.errno ?? ''} ${r.reason ?? ''}`.trim(),
      at: Date.now(),
    });
  };

  const applyPlan = (plan: Plan): void => {
    const paths = nodePaths(plan, node);
    const next = new Map<string, string>();
    const keepExpected = new Set<string>();
    const jobs: Job[] = paths.map((p) => {
      // Series are keyed by the path's identity: a policy change that flips the expectation keeps
      // the counters (and rate() windows); only the expectation gauge moves to its new label.
      const key = `${p.name}|${p.kind}`;
      const id = { node, path: p.name, kind: p.kind };
      next.set(key, `${p.address}:${p.port}/${p.protocol}`);
      for (const result of OUTCOMES) {
        m.probes.inc({ ...id, result }, 0);
        series.track(key, m.probes, { ...id, result });
      }
      series.track(key, m.reachable, id);
      const expectKey = `${key}|expected`;
      expectations.drop(expectKey);
      m.expected.set({ ...id, expected: p.expected }, 1);
      expectations.track(expectKey, m.expected, { ...id, expected: p.expected });
      keepExpected.add(expectKey);
      return {
        key,
        intervalSeconds: interval,
        timeoutSeconds: timeout + 1,
        run: async (signal) => {
          const target = {
            kind: p.kind,
            address: p.address,
            port: p.port,
            protocol: p.protocol,
            check: p.check,
            timeoutSeconds: timeout,
            ...(p.httpPayloadBytes !== undefined ? { httpPayloadBytes: p.httpPayloadBytes } : {}),
          };
          record(key, p, await probePath(target, signal));
        },
      };
    });
    live = next;
    series.retain(new Set(next.keys()));
    expectations.retain(keepExpected);
    rt.history.retain('path', new Set(paths.map((p) => p.name)));
    rt.scheduler.setJobs('path', jobs);
  };

  return {
    name: 'path',
    applyPlan,
    status: () => ({ sentinel: sentinel ? `${sentinel.address}:${sentinel.port}` : null }),
    stop: async () => {
      await sentinel?.close();
      await neighbourListener?.close();
    },
  };
}
