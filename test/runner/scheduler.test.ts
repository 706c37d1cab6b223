import { Scheduler, type Job } from '../../src/runner/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function job(key: string, intervalSeconds: number, timeoutSeconds: number, run: Job['run']): Job {
  return { key, intervalSeconds, timeoutSeconds, run };
}

describe('Scheduler', () => {
  let scheduler: Scheduler;
  afterEach(async () => {
    await scheduler.stop(0);
  });

  test('never runs two runs of the same target at once, and counts the skipped ones', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let skips = 0;
    scheduler = new Scheduler({
      concurrency: 10,
      logger: silentLogger(),
      hooks: { onOverlapSkip: () => skips++ },
    });
    // Each run takes 5 intervals, so the scheduler is asked to start it again while it is in flight.
    scheduler.setJobs('dns', [
      job('a', 0.01, 5, async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(50);
        inFlight--;
      }),
    ]);
    scheduler.start();
    await sleep(300);
    expect(maxInFlight).toBe(1);
    expect(skips).toBeGreaterThan(0);
  });

  test('caps runs in flight across all probers', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    scheduler = new Scheduler({ concurrency: 3, logger: silentLogger() });
    const slow: Job['run'] = async () => {
      inFlight++;
      runs++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(30);
      inFlight--;
    };
    scheduler.setJobs(
      'dns',
      Array.from({ length: 5 }, (_, i) => job(`d${i}`, 0.02, 5, slow)),
    );
    scheduler.setJobs(
      'path',
      Array.from({ length: 5 }, (_, i) => job(`p${i}`, 0.02, 5, slow)),
    );
    scheduler.start();
    await sleep(300);
    expect(runs).toBeGreaterThan(6);
    expect(maxInFlight).toBe(3);
  });

  test('aborts a run at its timeout and reports it as a timeout', async () => {
    const outcomes: string[] = [];
    let sawAbort = false;
    scheduler = new Scheduler({
      concurrency: 1,
      logger: silentLogger(),
      random: () => 0,
      hooks: { onRunEnd: (_p, outcome) => outcomes.push(outcome) },
    });
    scheduler.setJobs('ingress', [
      job('hang', 10, 0.05, (signal) => {
        return new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve();
          });
        });
      }),
    ]);
    scheduler.start();
    await sleep(200);
    expect(sawAbort).toBe(true);
    expect(outcomes).toEqual(['timeout']);
  });

  test('records a last-run time per prober, only for probers that ran', async () => {
    scheduler = new Scheduler({ concurrency: 2, logger: silentLogger(), random: () => 0 });
    scheduler.setJobs('dns', [job('a', 10, 1, () => Promise.resolve())]);
    scheduler.setJobs('path', []);
    const before = Date.now();
    scheduler.start();
    await sleep(50);
    expect(scheduler.lastRun('dns')).toBeGreaterThanOrEqual(before);
    expect(scheduler.lastRun('path')).toBeUndefined();
  });

  test('spreads the first runs over the interval (jitter) instead of starting all at once', async () => {
    const starts: number[] = [];
    let r = 0;
    // A deterministic "random" walking through [0, 1): targets start at different offsets.
    scheduler = new Scheduler({
      concurrency: 10,
      logger: silentLogger(),
      random: () => (r = (r + 0.37) % 1),
    });
    const t0 = Date.now();
    scheduler.setJobs(
      'dns',
      Array.from({ length: 4 }, (_, i) =>
        job(`j${i}`, 0.2, 1, () => Promise.resolve(void starts.push(Date.now() - t0))),
      ),
    );
    scheduler.start();
    await sleep(190);
    const firstFour = starts.slice(0, 4).sort((a, b) => a - b);
    expect(firstFour).toHaveLength(4);
    expect(new Set(firstFour.map((t) => Math.floor(t / 20))).size).toBeGreaterThan(1);
  });

  test('removed targets stop running; kept ones go on', async () => {
    const runs: { a: number; b: number } = { a: 0, b: 0 };
    scheduler = new Scheduler({ concurrency: 5, logger: silentLogger() });
    const mk = (k: 'a' | 'b') =>
      job(k, 0.01, 1, () => {
        runs[k] = (runs[k] ?? 0) + 1;
        return Promise.resolve();
      });
    scheduler.setJobs('dns', [mk('a'), mk('b')]);
    scheduler.start();
    await sleep(60);
    scheduler.setJobs('dns', [mk('a')]);
    const bAtRemoval = runs.b;
    const aAtRemoval = runs.a;
    await sleep(80);
    expect(runs.b).toBe(bAtRemoval);
    expect(runs.a).toBeGreaterThan(aAtRemoval);
  });

  test('stop() waits for runs in flight, bounded by the grace period', async () => {
    let finished = false;
    scheduler = new Scheduler({ concurrency: 1, logger: silentLogger(), random: () => 0 });
    scheduler.setJobs('dns', [
      job('a', 10, 5, async () => {
        await sleep(80);
        finished = true;
      }),
    ]);
    scheduler.start();
    await sleep(10);
    await scheduler.stop(2);
    expect(finished).toBe(true);
  });
});
