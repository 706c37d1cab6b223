/** `netprobe policy query|lint`: the engine over snapshot files, for laptops and CI. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { safeJson, sanitizeLines } from '../log/terminal.js';
import { parseIp } from './cidr.js';
import { compilePolicies, type EndpointRef, type EngineOptions, type Flow, type Verdict } from './engine.js';
import { renderText, verdictToJson } from './explain.js';
import {
  computePolicyFindings,
  DEFAULT_CONTROLLER_LABELS,
  DEFAULT_DNS_SERVICE,
  type Finding,
} from './findings.js';
import { PolicyInputError, PROTOCOLS, type Protocol } from './model.js';
import { loadSnapshot } from './snapshot.js';

/** Where the command writes. */
export interface PolicyCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Bad command-line or query input; the CLI prints the message and exits 2. */
class UsageError extends Error {}

const HELP = `Usage: netprobe policy <command> [options]

Commands:
  query   answer "may FROM reach TO on PORT?" over snapshot files
  lint    report policy problems in snapshot files

netprobe policy query --snapshot FILE... (--from NS/POD|IP --to NS/POD|IP --port PORT[/PROTO] | --queries FILE)
                      [--output text|json] [--explain] [--ip-block-matches-pods] [--deny-self-traffic]
  PORT is a number or a container port name of the destination; PROTO is TCP (default), UDP or SCTP.
  --queries FILE is YAML or JSON: a list of {from, to, port, protocol?} in the same syntax.
  Exit 0 when every query was answered (allowed or denied), 2 on bad input or an unanswerable query.

netprobe policy lint --snapshot FILE... [--output text|json] [--dns-service NS/NAME]
                     [--controller-namespace NS] [--controller-labels k=v,...]
  Defaults: --dns-service kube-system/kube-dns, --controller-labels app.kubernetes.io/name=ingress-nginx.
  Exit 1 when a finding of severity warning or error exists, 0 otherwise, 2 on bad input.

Snapshot files: kubectl get -A -o yaml|json output (kind: List) or multi-document YAML with
Namespaces, Pods, NetworkPolicies, Services and Ingresses. See docs/policy.md.
`;

const common = {
  snapshot: { type: 'string', multiple: true },
  output: { type: 'string', default: 'text' },
  help: { type: 'boolean', short: 'h' },
  'ip-block-matches-pods': { type: 'boolean' },
  'deny-self-traffic': { type: 'boolean' },
} as const;

function parseEndpoint(text: string, what: string): EndpointRef {
  if (parseIp(text)) return { ip: text };
  const parts = text.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], pod: parts[1] };
  throw new UsageError(`${what}: expected NAMESPACE/POD or an IP address, got ${JSON.stringify(text)}`);
}

