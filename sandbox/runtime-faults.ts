/**
 * Faults injected into a running sandbox and healed again, for the detection benchmark
 * (bench/detection.ts) and for people trying netprobe: every planted fault of sandbox/seed.ts,
 * plus the classic DNS failures. Store faults swap the affected objects between the healthy and
 * the faulty seed, so the seed stays the one description of what each fault looks like.
 */
import type { FakeStore, KindName } from './fake-api/index.js';
import type { SandboxDns } from './dns-server.js';
import { PLANTED_FAULTS } from './seed.js';

/** Every fault that can be injected at runtime; the first twelve are the planted ones, in order. */
export const RUNTIME_FAULTS = [
  'label-mismatch',
  'readiness-failure',
  'unresolved-target-port',
  'egress-forgets-dns',
  'ingress-missing-service',
  'host-not-served',
  'cert-expiring',
  'cert-wrong-host',
  'slow-dns-replica',
  'declared-path-blocked',
  'backend-policy-excludes-controller',
  'policy-not-enforced',
  'dns-servfail',
  'dns-replica-stopped',
  'dns-latency-high',
  'dns-errors',
] as const;

/** The name of one runtime fault. */
export type RuntimeFaultId = (typeof RUNTIME_FAULTS)[number];

/** The planted faults, by runtime name. */
export const PLANTED_FAULT_IDS: readonly RuntimeFaultId[] = RUNTIME_FAULTS.slice(0, PLANTED_FAULTS.length);

/** The delay of the slow replica and of the latency fault, and the share of failing queries. */
export const DNS_FAULT_SETTINGS = { slowReplicaMs: 150, latencyMs: 1500, errorRatio: 0.1 } as const;

const DNS_FAULTS: Partial<Record<RuntimeFaultId, string>> = {
  'dns-servfail': 'both CoreDNS replicas (and so the kube-dns Service) answer SERVFAIL',
  'dns-replica-stopped': 'CoreDNS replica kube-system/coredns-a stops answering',
  'dns-latency-high': `every DNS server answers after ${DNS_FAULT_SETTINGS.latencyMs} ms`,
  'dns-errors': `${DNS_FAULT_SETTINGS.errorRatio * 100}% of DNS queries to every server get SERVFAIL`,
};

/** What a fault does, in the words the demo uses. */
export function describeFault(id: RuntimeFaultId): string {
  const planted = PLANTED_FAULT_IDS.indexOf(id);
  return (planted >= 0 ? PLANTED_FAULTS[planted] : DNS_FAULTS[id]) ?? id;
}

/** The parts of the sandbox the faults change. */
export interface FaultParts {
  store: FakeStore;
  /** The seed objects of the healthy and of the faulty sandbox. */
  seed: { healthy: readonly object[]; faulty: readonly object[] };
  /** The kube-dns Service stand-in and the two replicas. */
  dns: { service: SandboxDns; a: SandboxDns; b: SandboxDns };
  /** Which bad certificates the ingress controller serves; read on every handshake. */
  tls: { expiring: boolean; wrongHost: boolean };
  /** Makes the declared path's target drop connections, or serve again. */
  declaredPath: { block(): Promise<void>; unblock(): Promise<void> };
}

/** Runtime fault hooks of a running sandbox. */
export interface SandboxFaults {
  /** Breaks something; a fault already active is left alone. */
  inject(id: RuntimeFaultId): Promise<void>;
  /** Repairs it; a fault not active is left alone. */
  heal(id: RuntimeFaultId): Promise<void>;
  /** Faults active now, in RUNTIME_FAULTS order. */
  active(): RuntimeFaultId[];
}

type ObjectKey = readonly [KindName, string | undefined, string];

