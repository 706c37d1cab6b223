import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { listPages } from './rest.js';
import type { Meta } from './projections.js';

/** What to watch and how to project it. */
export interface ResourceSpec<T extends { metadata: Meta }> {
  /** Label value for metrics, e.g. "pods". */
  resource: string;
  /** Collection path, e.g. /api/v1/pods or /api/v1/namespaces/netprobe/configmaps. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  project: (obj: unknown) => T | undefined;
}

/** Metric hooks; the informer never touches the registry. */
export interface InformerHooks {
  onUp?: (resource: string, up: boolean) => void;
  onRestart?: (resource: string) => void;
  onObjects?: (resource: string, count: number) => void;
  onRejected?: (resource: string) => void;
}

export type ChangeType = 'add' | 'update' | 'delete';

/** Informer options. */
export interface InformerOptions {
  logger: Logger;
  hooks?: InformerHooks;
  pageSize?: number;
  backoffInitialMs?: number;
  /** Longest wait between restarts (default 4 s; with +20 % jitter at most 4.8 s), so the cache converges within 5 s of an outage ending. */
  backoffMaxMs?: number;
  /**
   * The server ends each watch after a random timeoutSeconds in this range (default 300–600 s, as
   * client-go's reflector does), and the watch resumes from the last resourceVersion: an idle
   * watch costs one request per 5–10 minutes, spread so thousands of agents do not reconnect in step.
   */
  watchTimeoutSeconds?: readonly [number, number];
}

/**
 * Informers sharing one API connection: when one of them reaches the API again the others retry at
 * once instead of sleeping out their backoff, so the whole cache converges soon after an outage.
 */
const peers = new WeakMap<KubeConfig, Set<RestartingInformer<{ metadata: Meta }>>>();

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;
type DoneCallback = (err: unknown) => void;

/**
 * A client-node ListWatch that (1) holds compact projections instead of whole objects, (2) lists in
 * pages, and (3) restarts with capped exponential backoff after any error: client-node's ListWatch
 * stops for good on errors other than 410 Gone and its idle timeout.
 */
export class RestartingInformer<T extends { metadata: Meta }> {
  private readonly lw: ListWatch<T & KubernetesObject>;
  private readonly listeners: Array<(type: ChangeType, obj: T) => void> = [];
  private count = 0;
  private attempts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartPending = false;
  /** Set from the first failure until the next successful list or watch; logs only on its changes. */
  private downSince: number | undefined;
  private restartsWhileDown = 0;
  private stopped = true;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly kc: KubeConfig,
    private readonly spec: ResourceSpec<T>,
    private readonly opts: InformerOptions,
  ) {
    this.log = opts.logger.child({ resource: spec.resource });
    const watch = this.projectingWatch(new Watch(kc));
    this.lw = new ListWatch<T & KubernetesObject>(
      spec.path,
      watch as unknown as Watch,
      // The list carries projections; ListWatch only reads items[].metadata and metadata.resourceVersion.
      () => this.listAll(),
      false,
      spec.labelSelector,
      spec.fieldSelector,
    );
    this.lw.on('add', (o) => this.emit('add', o));
    this.lw.on('update', (o) => this.emit('update', o));
    this.lw.on('delete', (o) => this.emit('delete', o));
    this.lw.on('error', (err) => this.onError(err));
  }

  /** Starts listing and watching; returns at once (see waitForSync). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const group = peers.get(this.kc) ?? new Set();
    peers.set(this.kc, group);
    group.add(this as unknown as RestartingInformer<{ metadata: Meta }>);
    void this.lw.start().catch((err: unknown) => this.onError(err));
  }

  /** Stops watching and any pending restart. */
  stop(): void {
    this.stopped = true;
    peers.get(this.kc)?.delete(this as unknown as RestartingInformer<{ metadata: Meta }>);
    clearTimeout(this.restartTimer);
    this.restartPending = false;
    void this.lw.stop();
    this.setUp(false);
  }

  /** Resolves once the first list has been loaded into the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * How long the cache may have been missing changes: seconds since its watch failed and has not
   * yet come back with a fresh list; 0 while it is connected (or has never failed).
   */
  get staleSeconds(): number {
    return this.downSince === undefined ? 0 : (Date.now() - this.downSince) / 1000;
  }