function parsePort(text: string, what: string): { port: number | string; protocol: Protocol } {
  const [portText = '', protoText, extra] = text.split('/');
  const protocol = (protoText ?? 'TCP').toUpperCase();
  if (extra !== undefined || !PROTOCOLS.includes(protocol as Protocol))
    throw new UsageError(`${what}: expected PORT[/TCP|UDP|SCTP], got ${JSON.stringify(text)}`);
  if (/^[0-9]+$/.test(portText)) {
    const port = Number(portText);
    if (port < 1 || port > 65535) throw new UsageError(`${what}: port ${port} is out of range 1-65535`);
    return { port, protocol: protocol as Protocol };
  }
  if (!/^[a-z0-9-]{1,15}$/.test(portText) || !/[a-z]/.test(portText))
    throw new UsageError(`${what}: expected a port number or name, got ${JSON.stringify(portText)}`);
  return { port: portText, protocol: protocol as Protocol };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function queryFromFile(item: unknown, where: string): Flow {
  if (!isRecord(item)) throw new UsageError(`${where}: expected an object with from, to, port`);
  const { from, to, port, protocol } = item;
  if (typeof from !== 'string' || typeof to !== 'string')
    throw new UsageError(`${where}: from and to must be strings (NAMESPACE/POD or IP)`);
  if (typeof port !== 'number' && typeof port !== 'string')
    throw new UsageError(`${where}: port must be a number or a string`);
  if (protocol !== undefined && typeof protocol !== 'string')
    throw new UsageError(`${where}: protocol must be a string`);
  const parsed = parsePort(protocol === undefined ? String(port) : `${port}/${protocol}`, `${where}: port`);
  return { from: parseEndpoint(from, `${where}: from`), to: parseEndpoint(to, `${where}: to`), ...parsed };
}

async function readQueries(file: string): Promise<Flow[]> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: ${error instanceof Error ? error.message.split('\n')[0] : 'cannot read'}`);
  }
  if (!Array.isArray(doc)) throw new UsageError(`${file}: expected a list of queries`);
  return doc.map((item, i) => queryFromFile(item, `${file}: query ${i + 1}`));
}

function engineOptions(values: {
  'ip-block-matches-pods'?: boolean;
  'deny-self-traffic'?: boolean;
}): EngineOptions {
  return {
    ipBlockMatchesPods: values['ip-block-matches-pods'] === true,
    allowSelfTraffic: values['deny-self-traffic'] !== true,
  };
}

function outputFormat(value: string | undefined): 'text' | 'json' {
  if (value === 'text' || value === 'json') return value;
  throw new UsageError(`--output: expected text or json, got ${JSON.stringify(value)}`);
}

type ArgToken = { kind: string; name?: string; value?: string | undefined };

/**
 * `--snapshot FILE...`: parseArgs takes one value per option, so the positionals that directly
 * follow a --snapshot value are more snapshot files; any other positional is an error.
 */
function snapshotFiles(tokens: readonly ArgToken[] | undefined): string[] {
  const files: string[] = [];
  let afterSnapshot = false;
  for (const token of tokens ?? []) {
    if (token.kind === 'option') afterSnapshot = token.name === 'snapshot';
    if (token.kind === 'option' && token.name === 'snapshot' && token.value !== undefined)
      files.push(token.value);
    if (token.kind !== 'positional' || token.value === undefined) continue;
    if (!afterSnapshot) throw new UsageError(`unexpected argument ${JSON.stringify(token.value)}`);
    files.push(token.value);
  }
  if (files.length === 0) throw new UsageError('--snapshot FILE is required');
  return files;
}

async function runQuery(args: string[], io: PolicyCliIo): Promise<number> {
  const { values, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      ...common,
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      queries: { type: 'string' },
      explain: { type: 'boolean' },
    },
  });
  if (values.help === true) return printHelp(io);
  const output = outputFormat(values.output);
  const files = snapshotFiles(tokens);
  let flows: Flow[];
  if (values.queries !== undefined) {
    if (values.from !== undefined || values.to !== undefined || values.port !== undefined)
      throw new UsageError('--queries may not be combined with --from/--to/--port');
    flows = await readQueries(values.queries);
  } else {
    if (values.from === undefined || values.to === undefined || values.port === undefined)
      throw new UsageError('--from, --to and --port are required (or --queries FILE)');
    flows = [
      {
        from: parseEndpoint(values.from, '--from'),
        to: parseEndpoint(values.to, '--to'),
        ...parsePort(values.port, '--port'),
      },
    ];
  }
  const snapshot = await loadSnapshot(files);
  const engine = compilePolicies(
    snapshot.policies,
    snapshot.namespaces,
    snapshot.pods,
    engineOptions(values),
  );
  const verdicts = flows.map((flow) => engine.evaluate(flow));
  if (output === 'json') io.stdout(`${safeJson(verdicts.map(verdictToJson))}\n`);
  else
    io.stdout(`${sanitizeLines(verdicts.map((v) => renderText(v, values.explain === true)).join('\n'))}\n`);
  return reportUnknown(verdicts, io);
}

function reportUnknown(verdicts: Verdict[], io: PolicyCliIo): number {
  let code = 0;
  verdicts.forEach((v, i) => {
    if (v.status !== 'unknown') return;
    io.stderr(
      `query ${i + 1} (${v.from} -> ${v.to} ${v.port}/${v.protocol}): could not evaluate: ${v.reason ?? 'unknown'}\n`,
    );
    code = 2;
  });
  return code;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--controller-labels: expected k=v[,k=v...], got ${JSON.stringify(text)}`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function parseServiceRef(text: string): { namespace: string; name: string } {
  const [namespace, name, extra] = text.split('/');
  if (!namespace || !name || extra !== undefined)
    throw new UsageError(`--dns-service: expected NAMESPACE/NAME, got ${JSON.stringify(text)}`);
  return { namespace, name };
}

function findingText(f: Finding): string {
  const object = f.object.namespace
    ? `${f.object.kind} ${f.object.namespace}/${f.object.name}`
    : `${f.object.kind} ${f.object.name}`;
  return `${f.severity.toUpperCase().padEnd(7)} ${f.code} ${object}: ${f.message}`;
}

async function runLint(args: string[], io: PolicyCliIo): Promise<number> {
  const { values, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      ...common,
      'dns-service': { type: 'string' },
      'controller-namespace': { type: 'string' },
      'controller-labels': { type: 'string' },
    },
  });
  if (values.help === true) return printHelp(io);
  const output = outputFormat(values.output);
  const files = snapshotFiles(tokens);
  const dnsService =
    values['dns-service'] !== undefined ? parseServiceRef(values['dns-service']) : DEFAULT_DNS_SERVICE;
  const controllerLabels =
    values['controller-labels'] !== undefined
      ? parseLabels(values['controller-labels'])
      : DEFAULT_CONTROLLER_LABELS;
  const snapshot = await loadSnapshot(files);
  const { findings } = computePolicyFindings(snapshot, {
    dnsService,
    controllerLabels,
    ...(values['controller-namespace'] !== undefined
      ? { controllerNamespace: values['controller-namespace'] }
      : {}),
    engine: engineOptions(values),
  });
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  if (output === 'json') io.stdout(`${safeJson({ findings, summary: counts })}\n`);
  else {
    const lines = findings.map(findingText);
    lines.push(
      `${findings.length} finding(s): ${counts.error} error, ${counts.warning} warning, ${counts.info} info`,
    );
    io.stdout(`${sanitizeLines(lines.join('\n'))}\n`);
  }
  return counts.error + counts.warning > 0 ? 1 : 0;
}

