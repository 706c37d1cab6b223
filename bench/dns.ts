// DNS lookup latency and CPU cost: netprobe's probeDns vs dig vs prometheus-blackbox-exporter,
// against one local server that delays every reply by a known 20 ms. Loopback only, bounded loops.
// Run: npx tsx bench/dns.ts   (figures go to docs/performance/dns.md by hand)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeDns, type DnsTarget } from '../src/probers/dns.js';

const run = promisify(execFile);
const ADDRESS = '127.0.0.60';
const DELAY_MS = 20;
const NAME = 'kubernetes.default.svc.cluster.local';
const LATENCY_RUNS = { netprobe: 300, dig: 100, blackbox: 300 };
const CPU_RUNS = 1000;
const WARMUP = 20;
const HARD_LIMIT_MS = 10 * 60 * 1000;

const children: ChildProcess[] = [];

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function ms(seconds: number): string {
  return (seconds * 1000).toFixed(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Starts a child and resolves with its first stdout line matching `ready`. */
function startChild(
  command: string,
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match !== null) resolve({ child, match });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
}

async function startDnsServer(): Promise<number> {
  const script = join(import.meta.dirname, 'dns-delay-server.ts');
  const { match } = await startChild(
    process.execPath,
    ['--import', 'tsx', script, ADDRESS, String(DELAY_MS)],
    /ready (\d+)/,
  );
  return Number(match[1]);
}

async function startBlackbox(dir: string): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const config = join(dir, 'blackbox.yml');
  await writeFile(
    config,
    [
      'modules:',
      '  dns_a:',
      '    prober: dns',
      '    timeout: 2s',
      '    dns:',
      `      query_name: ${NAME}`,
      '      query_type: A',
      '      transport_protocol: udp',
      '      preferred_ip_protocol: ip4',
      '      ip_protocol_fallback: false',
      '',
    ].join('\n'),
  );
  const { child } = await startChild(
    'prometheus-blackbox-exporter',
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`],
    /Listening on/,
  );
  return { pid: child.pid ?? 0, port };
}

async function netprobeLookup(target: DnsTarget): Promise<number> {
  const result = await probeDns(target, new AbortController().signal);
  if (result.outcome !== 'success') throw new Error(`probeDns: ${result.outcome} ${result.detail ?? ''}`);
  return result.durationSeconds;
}

async function digLookup(port: number): Promise<number> {
  const { stdout } = await run('dig', [
    `@${ADDRESS}`,
    '-p',
    String(port),
    NAME,
    'A',
    '+tries=1',
    '+time=2',
    '+noall',
    '+stats',
  ]);
  const match = /Query time: (\d+) msec/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`dig: no query time in ${stdout}`);
  return Number(match[1]) / 1000;
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ').pop());
}

async function blackboxProbe(port: number, dnsPort: number): Promise<{ total: number; request: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/probe?module=dns_a&target=${ADDRESS}:${dnsPort}`);
  const text = await response.text();
  if (metric(text, 'probe_success') !== 1) throw new Error(`blackbox probe failed: ${text}`);
  return {
    total: metric(text, 'probe_duration_seconds'),
    request: metric(text, 'probe_dns_duration_seconds{phase="request"}'),
  };
}

async function repeat<T>(count: number, fn: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i += 1) results.push(await fn());
  return results;
}

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks). */
async function processCpuSeconds(pid: number, ticksPerSecond: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

async function versions(): Promise<string> {
  const dig = (
    await run('dig', ['-v']).catch((e: { stderr?: string }) => ({ stdout: '', stderr: e.stderr ?? '' }))
  ).stderr.trim();
  const bb = await run('prometheus-blackbox-exporter', ['--version']);
  return `node ${process.version}; ${dig}; ${(bb.stdout + bb.stderr).split('\n')[0] ?? ''}`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'netprobe-bench-dns-'));
  try {
    const dnsPort = await startDnsServer();
    const blackbox = await startBlackbox(dir);
    const target: DnsTarget = {
      server: { address: ADDRESS, port: dnsPort },
      name: NAME,
      type: 'A',
      mode: 'fqdn',
      search: [],
      ndots: 1,
      timeoutSeconds: 2,
    };
    await repeat(WARMUP, () => netprobeLookup(target));
    await repeat(WARMUP, () => blackboxProbe(blackbox.port, dnsPort));
    await repeat(5, () => digLookup(dnsPort));

    const netprobe = await repeat(LATENCY_RUNS.netprobe, () => netprobeLookup(target));
    const dig = await repeat(LATENCY_RUNS.dig, () => digLookup(dnsPort));
    const bb = await repeat(LATENCY_RUNS.blackbox, () => blackboxProbe(blackbox.port, dnsPort));

    const ticks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim());
    const ownBefore = process.cpuUsage();
    await repeat(CPU_RUNS, () => netprobeLookup(target));
    const own = process.cpuUsage(ownBefore);
    const netprobeCpu = (own.user + own.system) / 1e6;
    const bbBefore = await processCpuSeconds(blackbox.pid, ticks);
    await repeat(CPU_RUNS, () => blackboxProbe(blackbox.port, dnsPort));
    const blackboxCpu = (await processCpuSeconds(blackbox.pid, ticks)) - bbBefore;

    const row = (name: string, values: number[], note: string): string =>
      `| ${name} | ${values.length} | ${ms(quantile(values, 0.5))} | ${ms(quantile(values, 0.9))} | ${note} |`;
    console.log(`${await versions()}; server delay ${DELAY_MS} ms on ${ADDRESS}\n`);
    console.log('| measured by | lookups | median ms | p90 ms | what is measured |');
    console.log('|---|---|---|---|---|');
    console.log(row('netprobe probeDns', netprobe, 'durationSeconds: whole lookup, hrtime (ns)'));
    console.log(row('dig', dig, '";; Query time", whole milliseconds'));
    console.log(
      row(
        'blackbox_exporter',
        bb.map((b) => b.request),
        'probe_dns_duration_seconds{phase="request"}',
      ),
    );
    console.log(
      row(
        'blackbox_exporter',
        bb.map((b) => b.total),
        'probe_duration_seconds (whole probe)',
      ),
    );
    console.log('');
    console.log(`| CPU per ${CPU_RUNS} lookups | seconds |`);
    console.log('|---|---|');
    console.log(`| netprobe (process.cpuUsage, user+system) | ${netprobeCpu.toFixed(3)} |`);
    console.log(`| blackbox_exporter (/proc utime+stime, ${ticks} ticks/s) | ${blackboxCpu.toFixed(3)} |`);
    console.log(`| ratio blackbox / netprobe | ${(blackboxCpu / netprobeCpu).toFixed(2)} |`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

const limit = setTimeout(() => {
  console.error(`bench/dns.ts: over ${HARD_LIMIT_MS / 1000} s, stopping`);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
}, HARD_LIMIT_MS);
limit.unref();

await main();
