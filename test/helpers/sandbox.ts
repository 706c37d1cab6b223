import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/cluster.js';

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
      if (!holderAlive()) {
        try {
          if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
        } catch {
          // another waiter removed it first
        }
      }
      if (Date.now() > deadline) throw new Error(`sandbox lock ${LOCK} still held after ${timeoutMs} ms`);
    }
  }
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
