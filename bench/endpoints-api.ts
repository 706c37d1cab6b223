// Child process of bench/endpoints.ts: a fake API server filled with a large cluster, so that the
// parent's RSS is netprobe's alone. Prints one JSON line {kubeconfig, ...} when ready, then obeys JSON
// commands on stdin ({"op":"flip","service":i} -> {"line": the exposition line expected after it}).
// Run only through bench/endpoints.ts. Loopback only; exits when stdin closes.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startFakeApi, type FakeStore, type KubeObject } from '../sandbox/fake-api/index.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '100' },
    'no-memo-list': { type: 'boolean', default: false },
  },
});
const SERVICES = Number(values.services);
const NAMESPACES = Number(values.namespaces);
// 1 % of the Services are large (104 pods, so each address family needs two slices of <= 100).
const BIG_EVERY = 100;
const SMALL_PODS = 4;
const BIG_PODS = 104;
const SLICE_MAX = 100;

type State = 'ready' | 'not_ready' | 'terminating';

function podCount(i: number): number {
  return i % BIG_EVERY === 0 ? BIG_PODS : SMALL_PODS;
}

function initialState(i: number, j: number): State {
  const h = (i * 7 + j * 13) % 100;
  return h < 2 ? 'terminating' : h < 12 ? 'not_ready' : 'ready';
}

const nsOf = (i: number): string => `ns-${i % NAMESPACES}`;

function service(i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: nsOf(i), labels: { app: `svc-${i}`, team: `team-${i % 37}` } },
    spec: {
      type: 'ClusterIP',
      clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
      clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`, `fd00:96::${i.toString(16)}`],
      ipFamilies: ['IPv4', 'IPv6'],
      selector: { app: `svc-${i}`, tier: 'backend' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
    },
  };
}

function pod(i: number, j: number, seq: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `svc-${i}-${j}`,
      namespace: nsOf(i),
      labels: { app: `svc-${i}`, tier: 'backend', 'pod-template-hash': `h${i % 9973}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `svc-${i}-h`, uid: `u-${i}` }],
    },
    spec: {
      nodeName: `node-${seq % 500}`,
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1.0',
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: v4(seq),
      podIPs: [{ ip: v4(seq) }, { ip: v6(seq) }],
      conditions: [{ type: 'Ready', status: initialState(i, j) === 'ready' ? 'True' : 'False' }],
    },
  };
}

const v4 = (seq: number): string => `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`;
const v6 = (seq: number): string => `fd00:10::${seq.toString(16)}`;

interface Member {
  pod: string;
  seq: number;
  state: State;
}

function slice(i: number, family: 'IPv4' | 'IPv6', part: number, members: Member[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `svc-${i}-${family === 'IPv4' ? 'v4' : 'v6'}-${part}`,
      namespace: nsOf(i),
      labels: {
        'kubernetes.io/service-name': `svc-${i}`,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: family,
    endpoints: members.map((m) => ({
      addresses: [family === 'IPv4' ? v4(m.seq) : v6(m.seq)],
      conditions: {
        ready: m.state === 'ready',
        serving: m.state !== 'not_ready',
        terminating: m.state === 'terminating',
      },
      targetRef: { kind: 'Pod', name: m.pod, namespace: nsOf(i) },
      nodeName: `node-${m.seq % 500}`,
    })),
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ],
  };
}

function applySlices(store: FakeStore, i: number, members: Member[]): void {
  for (const family of ['IPv4', 'IPv6'] as const) {
    for (let part = 0; part * SLICE_MAX < members.length; part++) {
      store.apply(slice(i, family, part, members.slice(part * SLICE_MAX, (part + 1) * SLICE_MAX)));
    }
  }
}

// The fake store clones and sorts a whole collection for every list page, which makes a paged list of
// 50,000 pods quadratic; a memo between writes (lists are never mutated downstream) keeps the figure
// about netprobe. --no-memo-list measures without it.
function memoizeList(store: FakeStore): void {
  const plain = store.list.bind(store);
  const memo = new Map<string, KubeObject[]>();
  store.subscribe(() => memo.clear());
  store.list = (kind, ns) => {
    const key = `${kind}/${ns ?? ''}`;
    let hit = memo.get(key);
    if (hit === undefined) memo.set(key, (hit = plain(kind, ns)));
    return hit;
  };
}

async function main(): Promise<void> {
  const api = await startFakeApi({ historySize: 5000, bookmarkIntervalMs: 60_000 });
  const { store } = api;
  const started = performance.now();
  for (let n = 0; n < NAMESPACES; n++)
    store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}` } });
  const members: Member[][] = [];
  let seq = 0;
  let endpoints = 0;
  for (let i = 0; i < SERVICES; i++) {
    store.apply(service(i));
    const ms: Member[] = [];
    for (let j = 0; j < podCount(i); j++, seq++) {
      store.apply(pod(i, j, seq));
      ms.push({ pod: `svc-${i}-${j}`, seq, state: initialState(i, j) });
    }
    members.push(ms);
    applySlices(store, i, ms);
    endpoints += ms.length * 2;
  }
  const memoList = !values['no-memo-list'];
  if (memoList) memoizeList(store);
  const info = {
    kubeconfig: api.kubeconfig(),
    services: SERVICES,
    pods: seq,
    endpoints,
    slices: store.list('EndpointSlice').length,
    populateMs: Math.round(performance.now() - started),
    memoList,
  };
  process.stdout.write(JSON.stringify(info) + '\n');

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = JSON.parse(line) as { op: string; service: number };
    const ms = members[cmd.service];
    const first = ms?.[0];
    if (cmd.op !== 'flip' || ms === undefined || first === undefined) return;
    // Flip the first endpoint between ready and not_ready in both address families (one event each).
    first.state = first.state === 'ready' ? 'not_ready' : 'ready';
    applySlices(store, cmd.service, ms);
    const notReady = ms.filter((m) => m.state === 'not_ready').length;
    const id = `namespace="${nsOf(cmd.service)}",service="svc-${cmd.service}"`;
    process.stdout.write(
      JSON.stringify({ line: `netprobe_service_endpoints{${id},state="not_ready"} ${notReady}` }) + '\n',
    );
  });
  rl.on('close', () => {
    void api.close().then(() => process.exit(0));
  });
}

void main();
