import { describe, expect, test } from '@jest/globals';
import { silentLogger } from '../../src/log/logger.js';
import { Scheduler } from '../../src/runner/scheduler.js';
import { TargetSet, type TargetSink, type TargetSpec } from '../../src/runner/targets.js';
import { waitFor } from '../helpers/wait.js';

interface T extends TargetSpec<string> {
  note: string;
}

/** A sink that logs every call, so the diff the TargetSet makes is visible. */
function logSink(): TargetSink<T, string> & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    added: (t) => log.push(`added ${t.key} ${t.where}`),
    kept: (t) => log.push(`kept ${t.key} ${t.note}`),
    result: (t, r) => log.push(`result ${t.key} ${t.note} ${r}`),
    removed: (key) => log.push(`removed ${key}`),
  };
}

function target(key: string, where: string, note = '', probe: T['probe'] = () => Promise.resolve('ok')): T {
  return { key, where, note, intervalSeconds: 0.02, timeoutSeconds: 1, probe };
}

describe('TargetSet', () => {
  test('diffs declarations: new keys are added, same key and place kept, moved or gone removed', () => {
    const scheduler = new Scheduler({ concurrency: 4, logger: silentLogger() });
    const sink = logSink();
    const set = new TargetSet<T, string>('x', scheduler, sink);
    set.set([target('a', '10.0.0.1:53'), target('b', '10.0.0.2:53')]);
    set.set([target('a', '10.0.0.1:53', 'new expectation'), target('b', '10.0.0.9:53'), target('c', 'c:1')]);
    set.set([target('c', 'c:1')]);
    expect(sink.log).toEqual([
      'added a 10.0.0.1:53',
      'added b 10.0.0.2:53',
      'removed b',
      'kept a new expectation',
      'added b 10.0.0.9:53',
      'added c c:1',
      'removed a',
      'removed b',
      'kept c ',
    ]);
    expect(set.targets().map((t) => t.key)).toEqual(['c']);
  });

  test('results go to the current declaration; a result that ends after its target went is dropped', async () => {
    const scheduler = new Scheduler({ concurrency: 4, logger: silentLogger() });
    const sink = logSink();
    const set = new TargetSet<T, string>('x', scheduler, sink);
    let release: ((v: string) => void) | undefined;
    const slow = target('slow', 's:1', '', () => new Promise<string>((resolve) => (release = resolve)));
    set.set([target('fast', 'f:1', 'v1'), slow]);
    scheduler.start();
    await waitFor('a result of fast', () => sink.log.some((l) => l.startsWith('result fast')));
    await waitFor('slow in flight', () => release !== undefined);
    set.set([target('fast', 'f:1', 'v2')]);
    release?.('late');
    await waitFor('a result of fast v2', () => sink.log.includes('result fast v2 ok'));
    await scheduler.stop(1);
    expect(sink.log.filter((l) => l.startsWith('result slow'))).toEqual([]);
    expect(sink.log).toContain('removed slow');
  });
});
