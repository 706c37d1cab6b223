import { startSandboxDns, type SandboxDns } from '../../sandbox/dns-server.js';
import { KINDS, type FakeStore } from '../../sandbox/fake-api/index.js';
import { createStore } from '../../sandbox/fake-api/store.js';
import {
  createSandboxFaults,
  DNS_FAULT_SETTINGS,
  describeFault,
  PLANTED_FAULT_IDS,
  RUNTIME_FAULTS,
  type FaultParts,
} from '../../sandbox/runtime-faults.js';
import { PLANTED_FAULTS, sandboxObjects } from '../../sandbox/seed.js';

// Injecting every planted fault into the healthy sandbox must give exactly the faulty sandbox, and
// healing them the healthy one again: the runtime faults and the planted seed cannot drift apart.

const seed = {
  healthy: sandboxObjects({ healthy: true, apiPort: 6443, dnsPort: 53 }),
  faulty: sandboxObjects({ healthy: false, apiPort: 6443, dnsPort: 53 }),
};

/** The store's objects without what the store adds (resourceVersion, uid, timestamps). */
function contents(store: FakeStore): string[] {
  return KINDS.flatMap((kind) =>
    store.list(kind).map((o) => {
      const { metadata, ...rest } = o as { metadata: Record<string, unknown> } & Record<string, unknown>;
      const { name, namespace, labels, annotations } = metadata;
      return JSON.stringify({ ...rest, metadata: { name, namespace, labels, annotations } });
    }),
  ).sort();
}

function storeOf(objects: readonly object[]): FakeStore {
  const store = createStore();
  for (const o of objects) store.apply(structuredClone(o));
  return store;
}

const dns: SandboxDns[] = [];
const switches = { blocked: 0, unblocked: 0 };

beforeAll(async () => {
  for (const address of ['127.0.0.61', '127.0.0.62', '127.0.0.63'])
    dns.push(await startSandboxDns({ address, port: 0, records: () => 'nxdomain' }));
});

afterAll(async () => {
  await Promise.all(dns.map((d) => d.close()));
});

function parts(store: FakeStore): FaultParts {
  const [service, a, b] = dns;
  if (!service || !a || !b) throw new Error('DNS servers did not start');
  return {
    store,
    seed,
    dns: { service, a, b },
    tls: { expiring: false, wrongHost: false },
    declaredPath: {
      block: () => Promise.resolve(void switches.blocked++),
      unblock: () => Promise.resolve(void switches.unblocked++),
    },
  };
}

describe('runtime faults', () => {
  it('names one runtime fault per planted fault, in order, and describes each', () => {
    expect(PLANTED_FAULT_IDS).toHaveLength(PLANTED_FAULTS.length);
    expect(PLANTED_FAULT_IDS.map(describeFault)).toEqual([...PLANTED_FAULTS]);
    for (const id of RUNTIME_FAULTS) expect(describeFault(id)).not.toBe(id);
  });

  it('turns the healthy sandbox into the faulty one, and back', async () => {
    const store = storeOf(seed.healthy);
    const p = parts(store);
    const faults = createSandboxFaults(p, []);
    expect(contents(store)).not.toEqual(contents(storeOf(seed.faulty)));
    for (const id of PLANTED_FAULT_IDS) await faults.inject(id);
    expect(contents(store)).toEqual(contents(storeOf(seed.faulty)));
    expect(p.tls).toEqual({ expiring: true, wrongHost: true });
    expect(switches.blocked).toBe(1);
    expect(faults.active()).toEqual(PLANTED_FAULT_IDS);
    for (const id of PLANTED_FAULT_IDS) await faults.heal(id);
    expect(contents(store)).toEqual(contents(storeOf(seed.healthy)));
    expect(p.tls).toEqual({ expiring: false, wrongHost: false });
    expect(switches.unblocked).toBe(1);
    expect(faults.active()).toEqual([]);
  });

  it('leaves an active fault alone when injected again, and heals a faulty sandbox', async () => {
    const store = storeOf(seed.faulty);
    const faults = createSandboxFaults(parts(store), PLANTED_FAULT_IDS);
    await faults.inject('label-mismatch');
    expect(contents(store)).toEqual(contents(storeOf(seed.faulty)));
    for (const id of PLANTED_FAULT_IDS) await faults.heal(id);
    expect(contents(store)).toEqual(contents(storeOf(seed.healthy)));
  });

  it('slows, stops and breaks the DNS servers', async () => {
    const faults = createSandboxFaults(parts(storeOf(seed.healthy)), []);
    await faults.inject('dns-latency-high');
    expect(faults.active()).toEqual(['dns-latency-high']);
    await faults.heal('dns-latency-high');
    expect(faults.active()).toEqual([]);
    expect(DNS_FAULT_SETTINGS.latencyMs).toBeGreaterThan(1000);
  });
});
