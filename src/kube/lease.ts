import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { KubeApiError, kubeRequest } from './rest.js';
import { num, rec, str } from './json.js';

/** Timing of the election, as client-go's leaderelection names it (seconds). */
export interface LeaseTiming {
  /** How long a lease is honoured after its last renewal before a standby may take it. */
  leaseDuration: number;
  /** How long the leader keeps trying to renew before it steps down. */
  renewDeadline: number;
  /** How often every replica tries to acquire or renew. */
  retryPeriod: number;
}

/** Where the lease lives and who this replica is. */
export interface LeaseTarget {
  namespace: string;
  name: string;
  identity: string;
}

/** What the elector reports. */
export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** The lease was lost or could not be renewed in time; the replica must stop acting as leader. */
  onStoppedLeading(): void;
  /** The observed holder changed (empty when nobody holds the lease). */
  onNewLeader?(holder: string): void;
}

/** One change of the observed leader, for the status page. */
export interface LeaderEvent {
  at: number;
  holder: string;
}

interface LeaseRecord {
  holder: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  transitions: number;
  resourceVersion: string;
}

const HISTORY = 20;

/**
 * Leader election on a coordination.k8s.io/v1 Lease, done as client-go's leaderelection does it:
 * a standby takes the lease only when its holder has not renewed it for leaseDuration, measured on
 * the standby's own clock from when it last saw the record change (so clock skew between replicas
 * does not matter); writes carry the resourceVersion they read, so two replicas cannot both win.
 * The leader steps down when it has not renewed for renewDeadline, before a standby may take over.
 */
export class LeaderElector {
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly events: LeaderEvent[] = [];
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly kc: KubeConfig,
    private readonly target: LeaseTarget,
    private readonly timing: LeaseTiming,
    private readonly callbacks: LeaderCallbacks,
    opts: { logger: Logger; now?: () => number },
  ) {
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen in the lease ('' when none). */
  get leader(): string {
    return this.observed?.holder ?? '';
  }

  /** Changes of the observed leader, oldest first. */
  get history(): readonly LeaderEvent[] {
    return this.events;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; with release, a leader hands the lease back so a standby takes over at once. */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.leading && release) {
      try {
        await this.write({ holder: '', leaseDurationSeconds: 1, keepTimes: false });
        this.logger.info('leader lease released', { lease: this.leaseName() });
      } catch (err) {
        this.logger.warn('could not release the leader lease', { error: String(err) });
      }
    }
    // A deliberate stop is not a lost election: no callback.
    this.leading = false;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        // client-go's JitterUntil with factor 1.2: the period plus up to 20 %.
        this.schedule(this.timing.retryPeriod * 1000 * (1 + Math.random() * 0.2));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.logger.debug('leader lease request failed', { error: String(err) });
    }
    if (this.stopped) return;
    const now = this.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info('became the leader', { lease: this.leaseName(), identity: this.target.identity });
        this.callbacks.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew >= this.timing.renewDeadline * 1000) {
      this.logger.error('leader lease not renewed within the renew deadline; stepping down', {
        lease: this.leaseName(),
        renewDeadlineSeconds: this.timing.renewDeadline,
      });
      this.stepDown();
    } else if (this.leading && this.observed && this.observed.holder !== this.target.identity) {
      this.logger.error('another replica holds the leader lease; stepping down', {
        holder: this.observed.holder,
      });
      this.stepDown();
    }
  }

  private stepDown(): void {
    this.leading = false;
    this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const current = await this.read();
    if (current === undefined) {
      await this.create();
      return true;
    }
    const now = this.now();
    if (!this.observed || !sameRecord(this.observed, current)) {
      this.observe(current, now);
    }
    const me = this.target.identity;
    const held = current.holder !== '' && current.holder !== me;
    if (held && this.observedAt + current.leaseDurationSeconds * 1000 > now) return false;
    try {
      await this.write({
        holder: me,
        leaseDurationSeconds: this.timing.leaseDuration,
        keepTimes: current.holder === me,
      });
    } catch (err) {
      // 409: another replica wrote first; it wins this round.
      if (err instanceof KubeApiError && err.statusCode === 409) return false;
      throw err;
    }
    return true;
  }

  private observe(record: LeaseRecord, now: number): void {
    const changed = this.observed?.holder !== record.holder;
    this.observed = record;
    this.observedAt = now;
    if (changed) {
      this.events.push({ at: now, holder: record.holder });
      if (this.events.length > HISTORY) this.events.shift();
      this.callbacks.onNewLeader?.(record.holder);
    }
  }

  private leaseName(): string {
    return `${this.target.namespace}/${this.target.name}`;
  }

  private collection(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.target.namespace)}/leases`;
  }

  private async read(): Promise<LeaseRecord | undefined> {
    try {
      const body = await kubeRequest(
        this.kc,
        `${this.collection()}/${encodeURIComponent(this.target.name)}`,
        {
          timeoutMs: this.timing.retryPeriod * 1000,
          maxBytes: 1024 * 1024,
        },
      );
      return parseLease(body);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private async create(): Promise<void> {
    const time = microTime(this.now());
    const body = this.body({
      holderIdentity: this.target.identity,
      leaseDurationSeconds: this.timing.leaseDuration,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: 0,
    });
    const created = await kubeRequest(this.kc, this.collection(), {
      method: 'POST',
      body,
      timeoutMs: this.timing.retryPeriod * 1000,
    });
    const record = parseLease(created);
    if (record) this.observe(record, this.now());
  }

  private async write(change: {
    holder: string;
    leaseDurationSeconds: number;
    keepTimes: boolean;
  }): Promise<void> {
    const prev = this.observed;
    const now = this.now();
    const time = microTime(now);
    const transitions = (prev?.transitions ?? 0) + (prev?.holder === change.holder ? 0 : 1);
    const body = this.body(
      {
        holderIdentity: change.holder,
        leaseDurationSeconds: change.leaseDurationSeconds,
        acquireTime: change.keepTimes && prev ? prev.acquireTime : time,
        renewTime: time,
        leaseTransitions: transitions,
      },
      prev?.resourceVersion,
    );
    const written = await kubeRequest(
      this.kc,
      `${this.collection()}/${encodeURIComponent(this.target.name)}`,
      {
        method: 'PUT',
        body,
        timeoutMs: this.timing.retryPeriod * 1000,
      },
    );
    const record = parseLease(written);
    if (record) this.observe(record, now);
  }

  private body(spec: Record<string, unknown>, resourceVersion?: string): Record<string, unknown> {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.target.name,
        namespace: this.target.namespace,
        labels: { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': 'cluster' },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec,
    };
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holder === b.holder &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.transitions === b.transitions &&
    a.leaseDurationSeconds === b.leaseDurationSeconds
  );
}

/** Reads the fields of a Lease the election uses; undefined when the object is not a Lease. */
export function parseLease(body: unknown): LeaseRecord | undefined {
  const obj = rec(body);
  const meta = rec(obj.metadata);
  const spec = rec(obj.spec);
  if (str(meta.name) === undefined) return undefined;
  return {
    holder: str(spec.holderIdentity) ?? '',
    leaseDurationSeconds: num(spec.leaseDurationSeconds) ?? 0,
    acquireTime: str(spec.acquireTime) ?? '',
    renewTime: str(spec.renewTime) ?? '',
    transitions: num(spec.leaseTransitions) ?? 0,
    resourceVersion: str(meta.resourceVersion) ?? '',
  };
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
