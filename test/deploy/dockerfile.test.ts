// No container engine runs here, so the Dockerfile is checked by reading it: every COPY source
// exists in the build context (and survives .dockerignore) or is produced by an earlier stage's
// build step, the entrypoint is what `npm run build` emits, and the runtime user is the one the
// manifests declare.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parseYamlDocuments, podTemplates, REPO } from './manifests.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string;
  workdir: string;
  runs: string[];
  copies: Array<{ from?: string; sources: string[]; dest: string }>;
  user?: string;
  entrypoint?: string[];
}

function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

function parseCopy(args: string, workdir: string): Stage['copies'][number] {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  const dest = posix.resolve(workdir, paths.pop() ?? '');
  return { ...(from === undefined ? {} : { from }), sources: paths, dest };
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { op, args } of instructions(text)) {
    if (op === 'FROM') {
      const [image = '', , name] = args.split(/\s+/);
      stages.push({ image, name: name ?? String(stages.length), workdir: '/', runs: [], copies: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) throw new Error(`${op} before FROM`);
    if (op === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    if (op === 'RUN') stage.runs.push(args);
    if (op === 'COPY') stage.copies.push(parseCopy(args, stage.workdir));
    if (op === 'USER') stage.user = args;
    if (op === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args) as string[];
  }
  return stages;
}

/** .dockerignore: Go filepath.Match patterns plus "**", last match wins, "!" re-includes. */
function ignoredBy(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = posix.normalize(negate ? raw.slice(1) : raw).replace(/^\/+/, '');
    const source = pattern
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('.*');
    const re = new RegExp(`^${source}$`);
    // A pattern that matches a directory excludes everything below it.
    if (prefixes.some((p) => re.test(p))) ignored = !negate;
  }
  return ignored;
}

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages[stages.length - 1];
const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
interface TsConfig {
  extends?: string;
  include?: string[];
  compilerOptions?: { outDir?: string; rootDir?: string };
}
interface PackageJson {
  type?: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(REPO, file), 'utf8')) as T;
const buildConfig = readJson<TsConfig>('tsconfig.build.json');
const pkg = readJson<PackageJson>('package.json');
const outDir = buildConfig.compilerOptions?.outDir ?? 'dist';
const rootDir = buildConfig.compilerOptions?.rootDir ?? 'src';

/** npm packages that loading `file` can import, following relative imports; type-only imports are erased. */
function packagesLoadedFrom(file: string, seen = new Set<string>(), found = new Set<string>()): Set<string> {
  if (seen.has(file)) return found;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const statements = text.matchAll(
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm,
  );
  // The CLI loads each role with import('./roles/x.js'): literal dynamic imports count too.
  const dynamic = text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g);
  for (const [, spec = ''] of [...statements, ...dynamic]) {
    if (spec.startsWith('.'))
      packagesLoadedFrom(join(dirname(file), spec.replace(/\.js$/, '.ts')), seen, found);
    else if (!spec.startsWith('node:'))
      found.add(
        spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/'),
      );
  }
  return found;
}

/** What a RUN step leaves behind in its stage's WORKDIR. */
const PRODUCERS: Array<[RegExp, string]> = [
  [/\bnpm ci\b/, 'node_modules'],
  [/\bnpm run build\b/, outDir],
];

