import { describe, test } from '@jest/globals';

/** Marker the summary reporter (scripts/summary-reporter.cjs) reads the skip reason from. */
export const SKIP_MARKER = 'skipped:';

/**
 * `describe` for tests with prerequisites (root, kernel features, tools). When `missing` is
 * undefined they run. When it names what is missing they fail, with that reason, unless the
 * documented variable `skipVar` is 1 and this is not CI: then they are skipped and the suite's
 * summary line counts them with the reason. A test never vanishes without a word.
 */
export function describeRequiring(
  missing: string | undefined,
  skipVar: string,
): (name: string, body: () => void) => void {
  if (missing === undefined) return (name, body) => describe(name, body);
  const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
  if (process.env[skipVar] === '1' && !ci)
    return (name, body) => describe.skip(`${name} [${SKIP_MARKER} ${skipVar}=1, ${missing}]`, body);
  return (name) =>
    describe(name, () => {
      const hint = ci ? `${skipVar} is ignored in CI` : `set ${skipVar}=1 to skip them on a laptop`;
      test('prerequisites are present', () => {
        throw new Error(`cannot run: ${missing} (${hint})`);
      });
    });
}