/** The seed objects each store fault changes: taken from the faulty seed to inject, the healthy one to heal. */
const STORE_FAULTS: Partial<Record<RuntimeFaultId, readonly ObjectKey[]>> = {
  'label-mismatch': [
    ['Pod', 'shop', 'orders-1'],
    ['EndpointSlice', 'shop', 'orders-abc12'],
  ],
  'readiness-failure': [
    ['Pod', 'shop', 'inventory-1'],
    ['EndpointSlice', 'shop', 'inventory-abc12'],
  ],
  'unresolved-target-port': [
    ['Pod', 'shop', 'reports-1'],
    ['EndpointSlice', 'shop', 'reports-abc12'],
  ],
  'egress-forgets-dns': [['NetworkPolicy', 'batch', 'default-deny-egress']],
  'ingress-missing-service': [
    ['Service', 'shop', 'api-gateway'],
    ['EndpointSlice', 'shop', 'api-gateway-abc12'],
  ],
  'host-not-served': [['Ingress', 'shop', 'legacy']],
  'backend-policy-excludes-controller': [
    ['NetworkPolicy', 'shop', 'allow-app'],
    ['NetworkPolicy', 'shop', 'allow-status-api'],
  ],
  'policy-not-enforced': [['NetworkPolicy', 'shop', 'allow-netprobe-database']],
};

interface SeedObject {
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}

const sameKey = (o: object, [kind, namespace, name]: ObjectKey): boolean => {
  const s = o as SeedObject;
  return s.kind === kind && s.metadata?.namespace === namespace && s.metadata?.name === name;
};

/** Makes the store hold each keyed object as `objects` has it, or not at all when `objects` lacks it. */
function swapObjects(store: FakeStore, keys: readonly ObjectKey[], objects: readonly object[]): void {
  for (const key of keys) {
    const wanted = objects.find((o) => sameKey(o, key));
    if (wanted === undefined) store.remove(key[0], key[1], key[2]);
    else store.apply(structuredClone(wanted));
  }
}

function setDns(parts: FaultParts, id: RuntimeFaultId, on: boolean): void {
  const { service, a, b } = parts.dns;
  const all = [service, a, b];
  switch (id) {
    case 'slow-dns-replica':
      b.setDelay(on ? DNS_FAULT_SETTINGS.slowReplicaMs : 0);
      return;
    case 'dns-servfail':
      for (const d of all) d.setServfail(on ? 1 : 0);
      return;
    case 'dns-replica-stopped':
      if (on) a.stop();
      else a.start();
      return;
    case 'dns-latency-high':
      for (const d of all) d.setDelay(on ? DNS_FAULT_SETTINGS.latencyMs : 0);
      return;
    case 'dns-errors':
      for (const d of all) d.setServfail(on ? DNS_FAULT_SETTINGS.errorRatio : 0);
      return;
    default:
      throw new Error(`${id} is not a DNS fault`);
  }
}

async function apply(parts: FaultParts, id: RuntimeFaultId, on: boolean): Promise<void> {
  const keys = STORE_FAULTS[id];
  if (keys !== undefined) {
    swapObjects(parts.store, keys, on ? parts.seed.faulty : parts.seed.healthy);
    return;
  }
  if (id === 'cert-expiring') parts.tls.expiring = on;
  else if (id === 'cert-wrong-host') parts.tls.wrongHost = on;
  else if (id === 'declared-path-blocked')
    await (on ? parts.declaredPath.block() : parts.declaredPath.unblock());
  else setDns(parts, id, on);
}

/** Fault hooks over the sandbox's parts; `active` are the faults present at start (the planted ones). */
export function createSandboxFaults(parts: FaultParts, active: readonly RuntimeFaultId[]): SandboxFaults {
  const now = new Set<RuntimeFaultId>(active);
  // One change at a time: the declared-path switch starts and stops processes.
  let queue: Promise<void> = Promise.resolve();
  const change = (id: RuntimeFaultId, on: boolean): Promise<void> => {
    const run = async (): Promise<void> => {
      if (now.has(id) === on) return;
      await apply(parts, id, on);
      if (on) now.add(id);
      else now.delete(id);
    };
    const next = queue.then(run);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    inject: (id) => change(id, true),
    heal: (id) => change(id, false),
    active: () => RUNTIME_FAULTS.filter((id) => now.has(id)),
  };
}