describe('Dockerfile', () => {
  test('has a build stage and a runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime).toBeDefined();
  });

  test('every COPY from the context names a file that exists and is not ignored', () => {
    const sources = stages.flatMap((s) =>
      s.copies.filter((c) => c.from === undefined).flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const path = posix.normalize(source).replace(/\/$/, '');
      expect([path, existsSync(join(REPO, path)), ignoredBy(ignore, path)]).toEqual([path, true, false]);
    }
  });

  test('every COPY --from takes something its stage produced', () => {
    for (const stage of stages) {
      for (const copy of stage.copies.filter((c) => c.from !== undefined)) {
        const producer = stages.find((s) => s.name === copy.from);
        expect([copy.from, producer === undefined]).toEqual([copy.from, false]);
        if (producer === undefined) continue;
        for (const source of copy.sources) {
          const made = PRODUCERS.filter(([cmd]) => producer.runs.some((r) => cmd.test(r))).map(([, out]) =>
            posix.join(producer.workdir, out),
          );
          expect(made).toContain(posix.normalize(source).replace(/\/$/, ''));
        }
      }
    }
  });

  test('the build stage copies what tsconfig.build.json needs', () => {
    const build = stages.find((s) => s.runs.some((r) => /\bnpm run build\b/.test(r)));
    const copied = (build?.copies ?? []).flatMap((c) =>
      c.sources.map((s) => posix.normalize(s).replace(/\/$/, '')),
    );
    const extended = typeof buildConfig.extends === 'string' ? [posix.normalize(buildConfig.extends)] : [];
    expect(copied).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'tsconfig.build.json',
        ...extended,
        ...(buildConfig.include ?? []),
      ]),
    );
    expect(pkg.scripts?.build).toBe('tsc -p tsconfig.build.json');
  });

  test('the runtime stage has production dependencies only, the build output and package.json', () => {
    const modules = runtime?.copies.find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    const deps = stages.find((s) => s.name === modules?.from);
    expect(deps?.runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    // package.json carries "type": "module", without which Node cannot load the ESM build.
    expect(runtime?.copies.some((c) => c.from === undefined && c.sources.includes('package.json'))).toBe(
      true,
    );
    expect(pkg.type).toBe('module');
  });

  test('the entrypoint runs the compiled CLI', () => {
    const script = runtime?.entrypoint?.find((a) => a.endsWith('.js')) ?? '';
    const relative = posix.relative(posix.join(runtime?.workdir ?? '/', outDir), script);
    expect(relative).toBe('cli.js');
    expect(existsSync(join(REPO, rootDir, relative.replace(/\.js$/, '.ts')))).toBe(true);
    expect(pkg.bin?.netprobe).toBe(`${outDir}/${relative}`);
  });

  test('the CLI loads with production dependencies only', () => {
    const entry = join(REPO, rootDir, 'cli.ts');
    const missing = [...packagesLoadedFrom(entry)].filter((name) => pkg.dependencies?.[name] === undefined);
    expect(missing).toEqual([]);
  });

  test('runs as the non-root user the manifests declare', () => {
    const [uid = '', gid = ''] = (runtime?.user ?? '').split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    const manifests = ['deployment-cluster.yaml', 'daemonset-node.yaml'].flatMap((f) =>
      parseYamlDocuments(readFileSync(join(REPO, 'deploy', 'base', f), 'utf8')),
    );
    for (const t of podTemplates(manifests)) {
      expect([t.name, t.spec.securityContext?.runAsUser, t.spec.securityContext?.runAsGroup]).toEqual([
        t.name,
        Number(uid),
        Number(gid),
      ]);
    }
  });

  test("a container command is the image's entrypoint with V8 flags only, so it runs the same CLI", () => {
    const manifests = ['deployment-cluster.yaml', 'daemonset-node.yaml'].flatMap((f) =>
      parseYamlDocuments(readFileSync(join(REPO, 'deploy', 'base', f), 'utf8')),
    );
    const entry = runtime?.entrypoint ?? [];
    const commands = podTemplates(manifests).flatMap((t) =>
      t.spec.containers.filter((c) => c.command !== undefined).map((c) => [t.name, c.command ?? []] as const),
    );
    expect(commands.map(([name]) => name)).toEqual(['Deployment/netprobe-cluster']);
    for (const [name, command] of commands) {
      const flags = command.filter((a) => a.startsWith('--'));
      expect([name, command.filter((a) => !a.startsWith('--'))]).toEqual([name, entry]);
      expect([name, flags]).toEqual([name, ['--optimize-for-size']]);
    }
  });

  test('base images are pinned, on one Node major version', () => {
    const majors = stages.map((s) => {
      expect(s.image).toMatch(/:[^:]+$/);
      expect(s.image).not.toMatch(/:latest$/);
      return /node(?:js)?:?(\d+)/.exec(s.image)?.[1];
    });
    expect(new Set(majors).size).toBe(1);
  });
});

describe('.dockerignore matching', () => {
  test.each<[string, string[], boolean]>([
    ['node_modules/x/index.js', ['node_modules'], true],
    ['src/cli.ts', ['node_modules'], false],
    ['a.log', ['*.log'], true],
    ['src/deep/a.log', ['*.log'], false],
    ['src/deep/a.log', ['**/*.log'], true],
    ['docs/keep.md', ['docs', '!docs/keep.md'], false],
    ['docs/other.md', ['docs', '!docs/keep.md'], true],
  ])('%s with %j -> %s', (path, patterns, expected) => {
    expect(ignoredBy(patterns, path)).toBe(expected);
  });
});
