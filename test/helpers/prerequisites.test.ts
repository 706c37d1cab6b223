import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JEST = path.join(ROOT, 'node_modules/jest/bin/jest.js');

/** Runs one fixture in a child jest with the project's transform and summary reporter. */
function runFixture(name: string, env: Record<string, string>): { code: number | null; out: string } {
  const config = {
    rootDir: ROOT,
    testMatch: [`<rootDir>/test/fixtures/prerequisites/${name}.fixture.ts`],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
      ],
    },
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testEnvironment: 'node',
    reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  };
  const r = spawnSync(
    process.execPath,
    ['--experimental-vm-modules', '--no-warnings', JEST, '--config', JSON.stringify(config), '--ci'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    },
  );
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const summary = (out: string): string | undefined => /^tests: .*$/m.exec(out)?.[0];

describe('tests with missing prerequisites', () => {
  test('fail with the reason and the variable that skips them', () => {
    const r = runFixture('missing', {});
    expect(r.code).toBe(1);
    expect(summary(r.out)).toBe('tests: 0 passed, 1 failed');
    expect(r.out).toContain(
      'cannot run: the fixture tool is missing (set NETPROBE_SKIP_FIXTURE=1 to skip them on a laptop)',
    );
  });

  test('are skipped with the variable on a laptop, and the summary line says how many and why', () => {
    const r = runFixture('missing', { NETPROBE_SKIP_FIXTURE: '1' });
    expect(r.code).toBe(0);
    expect(summary(r.out)).toBe(
      'tests: 0 passed, 0 failed, 1 skipped (1: NETPROBE_SKIP_FIXTURE=1, the fixture tool is missing)',
    );
  });

  test('still fail in CI, where the variable is ignored', () => {
    const r = runFixture('missing', { NETPROBE_SKIP_FIXTURE: '1', CI: 'true' });
    expect(r.code).toBe(1);
    expect(summary(r.out)).toBe('tests: 0 passed, 1 failed');
    expect(r.out).toContain('NETPROBE_SKIP_FIXTURE is ignored in CI');
  });

  test('a skip without a reason fails the run', () => {
    const r = runFixture('stray-skip', {});
    expect(summary(r.out)).toBe(
      'tests: 0 passed, 0 failed, 1 skipped (1: no reason given: a silent skip, which fails the run)',
    );
    expect(r.code).toBe(1);
  });
});
