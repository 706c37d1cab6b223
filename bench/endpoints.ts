// Service endpoint inventory at scale: 10,000 Services, 50,000 dual-stack pods, 100,000 endpoints in
// EndpointSlices of <= 100, served by the fake API in a child process (so this process's RSS is
// netprobe's alone), watched by the real cluster cache and EndpointInventory. Measures initial sync,
// RSS and heap after sync, watch event -> series in registry.metrics(), and /metrics render time/size.
// Run: npx tsx bench/endpoints.ts [--compiled [--optimize-for-size]] [--services 10000] [--flips 20] [--no-memo-list]
// --compiled compiles this file's import graph with tsc and reruns it under plain `node --expose-gc`,
// as netprobe runs in production (dist/cli.js): tsx's loader alone adds ~100 MiB of RSS.
// Figures go to docs/performance/endpoints.md by hand. Loopback only, bounded by a hard time limit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { EndpointInventory, type FlushStats } from '../src/inventory/endpoints.js';
import { createClusterCache, startCache, stopCache } from '../src/kube/cache.js';
import { silentLogger } from '../src/log/logger.js';
import { createMetrics } from '../src/metrics/catalog.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    flips: { type: 'string', default: '20' },
    compiled: { type: 'boolean', default: false },
    // As the cluster Deployment runs it (deploy/base/deployment-cluster.yaml).
    'optimize-for-size': { type: 'boolean', default: false },
    'no-memo-list': { type: 'boolean', default: false },
  },
});
const FLIPS = Number(values.flips);
const HARD_LIMIT_MS = 15 * 60_000;

