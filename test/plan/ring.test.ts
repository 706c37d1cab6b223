import { assignNeighbours, incomingCounts, neighboursOf, ringPosition } from '../../src/plan/ring.js';

/** mulberry32: a tiny seeded PRNG so property cases are random-looking yet reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Node names shaped like real ones (cloud DNS names, pool names), distinct. */
function nodeNames(n: number, seed: number): string[] {
  const random = prng(seed);
  const byte = (): number => Math.floor(random() * 256);
  const names = new Set<string>();
  while (names.size < n) {
    names.add(
      random() < 0.5
        ? `ip-10-${byte()}-${byte()}-${byte()}.ec2.internal`
        : `gke-pool-${byte().toString(16)}${byte().toString(16)}-node-${Math.floor(random() * 1e4)}`,
    );
  }
  return [...names];
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function pairs(assigned: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  for (const [agent, targets] of assigned) for (const target of targets) out.add(`${agent} -> ${target}`);
  return out;
}

function symmetricDifference(a: Set<string>, b: Set<string>): number {
  let count = 0;
  for (const x of a) if (!b.has(x)) count++;
  for (const x of b) if (!a.has(x)) count++;
  return count;
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('neighboursOf', () => {
  test.each([
    [1, 5],
    [2, 5],
    [5, 5],
    [6, 5],
    [50, 5],
    [50, 0],
    [300, 3],
  ])('n=%i k=%i: never self, distinct, min(k, n-1) of the given nodes', (n, k) => {
    for (const vnodes of [1, 4]) {
      for (const seed of SEEDS) {
        const nodes = nodeNames(n, seed);
        for (const self of nodes.slice(0, 20)) {
          const got = neighboursOf(self, nodes, { k, vnodes });
          expect(got).not.toContain(self);
          expect(new Set(got).size).toBe(got.length);
          expect(got.length).toBe(Math.min(k, n - 1));
          for (const node of got) expect(nodes).toContain(node);
        }
      }
    }
  });

  test('deterministic: same answer whatever the order or duplicates of the node list', () => {
    for (const seed of SEEDS) {
      const nodes = nodeNames(100, seed);
      const self = nodes[7] ?? '';
      const expected = neighboursOf(self, nodes, { k: 5 });
      expect(neighboursOf(self, shuffled(nodes, seed + 100), { k: 5 })).toEqual(expected);
      expect(neighboursOf(self, [...nodes, ...nodes.slice(0, 30)], { k: 5 })).toEqual(expected);
    }
  });

  test('agrees with assignNeighbours, and works for an agent not yet in the list', () => {
    const nodes = nodeNames(120, 42);
    const all = assignNeighbours(nodes, { k: 4, vnodes: 3 });
    for (const node of nodes) expect(neighboursOf(node, nodes, { k: 4, vnodes: 3 })).toEqual(all.get(node));
    const newcomer = neighboursOf('brand-new-node', nodes, { k: 4 });
    expect(newcomer).toHaveLength(4);
    expect(newcomer).not.toContain('brand-new-node');
  });

  test('rejects nonsense parameters', () => {
    expect(() => neighboursOf('a', ['a', 'b'], { k: -1 })).toThrow('k must be an integer >= 0, got -1');
    expect(() => neighboursOf('a', ['a', 'b'], { k: 2, vnodes: 0 })).toThrow(
      'vnodes must be an integer >= 1, got 0',
    );
  });

  test('ring positions are the first 48 bits of sha256("name#vnode")', () => {
    // printf 'node-a#0' | sha256sum | cut -c1-12
    expect(ringPosition('node-a', 0)).toBe(0xf0395da18c0b);
    expect(ringPosition('node-a', 0)).toBe(ringPosition('node-a', 0));
    expect(ringPosition('node-a', 0)).not.toBe(ringPosition('node-a', 1));
  });
});

describe('stability: adding one node to 200 (k=5, 1000 assignments)', () => {
  const k = 5;
  /*
   * The newcomer X brings its own k assignments. An existing agent changes only when one of X's
   * points falls inside its walk; it then gains X and drops its last pick: 2 changes. With one
   * point per node exactly the k agents before X are affected: 3k changes in total. With v points,
   * each of X's points lies in the walks of at most about k preceding agents: at most k + 2·k·v.
   * Either is far below the 2·k·total/n + k = 55 that rehashing a 1/n share would cost.
   */
  test.each([
    [1, 3 * k],
    [4, k + 2 * k * 4],
  ])('vnodes=%i: at most %i assignments change', (vnodes, bound) => {
    for (const seed of SEEDS) {
      const nodes = nodeNames(200, seed);
      const before = pairs(assignNeighbours(nodes, { k, vnodes }));
      const after = pairs(assignNeighbours([...nodes, `added-${seed}`], { k, vnodes }));
      expect(before.size).toBe(200 * k);
      const changed = symmetricDifference(before, after);
      expect(changed).toBeGreaterThanOrEqual(k);
      expect(changed).toBeLessThanOrEqual(bound);
    }
  });

  test('removing a node is the mirror image: at most 3k changes with one point per node', () => {
    for (const seed of SEEDS) {
      const nodes = nodeNames(200, seed);
      const before = pairs(assignNeighbours(nodes, { k }));
      const after = pairs(assignNeighbours(nodes.slice(1), { k }));
      expect(symmetricDifference(before, after)).toBeLessThanOrEqual(3 * k);
    }
  });
});

describe('coverage: every node is probed by about k others (n=500, k=5)', () => {
  test('vnodes=1: every node is probed by exactly k agents', () => {
    for (const seed of SEEDS) {
      const counts = [...incomingCounts(nodeNames(500, seed), { k: 5 }).values()];
      expect(counts).toHaveLength(500);
      expect(new Set(counts)).toEqual(new Set([5]));
    }
  });

  test('vnodes=4: no node unprobed, none probed by more than 3k', () => {
    for (const seed of SEEDS) {
      const counts = [...incomingCounts(nodeNames(500, seed), { k: 5, vnodes: 4 }).values()];
      expect(counts.reduce((a, b) => a + b, 0)).toBe(500 * 5);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...counts)).toBeLessThanOrEqual(15);
    }
  });

  test('tiny clusters: everyone probes everyone else when n <= k', () => {
    const counts = incomingCounts(['a', 'b', 'c'], { k: 5 });
    expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 2, c: 2 });
    expect(Object.fromEntries(incomingCounts(['solo'], { k: 5 }))).toEqual({ solo: 0 });
  });
});
