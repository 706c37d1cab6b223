import { randomUUID } from 'node:crypto';
import { checkName, normalizeObject, objectKey, type KubeObject } from './objects.js';
import { isJsonObject } from './patch.js';
import { isKindName, resourceOfKind, type KindName, type ResourceInfo } from './resources.js';
import { ApiError } from './status.js';

/** Who made a change: the test/demo through the store, or a client through the HTTP API. */
export interface Origin {
  source: 'store' | 'api';
  user?: string;
}

/** One change, as a watch would report it. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: KindName;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  prev?: KubeObject;
  resourceVersion: number;
  origin: Origin;
}

/** Called synchronously after every change; must not throw. */
export type StoreListener = (event: StoreEvent) => void;

/** The objects the fake API serves, with etcd-like resourceVersions and a bounded event history. */
export interface FakeStore {
  /** Creates or replaces an object (plain `kubectl get -o json` shape); returns what was stored. */
  apply(obj: unknown): KubeObject;
  /** Deletes an object; returns it, or undefined when it did not exist. */
  remove(kind: KindName, namespace: string | undefined, name: string): KubeObject | undefined;
  /** A copy of one object. */
  get(kind: KindName, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Copies of all objects of a kind (in one namespace, or all), sorted by namespace/name. */
  list(kind: KindName, namespace?: string): KubeObject[];
  /** Listens to every change; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void;
  /** Resolves with the first future change that matches (rejects after timeoutMs). */
  waitFor(match: (event: StoreEvent) => boolean, timeoutMs?: number): Promise<StoreEvent>;
  /** The newest resourceVersion handed out. */
  resourceVersion(): number;
  /** Creates an object; ApiError 409 when the name is taken. */
  create(obj: KubeObject, origin: Origin): KubeObject;
  /** Replaces an object; ApiError 404 when missing, 409 when obj carries a stale resourceVersion. */
  update(obj: KubeObject, origin: Origin): KubeObject;
  /** Deletes an object; ApiError 404 when missing. */
  delete(kind: KindName, namespace: string | undefined, name: string, origin: Origin): KubeObject;
  /** Events newer than rv; ApiError 410 when rv is older than the retained history. */
  eventsSince(rv: number): StoreEvent[];
  /** The oldest resourceVersion a watch may still start from. */
  oldestResourceVersion(): number;
  /** Forgets all history (and moves the resourceVersion on) so every client position becomes too old. */
  expireHistory(): void;
}

/** Store options. */
export interface StoreOptions {
  /** Events kept for watches that resume from an older resourceVersion (default 1000). */
  historySize?: number;
}

const FIRST_RV = 100;

/** Creates an empty store. */
export function createStore(opts: StoreOptions = {}): FakeStore {
  const historySize = opts.historySize ?? 1000;
  const objects = new Map<KindName, Map<string, KubeObject>>();
  const listeners = new Set<StoreListener>();
  let history: StoreEvent[] = [];
  let rv = FIRST_RV;
  let compacted = FIRST_RV;

  const bucket = (kind: KindName): Map<string, KubeObject> => {
    let b = objects.get(kind);
    if (b === undefined) objects.set(kind, (b = new Map<string, KubeObject>()));
    return b;
  };

  const record = (event: Omit<StoreEvent, 'resourceVersion'>, stamped: number): KubeObject => {
    const full: StoreEvent = { ...event, resourceVersion: stamped };
    history.push(full);
    while (history.length > historySize) {
      const dropped = history.shift();
      if (dropped !== undefined) compacted = dropped.resourceVersion;
    }
    for (const l of [...listeners]) l(full);
    return structuredClone(event.object);
  };

  const write = (
    kind: KindName,
    obj: KubeObject,
    prev: KubeObject | undefined,
    origin: Origin,
  ): KubeObject => {
    rv += 1;
    const stored = stamp(obj, prev, rv);
    bucket(kind).set(objectKey(stored.metadata.namespace, stored.metadata.name), stored);
    const type = prev === undefined ? 'ADDED' : 'MODIFIED';
    return record({ type, kind, object: stored, ...(prev === undefined ? {} : { prev }), origin }, rv);
  };

  const find = (kind: KindName, ns: string | undefined, name: string): KubeObject | undefined =>
    bucket(kind).get(objectKey(resourceOfKind(kind).namespaced ? ns : undefined, name));

  const deleteOne = (
    kind: KindName,
    ns: string | undefined,
    name: string,
    origin: Origin,
  ): KubeObject | undefined => {
    const prev = find(kind, ns, name);
    if (prev === undefined) return undefined;
    // Deleting a namespace takes its objects with it (without the real Terminating phase).
    if (kind === 'Namespace') cascade(name, origin);
    bucket(kind).delete(objectKey(prev.metadata.namespace, prev.metadata.name));
    rv += 1;
    const object = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    return record({ type: 'DELETED', kind, object, prev, origin }, rv);
  };

  const cascade = (ns: string, origin: Origin): void => {
    for (const [kind, b] of objects) {
      if (!resourceOfKind(kind).namespaced) continue;
      for (const obj of [...b.values()]) {
        if (obj.metadata.namespace === ns) deleteOne(kind, ns, obj.metadata.name, origin);
      }
    }
  };

  const store: FakeStore = {
    apply(input) {
      const info = infoOf(input);
      const obj = normalizeObject(info, input, null);
      checkName(info, obj.metadata.name);
      const prev = find(info.kind, obj.metadata.namespace, obj.metadata.name);
      return write(info.kind, obj, prev, { source: 'store' });
    },
    remove: (kind, ns, name) => deleteOne(kind, ns, name, { source: 'store' }),
    get(kind, ns, name) {
      const obj = find(kind, ns, name);
      return obj === undefined ? undefined : structuredClone(obj);
    },
    list(kind, ns) {
      const all = [...bucket(kind).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, o]) => o);
      return structuredClone(ns === undefined ? all : all.filter((o) => o.metadata.namespace === ns));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitFor: (match, timeoutMs = 5000) => waitForEvent(store, match, timeoutMs),
    resourceVersion: () => rv,
    create(obj, origin) {
      const kind = kindOf(obj);
      if (find(kind, obj.metadata.namespace, obj.metadata.name) !== undefined) {
        const info = resourceOfKind(kind);
        const details = { name: obj.metadata.name, group: info.group, kind: info.plural };
        throw new ApiError(
          409,
          `${info.plural} "${obj.metadata.name}" already exists`,
          'AlreadyExists',
          details,
        );
      }
      return write(kind, obj, undefined, origin);
    },
    update(obj, origin) {
      const kind = kindOf(obj);
      const prev = find(kind, obj.metadata.namespace, obj.metadata.name);
      if (prev === undefined) throw notFound(resourceOfKind(kind), obj.metadata.name);
      const want = obj.metadata.resourceVersion;
      if (want !== undefined && want !== '' && want !== prev.metadata.resourceVersion) {
        throw conflict(resourceOfKind(kind), obj.metadata.name);
      }
      return write(kind, obj, prev, origin);
    },
    delete(kind, ns, name, origin) {
      const gone = deleteOne(kind, ns, name, origin);
      if (gone === undefined) throw notFound(resourceOfKind(kind), name);
      return gone;
    },
    eventsSince(since) {
      if (since < compacted) throw expired(since, compacted);
      return history.filter((e) => e.resourceVersion > since);
    },
    oldestResourceVersion: () => compacted,
    expireHistory() {
      history = [];
      rv += 1;
      compacted = rv;
    },
  };
  return store;
}

