import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** A configuration problem; the CLI prints it and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Flags that override the file (highest precedence). */
export interface ConfigOverrides {
  listen?: string | undefined;
  logLevel?: string | undefined;
  kubeconfig?: string | undefined;
  planFile?: string | undefined;
}

/** Environment variables netprobe reads; all access to process.env goes through here. */
export interface ConfigEnv {
  NETPROBE_LISTEN?: string | undefined;
  NETPROBE_LOG_LEVEL?: string | undefined;
  KUBECONFIG?: string | undefined;
  NODE_NAME?: string | undefined;
  POD_NAMESPACE?: string | undefined;
  POD_NAME?: string | undefined;
}

/** Reads the environment variables netprobe uses. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ConfigEnv {
  const { NETPROBE_LISTEN, NETPROBE_LOG_LEVEL, KUBECONFIG, NODE_NAME, POD_NAMESPACE, POD_NAME } = env;
  return { NETPROBE_LISTEN, NETPROBE_LOG_LEVEL, KUBECONFIG, NODE_NAME, POD_NAMESPACE, POD_NAME };
}

/**
 * Loads the config: file (YAML), then environment, then flags; validates the result.
 * Throws ConfigError naming the file, the key path and what was expected.
 */
export function loadConfig(file: string | undefined, env: ConfigEnv, flags: ConfigOverrides = {}): Config {
  const source = file ?? '(defaults)';
  const raw = file === undefined ? {} : readConfigFile(file);
  const merged = applyOverrides(raw, env, flags);
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error.issues));
  return result.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: (root): expected a mapping of keys`);
  return doc as Record<string, unknown>;
}

function setIn(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur: Record<string, unknown> = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) cur[last] = value;
}

function applyOverrides(
  raw: Record<string, unknown>,
  env: ConfigEnv,
  flags: ConfigOverrides,
): Record<string, unknown> {
  const out = structuredClone(raw);
  const pairs: Array<[string[], string | undefined]> = [
    [['listen'], env.NETPROBE_LISTEN],
    [['logLevel'], env.NETPROBE_LOG_LEVEL],
    [['kubeconfig'], env.KUBECONFIG],
    [['node', 'name'], env.NODE_NAME],
    [['cluster', 'namespace'], env.POD_NAMESPACE],
    [['cluster', 'leaderElection', 'identity'], env.POD_NAME],
    [['listen'], flags.listen],
    [['logLevel'], flags.logLevel],
    [['kubeconfig'], flags.kubeconfig],
    [['node', 'planFile'], flags.planFile],
  ];
  for (const [path, value] of pairs) if (value !== undefined && value !== '') setIn(out, path, value);
  return out;
}

/** Formats zod issues as "FILE: key.path: expected ..." lines. */
export function formatIssues(
  source: string,
  issues: readonly z.core.$ZodIssue[],
  docs = 'docs/config.md',
): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.') || '(root)';
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => (path === '(root)' ? k : `${path}.${k}`));
        return `${source}: ${keys.join(', ')}: unknown key (expected one of the documented keys, see ${docs})`;
      }
      return `${source}: ${path}: ${issue.message}`;
    })
    .join('\n');
}
