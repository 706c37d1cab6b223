import type { Logger } from '../log/logger.js';

/** One probe target: run() is called every interval with a signal that aborts at the timeout. */
export interface Job {
  /** Unique per prober; a job with the same key in a later setJobs() keeps its timing. */
  key: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  run: (signal: AbortSignal) => Promise<void>;
}

/** How a run ended. */
export type RunOutcome = 'completed' | 'timeout' | 'failed';

/** Hooks for metrics; the scheduler itself never touches the registry. */
export interface SchedulerHooks {
  onRunEnd?: (prober: string, outcome: RunOutcome, endedAtMs: number) => void;
  onOverlapSkip?: (prober: string) => void;
  onTargets?: (prober: string, count: number) => void;
}

/** Scheduler options. */
export interface SchedulerOptions {
  /** Global cap on runs in flight, all probers together. */
  concurrency: number;
  /** Each wait is interval * (1 ± jitter); the first run starts at a random point of the first interval. */
  jitter?: number;
  random?: () => number;
  hooks?: SchedulerHooks;
  logger: Logger;
}

interface JobState {
  prober: string;
  job: Job;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
  queued: boolean;
  removed: boolean;
}

/**
 * Runs probe jobs on their intervals with jitter, never two runs of the same job at once,
 * at most `concurrency` runs in flight, each aborted at its timeout.
 */
export class Scheduler {
  private readonly jobs = new Map<string, JobState>();
  private readonly queue: JobState[] = [];
  private readonly lastRuns = new Map<string, number>();
  private active = 0;
  private running = false;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.jitter = Math.min(Math.max(opts.jitter ?? 0.1, 0), 0.5);
    this.random = opts.random ?? Math.random;
  }

  /** Replaces the jobs of one prober; unchanged keys keep their schedule, removed keys stop. */
  setJobs(prober: string, jobs: readonly Job[]): void {
    const wanted = new Map(jobs.map((j) => [`${prober}\u0000${j.key}`, j]));
    for (const [id, state] of this.jobs) {
      if (state.prober === prober && !wanted.has(id)) this.removeJob(id, state);
    }
    for (const [id, job] of wanted) {
      const existing = this.jobs.get(id);
      if (existing) {
        const intervalChanged = existing.job.intervalSeconds !== job.intervalSeconds;
        existing.job = job;
        if (intervalChanged && this.running && !existing.inFlight) this.arm(existing, true);
        continue;
      }
      const state: JobState = { prober, job, queued: false, removed: false };
      this.jobs.set(id, state);
      if (this.running) this.arm(state, true);
    }
    this.opts.hooks?.onTargets?.(prober, jobs.length);
  }

  /** Starts scheduling every job. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const state of this.jobs.values()) this.arm(state, true);
  }

  /** Stops scheduling, waits up to graceSeconds for runs in flight, then returns. */
  async stop(graceSeconds: number): Promise<void> {
    this.running = false;
    for (const state of this.jobs.values()) clearTimeout(state.timer);
    this.queue.length = 0;
    const inFlight = [...this.jobs.values()].flatMap((s) => (s.inFlight ? [s.inFlight] : []));
    if (inFlight.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceSeconds * 1000);
    });
    await Promise.race([Promise.allSettled(inFlight), grace]);
    clearTimeout(timer);
  }

  /** Unix time (ms) at which a run of this prober last ended. */
  lastRun(prober: string): number | undefined {
    return this.lastRuns.get(prober);
  }

  /** Runs in flight now (for tests and the status page). */
  get activeRuns(): number {
    return this.active;
  }

  private removeJob(id: string, state: JobState): void {
    clearTimeout(state.timer);
    state.removed = true;
    this.jobs.delete(id);
    const i = this.queue.indexOf(state);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private arm(state: JobState, first: boolean): void {
    clearTimeout(state.timer);
    const interval = state.job.intervalSeconds * 1000;
    const delay = first ? this.random() * interval : interval * (1 + this.jitter * (2 * this.random() - 1));
    state.timer = setTimeout(() => this.due(state), delay);
    state.timer.unref?.();
  }

  private due(state: JobState): void {
    if (!this.running || state.removed) return;
    this.arm(state, false);
    if (state.inFlight || state.queued) {
      this.opts.hooks?.onOverlapSkip?.(state.prober);
      return;
    }
    if (this.active >= this.opts.concurrency) {
      state.queued = true;
      this.queue.push(state);
      return;
    }
    this.launch(state);
  }

  private launch(state: JobState): void {
    this.active++;
    const run = this.execute(state).finally(() => {
      this.active--;
      state.inFlight = undefined;
      this.drain();
    });
    state.inFlight = run;
  }

  private drain(): void {
    while (this.running && this.active < this.opts.concurrency) {
      const next = this.queue.shift();
      if (!next) return;
      next.queued = false;
      if (!next.removed && !next.inFlight) this.launch(next);
    }
  }

  private async execute(state: JobState): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error('probe timeout')),
      state.job.timeoutSeconds * 1000,
    );
    let outcome: RunOutcome = 'completed';
    try {
      await state.job.run(controller.signal);
      if (controller.signal.aborted) outcome = 'timeout';
    } catch (err) {
      outcome = controller.signal.aborted ? 'timeout' : 'failed';
      if (outcome === 'failed') {
        this.opts.logger.warn('probe run failed', { prober: state.prober, target: state.job.key, err });
      }
    } finally {
      clearTimeout(timer);
    }
    const now = Date.now();
    this.lastRuns.set(state.prober, now);
    this.opts.hooks?.onRunEnd?.(state.prober, outcome, now);
  }
}
