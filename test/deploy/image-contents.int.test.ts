import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The image holds what the Dockerfile's build stage compiles (tsconfig.build.json, src/ only) and
 * nothing of the sandbox: no fake API server, no seeded objects, no planted faults.
 */

const root = resolve(fileURLToPath(import.meta.url), '../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('what the image contains', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'netprobe-dist-'));
    // The build stage's command, into a scratch directory.
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('the Dockerfile copies only the compiled src/ into the runtime image', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY src ./src');
    expect(dockerfile).not.toMatch(/COPY .*sandbox/);
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
  });

  test('the compiled output has the CLI and no sandbox code', () => {
    const built = files(out).map((f) => relative(out, f));
    expect(built).toContain('cli.js');
    expect(built.filter((f) => /sandbox|fake-api/.test(f))).toEqual([]);
    for (const f of built.filter((p) => p.endsWith('.js'))) {
      const text = readFileSync(join(out, f), 'utf8');
      expect({ file: f, importsSandbox: /from ['"][./]*\/?sandbox\//.test(text) }).toEqual({
        file: f,
        importsSandbox: false,
      });
    }
  });
});