interface ApiInfo {
  kubeconfig: string;
  services: number;
  pods: number;
  endpoints: number;
  slices: number;
  populateMs: number;
  memoList: boolean;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const ms = (x: number): string => x.toFixed(0);

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The child's stdout as a queue of JSON messages. */
function messages(stream: NodeJS.ReadableStream): () => Promise<unknown> {
  const queue: unknown[] = [];
  const waiters: Array<(v: unknown) => void> = [];
  createInterface({ input: stream }).on('line', (line) => {
    const msg: unknown = JSON.parse(line);
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  return () =>
    queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve));
}

const COMPILED_DIR = 'node_modules/.cache/netprobe-bench';

/** Compiles bench/endpoints.ts and what it imports, then runs the result under plain node; returns its exit code. */
function runCompiled(): number {
  const tscArgs = [
    'tsc',
    'bench/endpoints.ts',
    '--outDir',
    COMPILED_DIR,
    '--rootDir',
    '.',
    '--target',
    'ES2022',
  ];
  tscArgs.push('--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', '--types', 'node');
  spawnSync('npx', tscArgs, { stdio: 'inherit' });
  const out = `${COMPILED_DIR}/bench/endpoints.js`;
  if (!existsSync(out)) throw new Error(`tsc did not write ${out}`);
  const rest = process.argv.slice(2).filter((a) => a !== '--compiled' && a !== '--optimize-for-size');
  const v8 = values['optimize-for-size'] ? ['--optimize-for-size'] : [];
  return spawnSync(process.execPath, ['--expose-gc', ...v8, out, ...rest], { stdio: 'inherit' }).status ?? 1;
}

async function main(): Promise<void> {
  if (values.compiled) process.exit(runCompiled());
  const hardLimit = setTimeout(() => {
    console.error('hard time limit reached');
    process.exit(2);
  }, HARD_LIMIT_MS);
  const args = ['tsx', 'bench/endpoints-api.ts', '--services', String(values.services)];
  if (values['no-memo-list']) args.push('--no-memo-list');
  const child = spawn('npx', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = messages(child.stdout);
  try {
    const info = (await next()) as ApiInfo;
    console.log(
      `fake API (child pid ${child.pid}): ${info.services} services, ${info.pods} pods, ${info.endpoints} endpoints in ${info.slices} slices, populated in ${info.populateMs} ms, list memo ${info.memoList}`,
    );
    await bench(info, next, (cmd) => child.stdin.write(JSON.stringify(cmd) + '\n'));
  } finally {
    child.stdin.end();
    clearTimeout(hardLimit);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

async function bench(
  info: ApiInfo,
  next: () => Promise<unknown>,
  send: (cmd: object) => void,
): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromString(info.kubeconfig);
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const cache = createClusterCache({ kc, logger: silentLogger(), metrics });
  const flushes: Array<FlushStats & { at: number }> = [];
  let flushed: () => void = () => undefined;
  const inventory = new EndpointInventory({
    cache,
    metrics,
    logger: silentLogger(),
    onFlush: (s) => {
      flushes.push({ ...s, at: performance.now() });
      flushed();
    },
  });
  const nextFlush = (): Promise<void> => new Promise((resolve) => (flushed = resolve));

  const base = process.memoryUsage();
  console.log(
    `before sync (modules loaded, empty cache): rss ${mib(base.rss)} MiB, heapUsed ${mib(base.heapUsed)} MiB`,
  );
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  inventory.start();
  startCache(cache);
  await Promise.all([
    cache.services.waitForSync(),
    cache.endpointSlices.waitForSync(),
    cache.pods.waitForSync(),
  ]);
  const tCache = performance.now() - t0;
  while (!inventory.synced) await nextFlush();
  const tSync = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const first = flushes[0];
  console.log(
    `initial sync: caches ${ms(tCache)} ms, inventory computed ${ms(tSync)} ms (first flush: ${first?.services} services in ${ms(first?.durationMs ?? NaN)} ms); netprobe CPU ${ms((cpu.user + cpu.system) / 1000)} ms`,
  );
  await sleep(2000);
  const mem = process.memoryUsage();
  console.log(
    `after sync: rss ${mib(mem.rss)} MiB, heapUsed ${mib(mem.heapUsed)} MiB, external ${mib(mem.external)} MiB`,
  );
  if (gc) {
    gc();
    const after = process.memoryUsage();
    console.log(
      `after forced GC: rss ${mib(after.rss)} MiB, heapUsed ${mib(after.heapUsed)} MiB, heapTotal ${mib(after.heapTotal)} MiB`,
    );
  }

  const renders: number[] = [];
  let text = '';
  for (let k = 0; k < 5; k++) {
    const r0 = performance.now();
    text = await registry.metrics();
    renders.push(performance.now() - r0);
  }
  const serviceLines = text.split('\n').filter((l) => l.startsWith('netprobe_service_')).length;
  console.log(
    `/metrics render: median ${ms(quantile(renders, 0.5))} ms, max ${ms(Math.max(...renders))} ms, ${mib(Buffer.byteLength(text))} MiB, ${serviceLines} netprobe_service_ series`,
  );

  const toFlush: number[] = [];
  const toText: number[] = [];
  const recomputed: number[] = [];
  for (let k = 0; k < FLIPS; k++) {
    // Small and large (every 100th, 104 pods) Services, spread over namespaces.
    const service = k % 4 === 0 ? (k * 100) % info.services : (k * 379 + 17) % info.services;
    const before = flushes.length;
    const sent = performance.now();
    send({ op: 'flip', service });
    const { line } = (await next()) as { line: string };
    const deadline = sent + 10_000;
    let seen = false;
    let scanned = before;
    while (!seen && performance.now() < deadline) {
      if (flushes.length === scanned) await Promise.race([nextFlush(), sleep(1000)]);
      scanned = flushes.length;
      const body = await registry.metrics();
      seen = body.includes(`\n${line}\n`);
      if (seen) {
        toFlush.push((flushes[flushes.length - 1]?.at ?? NaN) - sent);
        toText.push(performance.now() - sent);
      }
    }
    if (!seen) console.log(`flip ${k}: ${line} not seen within 10 s`);
    recomputed.push(flushes.slice(before).reduce((n, f) => n + f.services, 0));
  }
  console.log(
    `event -> metric (${toText.length}/${FLIPS} seen): flushed p50 ${ms(quantile(toFlush, 0.5))} ms, max ${ms(Math.max(...toFlush))} ms; in registry.metrics() text p50 ${ms(quantile(toText, 0.5))} ms, max ${ms(Math.max(...toText))} ms; Services recomputed per flip: max ${Math.max(...recomputed)}`,
  );
  if (gc) {
    gc();
    const withInventory = process.memoryUsage().heapUsed;
    inventory.stop();
    gc();
    console.log(
      `inventory indexes + its series: ${mib(withInventory - process.memoryUsage().heapUsed)} MiB of heap`,
    );
  }
  inventory.stop();
  stopCache(cache);
}

void main();
