// NetworkPolicy engine benchmark: `npx tsx bench/policy.ts`. 2,000 pods and 500 policies,
// generated deterministically; compile time, one query, and a 1,000 x 1,000 matrix on one port.
import { performance } from 'node:perf_hooks';
import { compilePolicies, type PolicyEngine } from '../src/policy/engine.js';
import type { NamespaceInfo, PodInfo, PolicyInfo } from '../src/policy/model.js';

const NAMESPACES = 40;
const PODS = 2000;
const POLICIES = 500;
const APPS = ['web', 'api', 'db', 'cache', 'queue', 'worker', 'auth', 'search', 'mail', 'report'];
const TEAMS = ['red', 'green', 'blue', 'gold'];

/** mulberry32: a small seeded PRNG, so every run builds the same cluster. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function generate(): { namespaces: NamespaceInfo[]; pods: PodInfo[]; policies: PolicyInfo[] } {
  const random = rng(42);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i): NamespaceInfo => {
    const name = `ns-${i}`;
    return {
      name,
      labels: {
        'kubernetes.io/metadata.name': name,
        team: pick(random, TEAMS),
        env: i % 2 === 0 ? 'prod' : 'dev',
      },
    };
  });
  const pods = Array.from({ length: PODS }, (_, i): PodInfo => {
    const app = pick(random, APPS);
    return {
      namespace: `ns-${i % NAMESPACES}`,
      name: `${app}-${i}`,
      labels: { app, tier: pick(random, ['front', 'back']), version: `v${i % 3}` },
      ips: [`10.${Math.floor(i / 250)}.${i % 250}.10`],
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
    };
  });
  const policies = Array.from({ length: POLICIES }, (_, i): PolicyInfo => {
    const namespace = `ns-${i % NAMESPACES}`;
    const kind = i % 5;
    const app = pick(random, APPS);
    const base = { namespace, name: `policy-${i}` };
    if (kind === 0) return { ...base, podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
    if (kind === 1)
      return {
        ...base,
        podSelector: { matchLabels: { app } },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { app: pick(random, APPS) } } }],
            ports: [{ port: 'http' }],
          },
        ],
      };
    if (kind === 2) {
      return {
        ...base,
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: pick(random, TEAMS) } },
                podSelector: { matchLabels: { app } },
              },
            ],
            ports: [{ port: 8000, endPort: 8100 }],
          },
        ],
      };
    }
    if (kind === 3) {
      return {
        ...base,
        podSelector: { matchLabels: { app } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              { namespaceSelector: { matchLabels: { env: 'prod' } } },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
            ],
            ports: [{ port: 8080 }, { port: 53, protocol: 'UDP' }],
          },
        ],
      };
    }
    return {
      ...base,
      podSelector: { matchLabels: { app } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: 'team', operator: 'NotIn', values: [pick(random, TEAMS)] }],
              },
            },
          ],
        },
      ],
    };
  });
  return { namespaces, pods, policies };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

function matrix(engine: PolicyEngine, pods: readonly PodInfo[]): { allowed: number; total: number } {
  const sources = pods.slice(0, 1000);
  const destinations = pods.slice(1000, 2000);
  let allowed = 0;
  for (const from of sources) {
    for (const to of destinations) {
      const verdict = engine.evaluate({
        from: { namespace: from.namespace, pod: from.name },
        to: { namespace: to.namespace, pod: to.name },
        port: 8080,
        protocol: 'TCP',
      });
      if (verdict.allowed === true) allowed += 1;
    }
  }
  return { allowed, total: sources.length * destinations.length };
}

const { namespaces, pods, policies } = generate();
const compiles = Array.from({ length: 5 }, () => time(() => compilePolicies(policies, namespaces, pods)));
const engine = compiles.at(-1)?.value;
if (!engine) throw new Error('no engine');
const [a, b] = [pods[7], pods[1234]];
if (!a || !b) throw new Error('no pods');
const flow = {
  from: { namespace: a.namespace, pod: a.name },
  to: { namespace: b.namespace, pod: b.name },
  port: 'http',
  protocol: 'TCP',
} as const;
const first = time(() => engine.evaluate(flow));
const queries = Array.from({ length: 1000 }, () => time(() => engine.evaluate(flow)).ms);
const full = time(() => matrix(engine, pods));

console.log(
  `pods ${pods.length}, policies ${policies.length}, namespaces ${namespaces.length} (node ${process.version})`,
);
console.log(
  `compile: median ${median(compiles.map((c) => c.ms)).toFixed(1)} ms over ${compiles.length} runs`,
);
console.log(
  `one query after compile: first ${first.ms.toFixed(3)} ms, median ${(median(queries) * 1000).toFixed(1)} us (target < 1 ms) -> ${first.value.status}`,
);
console.log(
  `1,000 x 1,000 matrix on 8080/TCP: ${(full.ms / 1000).toFixed(2)} s (target < 5 s), ${full.value.allowed} of ${full.value.total} allowed`,
);
