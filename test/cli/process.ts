import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';

/** The repository root: the CLI runs from there so tsx finds tsconfig and node_modules. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// A child gets only what it needs: no inherited KUBECONFIG or NETPROBE_* from the developer's shell.
const CHILD_ENV = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };

/** A netprobe process started through tsx (no prior `npm run build`). */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal that ended it) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `netprobe ARGS...` from the repository root. */
export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a command that ends by itself; kills it (and fails) if it is still running after timeoutMs. */
export async function runCli(
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await p.exited;
  clearTimeout(timer);
  if (signal) throw new Error(`netprobe ${args.join(' ')} was killed (${signal}); stderr:\n${p.stderr()}`);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The port from the role's JSON log line {"msg":"listening","address":"HOST:PORT"}. */
export async function listenPort(p: CliProcess, timeoutMs = 30_000): Promise<number> {
  return waitFor(
    `a "listening" log line (stderr so far: ${p.stderr()})`,
    () => {
      for (const line of p.stderr().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        const m = entry.msg === 'listening' ? /:(\d+)$/.exec(entry.address ?? '') : null;
        if (m?.[1]) return Number(m[1]);
      }
      if (p.child.exitCode !== null) throw new Error(`netprobe exited early:\n${p.stderr()}`);
      return 0;
    },
    timeoutMs,
    50,
  );
}

/** GET on the role's server: status and body. */
export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Whether a TCP connection to 127.0.0.1:port is refused (nothing listens there). */
export function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** A loopback port that was free a moment ago (for a server that starts later on a known port). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Sends a signal and waits (at most boundMs, then SIGKILL and fail) for the process to end. */
export async function stopWith(
  p: CliProcess,
  signal: NodeJS.Signals,
  boundMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), boundMs);
  const result = await p.exited;
  clearTimeout(timer);
  return result;
}
