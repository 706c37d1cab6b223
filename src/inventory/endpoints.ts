import type { ClusterCache } from '../kube/cache.js';
import type { ChangeType } from '../kube/informer.js';
import type { EndpointSliceP, PodP, ServiceP } from '../kube/projections.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/catalog.js';
import { debounce } from '../runner/debounce.js';
import {
  isCountedPod,
  recordService,
  removeService,
  type ServiceSummary,
  selectorMatches,
  summarizeService,
  type RecordedSeries,
} from './endpoints-record.js';

/** The informers the inventory reads. */
export type EndpointSources = Pick<ClusterCache, 'services' | 'endpointSlices' | 'pods'>;

/** What one flush did (for logs and the benchmark). */
export interface FlushStats {
  services: number;
  durationMs: number;
}

/** Options of the inventory; the defaults keep updates well within a second of the watch event. */
export interface EndpointInventoryOptions {
  cache: EndpointSources;
  metrics: Metrics;
  logger: Logger;
  /** Quiet time before a flush (default 50 ms). */
  debounceMs?: number;
  /** Longest delay of a flush under a steady stream of events (default 250 ms). */
  maxDelayMs?: number;
  onFlush?: (stats: FlushStats) => void;
}

// namespace -> name -> value. Namespaced maps let every name string be shared with the projections.
type Nested<V> = Map<string, Map<string, V>>;
// namespace -> key -> names (label pair -> pods, selector pair -> services, service -> slices).
type NameIndex = Nested<Set<string>>;

interface ServiceState {
  /** The current Service; undefined once deleted (until its series are removed). */
  svc: ServiceP | undefined;
  /** The selector pair under which the Service is indexed for pod lookups. */
  pair: string | undefined;
  recorded: RecordedSeries | undefined;
  /** What was last exported, for the status page and /status (the results model, not the registry). */
  summary?: ServiceSummary;
}

function getIn<V>(m: Nested<V>, ns: string, name: string): V | undefined {
  return m.get(ns)?.get(name);
}

function setIn<V>(m: Nested<V>, ns: string, name: string, v: V): void {
  let inner = m.get(ns);
  if (inner === undefined) m.set(ns, (inner = new Map<string, V>()));
  inner.set(name, v);
}

function deleteIn<V>(m: Nested<V>, ns: string, name: string): void {
  const inner = m.get(ns);
  if (inner?.delete(name) === true && inner.size === 0) m.delete(ns);
}

function addName(index: NameIndex, ns: string, key: string, name: string): void {
  let set = getIn(index, ns, key);
  if (set === undefined) setIn(index, ns, key, (set = new Set<string>()));
  set.add(name);
}

function removeName(index: NameIndex, ns: string, key: string, name: string): void {
  const set = getIn(index, ns, key);
  if (set?.delete(name) === true && set.size === 0) deleteIn(index, ns, key);
}

