import { Scheduler, type Job } from '../../src/runner/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';
import { waitFor } from '../helpers/wait.js';

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
    await waitFor('skipped runs', () => skips >= 3);
    expect(maxInFlight).toBe(1);
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
    await waitFor('more runs than the cap', () => runs > 12);
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
    await waitFor('the run to end', () => outcomes.length > 0);
    expect(sawAbort).toBe(true);
    expect(outcomes).toEqual(['timeout']);
  });

  test('records a last-run time per prober, only for probers that ran', async () => {
    scheduler = new Scheduler({ concurrency: 2, logger: silentLogger(), random: () => 0 });
    scheduler.setJobs('dns', [job('a', 10, 1, () => Promise.resolve())]);
    scheduler.setJobs('path', []);
    const before = Date.now();
    scheduler.start();
    await waitFor('a dns run', () => scheduler.lastRun('dns') !== undefined);
    expect(scheduler.lastRun('dns')).toBeGreaterThanOrEqual(before);
    expect(scheduler.lastRun('path')).toBeUndefined();
  });

  test('spreads the first runs over the interval (jitter) instead of starting all at once', async () => {
    const order: string[] = [];
    const draws = [0.37, 0.74, 0.11, 0.48];
    let i = 0;
    // Each job's first run starts at random() * interval: the draws above put them in the order
    // j2, j0, j3, j1, whatever the machine's load (timers fire in deadline order).
    scheduler = new Scheduler({ concurrency: 10, logger: silentLogger(), random: () => draws[i++ % 4] ?? 0 });
    scheduler.setJobs(
      'dns',
      Array.from({ length: 4 }, (_, n) =>
        job(`j${n}`, 0.2, 1, () => Promise.resolve(void order.push(`j${n}`))),
      ),
    );
    scheduler.start();
    await waitFor('four first runs', () => order.length >= 4);
    expect(order.slice(0, 4)).toEqual(['j2', 'j0', 'j3', 'j1']);
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
    await waitFor('both targets to run', () => runs.a > 0 && runs.b > 0);
    scheduler.setJobs('dns', [mk('a')]);
    const bAtRemoval = runs.b;
    const aAtRemoval = runs.a;
    await waitFor('a to run on', () => runs.a > aAtRemoval + 3);
    expect(runs.b).toBe(bAtRemoval);
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
