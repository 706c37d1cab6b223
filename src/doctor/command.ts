import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig, type ConfigEnv } from '../config/load.js';
import { loadKubeConfig } from '../kube/client.js';
import { renderJson, renderText, sanitize } from './render.js';
import { runDoctor, type DoctorProgress } from './runner.js';
import { STAGE_TITLES } from './types.js';

/** `netprobe doctor --help`. */
export const DOCTOR_HELP = `Usage: netprobe doctor [options]

One-shot triage of the cluster in the kubeconfig, in the order operators use:
pod readiness, Service selectors and endpoints, Ingress rules and backends,
DNS (queried from where doctor runs), NetworkPolicy findings and declared paths.
Prints findings by severity, each with the object, the problem, why it matters
and the next command to run. See docs/doctor.md.

Options:
  --kubeconfig FILE    kubeconfig (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)
  --config FILE        netprobe config: Ingress controller addresses and CA (cluster.ingress),
                       declared paths (cluster.paths), DNS Service; without it, live
                       Ingress route/TLS checks are skipped
  -n, --namespace NS   only findings about NS (cluster-wide checks such as DNS still run)
  -o, --output FORMAT  text (default) or json
  -h, --help           this help

Exit codes: 0 no critical finding, 1 a critical finding (or the cluster could not be read),
2 bad arguments or config.`;

/** Where doctor writes; stderrIsTTY decides how progress is shown. */
export interface DoctorIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stderrIsTTY?: boolean;
}

interface DoctorArgs {
  help: boolean;
  config?: string;
  kubeconfig?: string;
  namespace?: string;
  output: 'text' | 'json';
}

function parseDoctorArgs(args: string[]): DoctorArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(`netprobe doctor: ${(err as Error).message}`);
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const output = str('output') ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new ConfigError(`netprobe doctor: --output must be text or json, got ${JSON.stringify(output)}`);
  const namespace = str('namespace');
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new ConfigError(
      `netprobe doctor: --namespace ${JSON.stringify(namespace)} is not a namespace name`,
    );
  return {
    help: values.help === true,
    output,
    ...(str('config') !== undefined ? { config: str('config') } : {}),
    ...(str('kubeconfig') !== undefined ? { kubeconfig: str('kubeconfig') } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** The kubeconfig as kubectl would pick it: flag, $KUBECONFIG (via config), ~/.kube/config, in-cluster. */
function kubeConfigFor(path: string | undefined): KubeConfig {
  const defaultPath = join(homedir(), '.kube', 'config');
  const file = path ?? (existsSync(defaultPath) ? defaultPath : undefined);
  try {
    return loadKubeConfig(file);
  } catch (err) {
    throw new ConfigError(
      `netprobe doctor: cannot load kubeconfig ${file ?? '(in-cluster)'}: ${(err as Error).message}`,
    );
  }
}

/** Progress on stderr: one rewritten line on a terminal, else one line per stage. */
function progressWriter(io: DoctorIo): { show: (p: DoctorProgress) => void; done: () => void } {
  const line = (p: DoctorProgress): string =>
    p.step === 'list'
      ? 'reading the cluster (LIST pods, Services, EndpointSlices, Ingresses, NetworkPolicies)'
      : `[${p.index + 1}/${p.total}] ${STAGE_TITLES[p.stage]}`;
  if (io.stderrIsTTY === true) {
    return {
      show: (p) => io.stderr(`\r\x1b[2Kdoctor: ${line(p)}...`),
      done: () => io.stderr('\r\x1b[2K'),
    };
  }
  return { show: (p) => io.stderr(`doctor: ${line(p)}\n`), done: () => undefined };
}

/** `netprobe doctor ...`: returns the exit code (0 clean, 1 critical or unreadable cluster, 2 usage/config). */
export async function runDoctorCommand(args: string[], env: ConfigEnv, io: DoctorIo): Promise<number> {
  try {
    const a = parseDoctorArgs(args);
    if (a.help) {
      io.stdout(`${DOCTOR_HELP}\n`);
      return 0;
    }
    const config = loadConfig(a.config, env, { kubeconfig: a.kubeconfig });
    const kubeConfig = kubeConfigFor(config.kubeconfig);
    const progress = progressWriter(io);
    const report = await runDoctor({
      kubeConfig,
      config,
      configGiven: a.config !== undefined,
      ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
      onProgress: progress.show,
    }).finally(progress.done);
    io.stdout(a.output === 'json' ? renderJson(report) : renderText(report));
    return report.summary.critical > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${sanitize(err.message)}\n`);
      return 2;
    }
    io.stderr(`netprobe doctor: ${sanitize((err as Error).message)}\n`);
    return 1;
  }
}
