import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** One scrape job of the temporary Prometheus. */
export interface ScrapeJob {
  job: string;
  /** host:port of each target, e.g. "127.0.0.1:9808". */
  targets: string[];
  /** Target labels added to every series of the job. */
  labels?: Record<string, string>;
  /** Extra target labels of single targets, keyed by host:port (e.g. the `node` a PodMonitor adds). */
  targetLabels?: Record<string, Record<string, string>>;
  /** Exported labels win over target labels (netprobe needs this for its own `namespace`). Default true. */
  honorLabels?: boolean;
  metricsPath?: string;
}

/** What to start Prometheus with. */
export interface PrometheusOptions {
  scrape: ScrapeJob[];
  /** Absolute paths of rule files to load. */
  ruleFiles?: string[];
  /** Defaults to Debian's /usr/bin/prometheus. */
  binary?: string;
  /** How long to wait for /-/ready, in ms. Default 30 000. */
  readyTimeoutMs?: number;
}

/** One sample of an instant-vector query result. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A running temporary Prometheus; call stop() in afterAll. */
export interface PrometheusHandle {
  url: string;
  /** Instant query through /api/v1/query; throws on a query error. */
  query(expr: string): Promise<Sample[]>;
  /** Polls `expr` until `done(result)` holds; throws with the last result after `timeoutMs`. */
  waitFor(expr: string, done: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** GET a JSON API path (e.g. /api/v1/rules) and return its `data`. */
  api(path: string): Promise<unknown>;
  /** Stops Prometheus and removes its config and storage. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function configYaml(opts: PrometheusOptions): string {
  return stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: opts.scrape.map((j) => ({
      job_name: j.job,
      honor_labels: j.honorLabels ?? true,
      metrics_path: j.metricsPath ?? '/metrics',
      // One static config per target, so that each can carry its own labels.
      static_configs: j.targets.map((t) => ({
        targets: [t],
        labels: { ...j.labels, ...j.targetLabels?.[t] },
      })),
    })),
  });
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data?: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

async function waitReady(
  url: string,
  proc: ChildProcess,
  log: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${log()}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`prometheus not ready after ${timeoutMs} ms:\n${log()}`);
}

function toSamples(data: unknown): Sample[] {
  const d = data as {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
  if (d.resultType !== 'vector') throw new Error(`expected an instant vector, got ${d.resultType}`);
  return d.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Starts Debian's Prometheus on a free loopback port with a temporary config and storage. */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'netprobe-prom-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, configYaml(opts));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    opts.binary ?? '/usr/bin/prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, proc, () => stderr, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const query = async (expr: string): Promise<Sample[]> =>
    toSamples(await getJson(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`));
  const waitFor = async (
    expr: string,
    done: (s: Sample[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<Sample[]> => {
    const deadline = Date.now() + timeoutMs;
    let last: Sample[] = [];
    while (Date.now() < deadline) {
      last = await query(expr);
      if (done(last)) return last;
      await sleep(250);
    }
    throw new Error(`${expr}: condition not met after ${timeoutMs} ms; last result ${JSON.stringify(last)}`);
  };
  return { url, query, waitFor, api: (path) => getJson(`${url}${path}`), stop };
}