// Server-owned metadata: uid and creationTimestamp survive updates, resourceVersion is always new.
function stamp(obj: KubeObject, prev: KubeObject | undefined, rv: number): KubeObject {
  const meta = { ...obj.metadata };
  meta.uid =
    prev?.metadata.uid ?? (typeof meta.uid === 'string' && meta.uid !== '' ? meta.uid : randomUUID());
  meta.creationTimestamp = prev?.metadata.creationTimestamp ?? meta.creationTimestamp ?? nowTimestamp();
  meta.resourceVersion = String(rv);
  meta.generation = nextGeneration(obj, prev);
  delete meta.generateName;
  if (prev?.metadata.generateName !== undefined) meta.generateName = prev.metadata.generateName;
  else if (obj.metadata.generateName !== undefined) meta.generateName = obj.metadata.generateName;
  return structuredClone({ ...obj, metadata: meta });
}

// generation counts changes to the desired state, so metadata and status changes do not bump it.
function nextGeneration(obj: KubeObject, prev: KubeObject | undefined): number {
  if (prev === undefined) return 1;
  const prevGen = prev.metadata.generation ?? 1;
  return specOf(obj) === specOf(prev) ? prevGen : prevGen + 1;
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function infoOf(input: unknown): ResourceInfo {
  const kind = isJsonObject(input) ? input.kind : undefined;
  if (typeof kind !== 'string' || !isKindName(kind))
    throw new ApiError(400, `unsupported kind ${String(kind)}`);
  return resourceOfKind(kind);
}

function kindOf(obj: KubeObject): KindName {
  return infoOf(obj).kind;
}

/** The 404 Status for a missing object. */
export function notFound(info: ResourceInfo, name: string): ApiError {
  const details = { name, group: info.group, kind: info.plural };
  return new ApiError(404, `${info.plural} "${name}" not found`, 'NotFound', details);
}

function conflict(info: ResourceInfo, name: string): ApiError {
  const msg = `Operation cannot be fulfilled on ${info.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
  return new ApiError(409, msg, 'Conflict', { name, group: info.group, kind: info.plural });
}

/** The 410 Status for a resourceVersion older than the history. */
export function expired(since: number, oldest: number): ApiError {
  return new ApiError(410, `too old resource version: ${since} (${oldest})`, 'Expired');
}

function waitForEvent(
  store: FakeStore,
  match: (e: StoreEvent) => boolean,
  timeoutMs: number,
): Promise<StoreEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching store event within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = store.subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}