  /** True once the first list has been loaded. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** Every cached object, or those of one namespace. */
  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace);
  }

  /** One cached object. */
  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }

  /** Subscribes to cache changes (after the cache is updated). */
  onChange(cb: (type: ChangeType, obj: T) => void): void {
    this.listeners.push(cb);
  }

  private emit(type: ChangeType, obj: T): void {
    this.count += type === 'add' ? 1 : type === 'delete' ? -1 : 0;
    this.opts.hooks?.onObjects?.(this.spec.resource, this.count);
    for (const cb of this.listeners) {
      try {
        cb(type, obj);
      } catch (err) {
        this.log.error('cache listener failed', { err });
      }
    }
  }

  private setUp(up: boolean): void {
    this.opts.hooks?.onUp?.(this.spec.resource, up);
  }

  private markSynced(): void {
    this.attempts = 0;
    this.setUp(true);
    if (this.downSince !== undefined) {
      this.log.info('watch recovered', {
        downForMs: Date.now() - this.downSince,
        restarts: this.restartsWhileDown,
      });
      this.downSince = undefined;
      this.restartsWhileDown = 0;
      for (const peer of peers.get(this.kc) ?? []) if (peer !== (this as unknown)) peer.retrySoon();
    }
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private onError(err: unknown): void {
    this.setUp(false);
    if (this.stopped) return;
    const base = this.opts.backoffInitialMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 4_000;
    const delay = Math.min(max, base * 2 ** this.attempts) * jitter();
    this.attempts++;
    // One warning per outage, not one per restart; the restarts are counted in the metrics.
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.log.warn('watch failed; restarting with backoff until it recovers', { err, maxDelayMs: max });
    } else {
      this.restartsWhileDown++;
      this.log.debug('watch still failing', { err, delayMs: Math.round(delay), attempt: this.attempts });
    }
    this.scheduleRestart(delay);
  }

  /** Called when a peer reached the API: a long pending backoff is cut short (still jittered). */
  private retrySoon(): void {
    if (this.stopped || !this.restartPending) return;
    this.attempts = 0;
    this.scheduleRestart((this.opts.backoffInitialMs ?? 500) * jitter());
  }

  private scheduleRestart(delay: number): void {
    clearTimeout(this.restartTimer);
    this.restartPending = true;
    this.restartTimer = setTimeout(() => {
      this.restartPending = false;
      if (this.stopped) return;
      this.opts.hooks?.onRestart?.(this.spec.resource);
      void this.lw.start().catch((e: unknown) => this.onError(e));
    }, delay);
  }

  /** Lists every page, projecting each page as it arrives so whole objects are never all held at once. */
  private async listAll(): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    const items: T[] = [];
    const params: Record<string, string> = {};
    if (this.spec.labelSelector) params.labelSelector = this.spec.labelSelector;
    if (this.spec.fieldSelector) params.fieldSelector = this.spec.fieldSelector;
    const pageSize = this.opts.pageSize ?? 500;
    const resourceVersion = await listPages(this.kc, this.spec.path, { params, pageSize }, (page) => {
      for (const raw of page) {
        const p = this.spec.project(raw);
        if (p) items.push(p);
        else this.opts.hooks?.onRejected?.(this.spec.resource);
      }
    });
    // ListWatch fills its cache right after this promise resolves.
    setImmediate(() => this.markSynced());
    return { items, metadata: { resourceVersion } };
  }

  private projectingWatch(real: Watch): {
    watch: (p: string, q: object, cb: WatchCallback, done: DoneCallback) => Promise<unknown>;
  } {
    return {
      watch: async (path, query, cb, done) => {
        let failed = false;
        const [min, max] = this.opts.watchTimeoutSeconds ?? [300, 600];
        // Bookmarks keep the resourceVersion current on quiet resources, so a reconnect resumes
        // instead of relisting; only a 410 Gone (history expired) relists (client-node's ListWatch).
        const params = {
          ...(query as Record<string, string>),
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(Math.round(min + Math.random() * (max - min))),
        };
        const ctrl = await real.watch(
          path,
          params,
          (phase: string, obj: unknown, raw: unknown) => {
            if (phase === 'ERROR' || phase === 'BOOKMARK') return cb(phase, obj, raw);
            const p = this.spec.project(obj);
            if (p) cb(phase, p, raw);
            else this.opts.hooks?.onRejected?.(this.spec.resource);
          },
          (err: unknown) => {
            if (err) failed = true;
            done(err);
          },
        );
        if (!failed && this.synced) this.markSynced();
        return ctrl;
      },
    };
  }
}

/** Spreads restarts of many agents over ±20 % so they do not hit a recovering API in step. */
function jitter(): number {
  return 0.8 + 0.4 * Math.random();
}
