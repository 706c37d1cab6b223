import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/cluster.js';
import { waitFor } from './wait.js';

// The sandbox binds fixed loopback addresses (127.0.10.x port 53, 127.0.50.x:9808, ...), so only
// one can run on the machine at a time. Test files that start one take this lock first; jest may
// run them in parallel workers. A lock left by a dead process is taken over.
const LOCK = join(tmpdir(), 'netprobe-sandbox.lock');

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function removeStaleLock(): void {
  try {
    if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
  } catch {
    // another waiter removed it first
  }
}

async function acquire(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      // Give a new holder a moment to write its pid before judging it dead.
      await new Promise((r) => setTimeout(r, 250));
      if (!holderAlive()) removeStaleLock();
      if (Date.now() > deadline) throw new Error(`sandbox lock ${LOCK} still held after ${timeoutMs} ms`);
    }
  }
}

/** Takes the sandbox lock (for a test that starts the sandbox in another process); returns the release. */
export async function acquireSandboxLock(timeoutMs = 300_000): Promise<() => void> {
  await acquire(timeoutMs);
  return () => rmSync(LOCK, { recursive: true, force: true });
}

/** Starts the sandbox once no other test process has one running; stop() releases the lock. */
export async function startTestSandbox(opts: SandboxOptions = {}, lockTimeoutMs = 300_000): Promise<Sandbox> {
  await acquire(lockTimeoutMs);
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ interval: 2, ...opts });
  } catch (err) {
    rmSync(LOCK, { recursive: true, force: true });
    throw err;
  }
  return {
    ...sandbox,
    stop: async () => {
      try {
        await sandbox.stop();
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
    },
  };
}

/** The parts of a role's /status JSON the sandbox tests read. */
export interface RoleStatusJson {
  /** Cluster role: the plan it published; node role: the plan in use (with its DNS servers). */
  plan: { generation: number; dns?: { servers: Array<{ name: string; via: string }> } } | null;
}

/** A role's /status as JSON. */
export async function roleStatus(baseUrl: string): Promise<RoleStatusJson> {
  const res = await fetch(`${baseUrl}/status`);
  if (!res.ok) throw new Error(`${baseUrl}/status answered ${res.status}`);
  return (await res.json()) as RoleStatusJson;
}

/** A role's /metrics exposition text. */
export async function roleMetrics(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`${baseUrl}/metrics answered ${res.status}`);
  return res.text();
}

async function ready(baseUrl: string): Promise<boolean> {
  return (await fetch(`${baseUrl}/readyz`)).ok;
}

async function proberRan(baseUrl: string, probers: readonly string[]): Promise<boolean> {
  const text = await roleMetrics(baseUrl);
  return probers.every((p) => text.includes(`\nnetprobe_prober_last_run_timestamp_seconds{prober="${p}"} `));
}

/**
 * Waits until both roles are ready, every prober of each role has finished a probe, and every node
 * uses the plan generation the cluster role published; returns that generation.
 */
export async function waitForSandboxWorking(sandbox: Sandbox, timeoutMs = 30_000): Promise<number> {
  const { cluster, nodes } = sandbox.urls;
  let generation = 0;
  const working = async (): Promise<boolean> => {
    const all = [cluster, ...nodes];
    if (!(await Promise.all(all.map(ready))).every(Boolean)) return false;
    const published = (await roleStatus(cluster)).plan?.generation;
    if (published === undefined) return false;
    const used = await Promise.all(nodes.map(async (u) => (await roleStatus(u)).plan?.generation));
    if (!used.every((g) => g === published)) return false;
    const ran = await Promise.all([
      proberRan(cluster, ['ingress']),
      ...nodes.map((u) => proberRan(u, ['dns', 'path'])),
    ]);
    generation = published;
    return ran.every(Boolean);
  };
  await waitFor('both roles ready, probers run, and the plan in use on every node', working, timeoutMs, 100);
  return generation;
}