function pairsOf(labels: Record<string, string>): string[] {
  // Label keys and values cannot contain '=', so the pair is unambiguous.
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

// Only labels, phase (counted or not) and named ports of a pod feed the Service series; readiness
// reaches them through the EndpointSlices. Skipping other pod updates keeps readiness churn cheap.
function podRelevantChange(a: PodP, b: PodP): boolean {
  if (isCountedPod(a) !== isCountedPod(b) || !sameLabels(a.metadata.labels, b.metadata.labels)) return true;
  const pa = a.ports.map((p) => `${p.name ?? ''}/${p.protocol}`).join(',');
  return pa !== b.ports.map((p) => `${p.name ?? ''}/${p.protocol}`).join(',');
}

/**
 * Service endpoint inventory of the cluster role: subscribes to the Service, EndpointSlice and Pod
 * informers, marks the Services an event can affect as dirty (found through small indexes, never by
 * scanning the cluster), and recomputes only those in a debounced flush.
 */
export class EndpointInventory {
  private readonly services: Nested<ServiceState> = new Map();
  private readonly pods: Nested<PodP> = new Map();
  private readonly slices: Nested<EndpointSliceP> = new Map();
  private readonly podsByPair: NameIndex = new Map();
  private readonly servicesByPair: NameIndex = new Map();
  private readonly slicesByService: NameIndex = new Map();
  private readonly dirty = new Set<string>();
  private readonly flusher: { trigger(): void; cancel(): void };
  private running = false;
  private subscribed = false;
  private computed = false;

  constructor(private readonly opts: EndpointInventoryOptions) {
    this.flusher = debounce(() => this.flush(), opts.debounceMs ?? 50, opts.maxDelayMs ?? 250);
  }

  /** Subscribes to the informers (once), indexes what they already hold, and flushes after their sync. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { cache } = this.opts;
    if (!this.subscribed) {
      this.subscribed = true;
      cache.services.onChange((t, o) => this.running && this.onService(t, o));
      cache.endpointSlices.onChange((t, o) => this.running && this.onSlice(t, o));
      cache.pods.onChange((t, o) => this.running && this.onPod(t, o));
    }
    // Informers may have synced before start (the role wires us late): seed from their contents.
    for (const p of cache.pods.list()) this.onPod('add', p);
    for (const s of cache.endpointSlices.list()) this.onSlice('add', s);
    for (const s of cache.services.list()) this.onService('add', s);
    void Promise.all([
      cache.services.waitForSync(),
      cache.endpointSlices.waitForSync(),
      cache.pods.waitForSync(),
    ]).then(() => {
      if (this.running) this.flusher.trigger();
    });
  }

  /** Stops reacting to events and removes every series it wrote (a later start rebuilds them). */
  stop(): void {
    this.running = false;
    this.flusher.cancel();
    for (const [ns, inner] of this.services) {
      for (const [name, st] of inner)
        if (st.recorded) removeService(this.opts.metrics.service, ns, name, st.recorded);
    }
    for (const m of [
      this.services,
      this.pods,
      this.slices,
      this.podsByPair,
      this.servicesByPair,
      this.slicesByService,
    ])
      m.clear();
    this.dirty.clear();
    this.computed = false;
  }

  /** True once every source informer has synced and the first full computation was exported. */
  get synced(): boolean {
    return this.computed;
  }

  private markDirty(ns: string, name: string): void {
    this.dirty.add(`${ns}/${name}`);
    // Until the first flush, the end of the informers' sync triggers it (saves a timer per listed object).
    if (this.computed) this.flusher.trigger();
  }

  private onService(type: ChangeType, svc: ServiceP): void {
    const { namespace: ns, name } = svc.metadata;
    let st = getIn(this.services, ns, name);
    if (st === undefined)
      setIn(this.services, ns, name, (st = { svc: undefined, pair: undefined, recorded: undefined }));
    if (st.pair !== undefined) removeName(this.servicesByPair, ns, st.pair, name);
    st.svc = type === 'delete' ? undefined : svc;
    // Any one pair of the selector finds the Service from a pod; the full selector is checked after.
    const sel = st.svc?.selector;
    st.pair = sel ? pairsOf(sel).sort()[0] : undefined;
    if (st.pair !== undefined) addName(this.servicesByPair, ns, st.pair, name);
    this.markDirty(ns, name);
  }

  private onSlice(type: ChangeType, slice: EndpointSliceP): void {
    const { namespace: ns, name } = slice.metadata;
    const old = getIn(this.slices, ns, name);
    if (old !== undefined) {
      removeName(this.slicesByService, ns, old.serviceName, name);
      this.markDirty(ns, old.serviceName);
    }
    if (type === 'delete') {
      deleteIn(this.slices, ns, name);
      return;
    }
    setIn(this.slices, ns, name, slice);
    if (slice.serviceName === '') return;
    addName(this.slicesByService, ns, slice.serviceName, name);
    this.markDirty(ns, slice.serviceName);
  }

  private onPod(type: ChangeType, pod: PodP): void {
    const { namespace: ns, name } = pod.metadata;
    const old = getIn(this.pods, ns, name);
    if (type !== 'delete' && old !== undefined && !podRelevantChange(old, pod)) {
      setIn(this.pods, ns, name, pod);
      return;
    }
    if (old !== undefined) {
      this.markServicesOf(ns, old.metadata.labels);
      for (const pair of pairsOf(old.metadata.labels)) removeName(this.podsByPair, ns, pair, name);
      deleteIn(this.pods, ns, name);
    }
    if (type === 'delete') return;
    setIn(this.pods, ns, name, pod);
    for (const pair of pairsOf(pod.metadata.labels)) addName(this.podsByPair, ns, pair, name);
    this.markServicesOf(ns, pod.metadata.labels);
  }

  // Services of the namespace whose selector matches these labels, via the selector-pair index.
  private markServicesOf(ns: string, labels: Record<string, string>): void {
    for (const pair of pairsOf(labels)) {
      for (const name of getIn(this.servicesByPair, ns, pair) ?? []) {
        const sel = getIn(this.services, ns, name)?.svc?.selector;
        if (sel && selectorMatches(sel, labels)) this.markDirty(ns, name);
      }
    }
  }

  // Counted pods matching a selector: walk the smallest pair's pods, check the full selector.
  private matchingPods(ns: string, selector: Record<string, string>): PodP[] {
    let smallest: Set<string> | undefined;
    for (const pair of pairsOf(selector)) {
      const set = getIn(this.podsByPair, ns, pair);
      if (set === undefined) return [];
      if (smallest === undefined || set.size < smallest.size) smallest = set;
    }
    const out: PodP[] = [];
    for (const name of smallest ?? []) {
      const pod = getIn(this.pods, ns, name);
      if (pod && isCountedPod(pod) && selectorMatches(selector, pod.metadata.labels)) out.push(pod);
    }
    return out;
  }

  private slicesOf(ns: string, service: string): EndpointSliceP[] {
    const out: EndpointSliceP[] = [];
    for (const name of getIn(this.slicesByService, ns, service) ?? []) {
      const s = getIn(this.slices, ns, name);
      if (s) out.push(s);
    }
    return out;
  }

  private recompute(ns: string, name: string): void {
    const st = getIn(this.services, ns, name);
    if (st === undefined) return;
    const svc = st.svc;
    // ExternalName Services have no endpoints or pods: they are left out entirely.
    if (svc === undefined || svc.type === 'ExternalName') {
      if (st.recorded) removeService(this.opts.metrics.service, ns, name, st.recorded);
      st.recorded = undefined;
      delete st.summary;
      if (svc === undefined) deleteIn(this.services, ns, name);
      return;
    }
    const pods = svc.selector ? this.matchingPods(ns, svc.selector) : [];
    const summary = summarizeService(svc, this.slicesOf(ns, name), pods);
    st.recorded = recordService(this.opts.metrics.service, summary, st.recorded);
    st.summary = summary;
  }

  /** The last summary of every exported Service (what its series say). */
  summaries(): ServiceSummary[] {
    const out: ServiceSummary[] = [];
    for (const byName of this.services.values()) {
      for (const st of byName.values()) if (st.summary !== undefined) out.push(st.summary);
    }
    return out;
  }

  private flush(): void {
    const { cache } = this.opts;
    // Before every source has synced, partial lists would export false zeros: keep the marks.
    if (
      !this.running ||
      !cache.services.hasSynced ||
      !cache.endpointSlices.hasSynced ||
      !cache.pods.hasSynced
    )
      return;
    const started = performance.now();
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const slash = key.indexOf('/');
      try {
        this.recompute(key.slice(0, slash), key.slice(slash + 1));
      } catch (err) {
        this.opts.logger.error('endpoint inventory: recompute failed', { service: key, err });
      }
    }
    this.computed = true;
    this.opts.onFlush?.({ services: keys.length, durationMs: performance.now() - started });
  }
}
