import { PathRecorder, type PathTarget } from '../metrics/record.js';
import { neighboursOf } from '../plan/ring.js';
import type { Plan, PlanPath } from '../plan/schema.js';
import { probePath, type PathKind, type PathResult } from '../probers/path.js';
import { REFUSAL_REASONS } from '../metrics/families/listener.js';
import { startSentinel, type Sentinel, type SentinelOptions } from '../probers/sentinel.js';
import { TargetSet } from '../runner/targets.js';
import { familyOf, type Family } from '../net/address.js';
import type { NodeFeature } from './node.js';
import type { Runtime } from './runtime.js';

/** A path as this node probes it. */
export interface NodePath {
  name: string;
  kind: PathKind;
  address: string;
  family: Family;
  port: number;
  protocol: 'TCP' | 'UDP';
  check: PlanPath['check'];
  expected: PlanPath['expected'];
  httpPayloadBytes?: number;
}

/** The plan's paths plus this node's neighbours and their sentinels (from the ring). */
export function nodePaths(plan: Plan, self: string): NodePath[] {
  const paths: NodePath[] = plan.paths.map((p) => ({ ...p, family: familyOf(p.address) }));
  const nodes = plan.agents.list.map((a) => a.node);
  // A dual-stack neighbour is probed on each of its pod IPs: one family can break alone.
  const addressesOf = new Map(plan.agents.list.map((a) => [a.node, a.addresses ?? [a.address]]));
  const ring = { k: plan.agents.ring.k, vnodes: plan.agents.ring.vnodes };
  for (const peer of nodes.includes(self) ? neighboursOf(self, nodes, ring) : []) {
    for (const address of addressesOf.get(peer) ?? []) pushNeighbour(paths, plan, peer, address);
  }
  return paths;
}

function pushNeighbour(paths: NodePath[], plan: Plan, peer: string, address: string): void {
  if (!address) return;
  const family = familyOf(address);
  paths.push({
    name: `neighbour-${peer}`,
    kind: 'neighbour',
    address,
    family,
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
      family,
      port: plan.agents.sentinelPort,
      protocol: 'TCP',
      check: 'connect',
      expected: plan.agents.sentinelExpected,
    });
  }
}

/** A path's identity: one per name, kind and family, whatever its expectation. */
function pathKey(p: NodePath): string {
  return `${p.name}|${p.kind}|${p.family}`;
}

/** The path's row in the status page: IPv6 paths are marked, IPv4 ones keep their name. */
function historyTarget(p: NodePath): string {
  return p.family === 'ipv4' ? p.name : `${p.name} [ipv6]`;
}

/** A path as a target: series keyed by its identity, a move of its address makes it another one. */
function pathTarget(node: string, p: NodePath, interval: number, timeout: number): PathTarget {
  const target = {
    kind: p.kind,
    address: p.address,
    port: p.port,
    protocol: p.protocol,
    check: p.check,
    timeoutSeconds: timeout,
    ...(p.httpPayloadBytes !== undefined ? { httpPayloadBytes: p.httpPayloadBytes } : {}),
  };
  return {
    key: pathKey(p),
    where: `${p.address}:${p.port}/${p.protocol}/${p.check}`,
    labels: { node, path: p.name, kind: p.kind, family: p.family },
    expected: p.expected,
    protocol: p.protocol,
    port: p.port,
    row: historyTarget(p),
    intervalSeconds: interval,
    timeoutSeconds: timeout + 1,
    probe: (signal) => probePath(target, signal),
  };
}

/** The path feature of the node role: probes every path and exports expected vs observed. */
export async function createPathFeature(rt: Runtime): Promise<NodeFeature> {
  const node = rt.config.node.name || 'standalone';
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

  const targets = new TargetSet<PathTarget, PathResult>(
    'path',
    rt.scheduler,
    new PathRecorder(rt.metrics.path, rt.history),
  );
  const applyPlan = (plan: Plan): void => {
    targets.set(nodePaths(plan, node).map((p) => pathTarget(node, p, interval, timeout)));
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
