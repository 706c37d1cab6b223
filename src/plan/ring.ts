import { hash } from 'node:crypto';

/**
 * Which nodes each node agent probes: a consistent hash ring. Every node owns `vnodes` points on a
 * ring of 48-bit positions; an agent probes the first k distinct other owners met walking clockwise
 * from its own points (round-robin over its points when vnodes > 1). With vnodes = 1 (the default)
 * every node is probed by exactly k others and adding or removing a node changes O(k) assignments,
 * whatever the cluster size: docs/paths.md has the reasoning and the measured figures.
 *
 * Positions come from SHA-256 (node:crypto) rather than a hand-written 32-bit hash: node names are
 * near-identical strings (ip-10-0-1-17, ip-10-0-1-18) that weak hashes place near each other, 48 bits
 * make collisions negligible at 10^5 points, and any tool (sha256sum, Go, Python) can recompute the
 * ring when someone asks "why does node A probe node B?". Its cost is measured in docs/paths.md.
 */

/** How many neighbours each agent probes, and ring points per node. */
export interface RingParams {
  k: number;
  /** Points per node on the ring; 1 gives the exact coverage guarantee. Default 1. */
  vnodes?: number;
}

interface Point {
  position: number;
  node: string;
  vnode: number;
}

/** A built ring: sorted points and, per node, the indexes of its own points in vnode order. */
interface Ring {
  points: Point[];
  own: Map<string, number[]>;
}

/** The ring position of one virtual node: the first 48 bits of sha256("name#vnode"). */
export function ringPosition(node: string, vnode: number): number {
  // One-shot crypto.hash (Node >= 20.12) is twice as fast as createHash() for short inputs.
  return Number.parseInt(hash('sha256', `${node}#${vnode}`, 'hex').slice(0, 12), 16);
}

function checkParams(params: RingParams): { k: number; vnodes: number } {
  const vnodes = params.vnodes ?? 1;
  if (!Number.isInteger(params.k) || params.k < 0)
    throw new RangeError(`k must be an integer >= 0, got ${params.k}`);
  if (!Number.isInteger(vnodes) || vnodes < 1)
    throw new RangeError(`vnodes must be an integer >= 1, got ${vnodes}`);
  return { k: params.k, vnodes };
}

function buildRing(nodes: Iterable<string>, vnodes: number): Ring {
  const points: Point[] = [];
  for (const node of new Set(nodes)) {
    for (let vnode = 0; vnode < vnodes; vnode++)
      points.push({ position: ringPosition(node, vnode), node, vnode });
  }
  // Ties (astronomically rare at 48 bits) are broken by name so the order never depends on input order.
  points.sort((a, b) => a.position - b.position || compareStrings(a.node, b.node) || a.vnode - b.vnode);
  const own = new Map<string, number[]>();
  points.forEach((point, index) => {
    const list = own.get(point.node) ?? [];
    list[point.vnode] = index;
    own.set(point.node, list);
  });
  return { points, own };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Walks clockwise from each of self's points in turn, collecting distinct other owners. */
function walk(ring: Ring, self: string, k: number): string[] {
  const cursors = [...(ring.own.get(self) ?? [])];
  const total = ring.points.length;
  const others = ring.own.size - (ring.own.has(self) ? 1 : 0);
  const want = Math.min(k, others);
  const chosen: string[] = [];
  const seen = new Set<string>([self]);
  // Each cursor goes round the ring at most once, so this ends even when want cannot be met.
  for (let step = 1; step < total && chosen.length < want; step++) {
    for (let i = 0; i < cursors.length && chosen.length < want; i++) {
      const owner = ring.points[((cursors[i] ?? 0) + step) % total]?.node;
      if (owner !== undefined && !seen.has(owner)) {
        seen.add(owner);
        chosen.push(owner);
      }
    }
  }
  return chosen;
}

/**
 * The k nodes `self` probes (all others when there are at most k), in ring order. `self` need not
 * be in `nodes` yet (a new agent); it is never its own neighbour. O(n·vnodes·log n).
 */
export function neighboursOf(self: string, nodes: readonly string[], params: RingParams): string[] {
  const { k, vnodes } = checkParams(params);
  return walk(buildRing([...nodes, self], vnodes), self, k);
}

/** Every node's neighbours at once, for the plan builder: one ring, O(n·vnodes·log n + n·k). */
export function assignNeighbours(nodes: readonly string[], params: RingParams): Map<string, string[]> {
  const { k, vnodes } = checkParams(params);
  const ring = buildRing(nodes, vnodes);
  const result = new Map<string, string[]>();
  for (const node of ring.own.keys()) result.set(node, walk(ring, node, k));
  return result;
}

/** How many agents probe each node (every node present, 0 included): the incoming-probes gauge. */
export function incomingCounts(nodes: readonly string[], params: RingParams): Map<string, number> {
  const assigned = assignNeighbours(nodes, params);
  const counts = new Map<string, number>();
  for (const node of assigned.keys()) counts.set(node, 0);
  for (const targets of assigned.values()) {
    for (const target of targets) counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return counts;
}
