import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Network namespaces as stand-in pods for the path prober's real-network tests. Each "pod" is a
 * namespace joined to the host by a veth pair on its own link-local /30 taken from 169.254.213.0/24:
 * link-local so no route outside this machine ever matches, and a /30 so the only peers are the host
 * end and the pod end; each also gets a ULA /64 so the pod is dual-stack. Everything is removed by cleanup(), which is synchronous so it can also run
 * from process.on('exit') when a test run dies half-way.
 */

const SUBNET_PREFIX = '169.254.213.';
/** IPv6: one /64 per slot of a ULA prefix no real network here uses. */
const SUBNET6_PREFIX = 'fd6e:7074:';

/** One namespace and its veth link to the host. */
export interface NetnsPod {
  namespace: string;
  /** The pod end of the veth: what probes from the host target. */
  address: string;
  /** The host end of the veth. */
  hostAddress: string;
  /** The pod end's IPv6 address (a ULA /64 per pod, so the pod is dual-stack). */
  address6: string;
  /** The host end's IPv6 address. */
  hostAddress6: string;
  /** Runs a command inside the namespace and returns its stdout; throws on a non-zero exit. */
  exec(command: string, args: readonly string[], input?: string): string;
  /** Starts a long-running command inside the namespace; resolves once it prints `readyLine`. */
  start(command: string, args: readonly string[], readyLine: string): Promise<ChildProcess>;
}

/** The namespaces of one test file; cleanup() removes them all. */
export interface NetnsLab {
  pod(suffix: string): NetnsPod;
  cleanup(): void;
}

function run(command: string, args: readonly string[], input?: string): string {
  return execFileSync(command, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function quietly(command: string, args: readonly string[]): void {
  try {
    run(command, args);
  } catch {
    // Cleanup of something already gone.
  }
}

/** Why these tests cannot run here (not root, no `ip netns`, no nft), or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  const scratch = `np-test-${process.pid}-check`;
  try {
    run('nft', ['--version']);
    run('ip', ['netns', 'add', scratch]);
    run('ip', ['netns', 'exec', scratch, 'ip', 'link', 'set', 'lo', 'up']);
    return undefined;
  } catch (err) {
    return `network namespaces or nft unavailable: ${(err as Error).message.split('\n')[0] ?? ''}`;
  } finally {
    quietly('ip', ['netns', 'del', scratch]);
  }
}

/** The first /30 of 169.254.213.0/24 not already on an interface (another run may hold some). */
function freeSlot(taken: Set<number>): number {
  const used = run('ip', ['-o', '-4', 'addr', 'show']);
  for (let slot = 0; slot < 64; slot++) {
    if (!taken.has(slot) && !used.includes(` ${SUBNET_PREFIX}${slot * 4 + 1}/30`)) return slot;
  }
  throw new Error(`no free /30 left in ${SUBNET_PREFIX}0/24`);
}

/** Creates a lab whose namespaces are named `np-test-<pid>-<suffix>`. */
export function createNetnsLab(): NetnsLab {
  const namespaces: string[] = [];
  const links: string[] = [];
  const children: ChildProcess[] = [];
  const slots = new Set<number>();

  const cleanup = (): void => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of namespaces.splice(0)) quietly('ip', ['netns', 'del', ns]);
    // Deleting the namespace destroys the pod end asynchronously; remove the host end ourselves.
    for (const link of links.splice(0)) quietly('ip', ['link', 'del', link]);
  };
  process.once('exit', cleanup);

  const pod = (suffix: string): NetnsPod => {
    const namespace = `np-test-${process.pid}-${suffix}`;
    const hostIf = `npt${process.pid}${namespaces.length}`.slice(0, 15);
    const slot = freeSlot(slots);
    slots.add(slot);
    const hostAddress = `${SUBNET_PREFIX}${slot * 4 + 1}`;
    const address = `${SUBNET_PREFIX}${slot * 4 + 2}`;
    const hostAddress6 = `${SUBNET6_PREFIX}${(slot + 1).toString(16)}::1`;
    const address6 = `${SUBNET6_PREFIX}${(slot + 1).toString(16)}::2`;
    run('ip', ['netns', 'add', namespace]);
    namespaces.push(namespace);
    run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    links.push(hostIf);
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    // nodad: the address is usable at once instead of after duplicate address detection.
    run('ip', ['-6', 'addr', 'add', `${hostAddress6}/64`, 'dev', hostIf, 'nodad']);
    run('ip', ['link', 'set', hostIf, 'up']);
    const inside = (args: readonly string[]): string => run('ip', ['netns', 'exec', namespace, ...args]);
    inside(['ip', 'addr', 'add', `${address}/30`, 'dev', 'eth0']);
    inside(['ip', '-6', 'addr', 'add', `${address6}/64`, 'dev', 'eth0', 'nodad']);
    inside(['ip', 'link', 'set', 'eth0', 'up']);
    inside(['ip', 'link', 'set', 'lo', 'up']);
    // Rejects answer with ICMP; the default rate limit (burst of 6) would turn later ones into silence.
    inside(['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    inside(['sysctl', '-qw', 'net.ipv6.icmp.ratelimit=0']);
    return {
      namespace,
      address,
      hostAddress,
      address6,
      hostAddress6,
      exec: (command, args, input) => run('ip', ['netns', 'exec', namespace, command, ...args], input),
      start: async (command, args, readyLine) => {
        const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: 'pipe' });
        children.push(child);
        await waitForLine(child, readyLine);
        return child;
      },
    };
  };
  return { pod, cleanup };
}

async function waitForLine(child: ChildProcess, line: string): Promise<void> {
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').includes(line)) resolve();
    });
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`process in namespace exited (${String(code)}) before "${line}": ${stderr.trim()}`);
  });
  await Promise.race([ready, exited]);
}