function printHelp(io: PolicyCliIo): number {
  io.stdout(HELP);
  return 0;
}

/** Runs `netprobe policy ARGS...`; returns the exit code (0 ok, 1 lint findings, 2 bad input). */
export async function runPolicyCommand(args: string[], raw: PolicyCliIo): Promise<number> {
  // Names, labels and messages come from snapshot files: no control character reaches the terminal.
  // Errors are text; stdout is made safe where it is built (sanitizeLines for text, safeJson for JSON).
  const io: PolicyCliIo = { stdout: raw.stdout, stderr: (s) => raw.stderr(sanitizeLines(s)) };
  const [command, ...rest] = args;
  try {
    if (command === 'query') return await runQuery(rest, io);
    if (command === 'lint') return await runLint(rest, io);
    if (command === undefined || command === '--help' || command === '-h' || command === 'help')
      return printHelp(io);
    throw new UsageError(`unknown command ${JSON.stringify(command)} (expected query or lint)`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof PolicyInputError) {
      io.stderr(`netprobe policy: ${error.message}\n`);
      return 2;
    }
    // parseArgs reports unknown or malformed options with a code (checked by shape, not
    // instanceof: its errors may come from another realm, as under jest); the rest are bugs.
    if (isRecord(error) && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`netprobe policy: ${String(error.message)}\n`);
      return 2;
    }
    throw error;
  }
}
