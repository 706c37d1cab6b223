#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, readEnv } from './config/load.js';
import { createLogger } from './log/logger.js';
import type { Config } from './config/schema.js';
import type { RoleHandle } from './roles/runtime.js';
import { netprobeVersion } from './version.js';

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal (doctor then rewrites one progress line). */
  stderrIsTTY?: boolean;
}

const COMMON_HELP = `Options:
  --config FILE        YAML config file (see docs/config.md)
  --kubeconfig FILE    kubeconfig (default: $KUBECONFIG, else in-cluster service account)
  --listen HOST:PORT   metrics/health/status address (default :9808, every address)
  --log-level LEVEL    debug | info | warn | error
  -h, --help           this help`;

const HELP: Record<string, string> = {
  main: `netprobe ${netprobeVersion()}: Kubernetes networking observability agent

Usage: netprobe <command> [options]

Commands:
  cluster    run the cluster-scoped role (inventory, Ingress probes, policy findings, probe plan)
  node       run the per-node role (DNS and path probes from this node)
  policy     query or lint NetworkPolicies offline: netprobe policy query|lint --help
  doctor     one-shot triage of the cluster in the kubeconfig: netprobe doctor --help

  --version  print the version
  --help     this help`,
  cluster: `Usage: netprobe cluster [options]

Watches the cluster, exports endpoint, Ingress and policy metrics, and publishes the probe plan.

${COMMON_HELP}`,
  node: `Usage: netprobe node [options]

Probes DNS and network paths from this node, as the probe plan says.

${COMMON_HELP}
  --plan FILE          standalone mode: read the plan from FILE instead of the cluster`,
};

const commonOptions = {
  config: { type: 'string' },
  kubeconfig: { type: 'string' },
  listen: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** Exit codes: 0 clean stop, 1 fatal, 2 bad config or arguments. */
export const EXIT = { ok: 0, fatal: 1, usage: 2 } as const;

class UsageError extends Error {}

function parseRoleArgs(cmd: 'cluster' | 'node', args: string[]): { help: boolean; config?: Config } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = cmd === 'node' ? { ...commonOptions, plan: { type: 'string' as const } } : commonOptions;
    values = parseArgs({ args, options, allowPositionals: false, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (err) {
    throw new UsageError(`netprobe ${cmd}: ${(err as Error).message}`);
  }
  if (values.help) return { help: true };
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const config = loadConfig(str('config'), readEnv(), {
    listen: str('listen'),
    logLevel: str('log-level'),
    kubeconfig: str('kubeconfig'),
    planFile: str('plan'),
  });
  return { help: false, config };
}

/** Runs a role until SIGTERM/SIGINT, then stops it cleanly. */
async function runRole(cmd: 'cluster' | 'node', config: Config): Promise<number> {
  let handle: RoleHandle;
  // Lost leadership ends the process with exit 1; the kubelet restarts it as a fresh standby.
  let lostLeadership = (): void => undefined;
  let lost = false;
  // The handlers go in before the role starts: a signal during start-up stops the role as soon as it
  // is up, rather than killing the process half-started. A second signal means "now": exit at once.
  let stopRequested = (): void => undefined;
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!signalled) {
      signalled = true;
      stopRequested();
      return;
    }
    createLogger(config.logLevel).warn('second signal: exiting without a clean stop', { signal: sig });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  createLogger(config.logLevel).debug('starting', { role: cmd, version: netprobeVersion() });
  if (cmd === 'cluster') {
    const { startClusterRole } = await import('./roles/cluster.js');
    const { clusterFeatures } = await import('./roles/cluster-features.js');
    handle = await startClusterRole(config, { onLostLeadership: () => lostLeadership() }, clusterFeatures());
  } else {
    const { startNodeRole } = await import('./roles/node.js');
    const { nodeFeatures } = await import('./roles/node-features.js');
    handle = await startNodeRole(config, {}, nodeFeatures());
  }
  await new Promise<void>((resolve) => {
    if (signalled) resolve();
    stopRequested = resolve;
    lostLeadership = () => {
      lost = true;
      resolve();
    };
  });
  await handle.stop();
  return lost ? EXIT.fatal : EXIT.ok;
}

/** The CLI: returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === '--version' || cmd === '-v') {
      io.stdout(`${netprobeVersion()}\n`);
      return EXIT.ok;
    }
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.stdout(`${HELP.main}\n`);
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    }
    if (cmd === 'cluster' || cmd === 'node') {
      const parsed = parseRoleArgs(cmd, rest);
      if (parsed.help || !parsed.config) {
        io.stdout(`${HELP[cmd]}\n`);
        return EXIT.ok;
      }
      return await runRole(cmd, parsed.config);
    }
    if (cmd === 'doctor') {
      const { runDoctorCommand } = await import('./doctor/command.js');
      return await runDoctorCommand(rest, readEnv(), { ...io, stderrIsTTY: io.stderrIsTTY === true });
    }
    if (cmd === 'policy') {
      const { runPolicyCommand } = await import('./policy/cli.js');
      return await runPolicyCommand(rest, io);
    }
    io.stderr(`netprobe: unknown command ${JSON.stringify(cmd)}\n\n${HELP.main}\n`);
    return EXIT.usage;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      io.stderr(`${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`netprobe: fatal: ${fatalMessage(err)}\n`);
    return EXIT.fatal;
  }
}

/** Operational errors the user can fix (port taken, no permission) get one line, not a stack. */
export function fatalMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e && e.syscall === 'listen' && typeof e.code === 'string') {
    const where = e.port !== undefined ? `${e.address ?? ''}:${e.port}` : (e.address ?? '');
    const why: Record<string, string> = {
      EADDRINUSE: 'address already in use',
      EACCES: 'permission denied',
      EADDRNOTAVAIL: 'address not available on this host',
    };
    return `cannot listen on ${where}: ${why[e.code] ?? e.code}`;
  }
  return (err as Error)?.stack ?? String(err);
}

// Run only when executed directly (not when imported by tests).
const invokedAs = process.argv[1] ?? '';
if (/(^|[/\\])cli\.(ts|js)$/.test(invokedAs) || invokedAs.endsWith('/netprobe')) {
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stderrIsTTY: process.stderr.isTTY,
  }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`netprobe: fatal: ${String(err)}\n`);
      process.exit(EXIT.fatal);
    },
  );
}
