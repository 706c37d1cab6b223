// Lets `npm test` and `npm run demo` work as the first command on a fresh clone:
// installs the locked npm dependencies when missing or stale, and, as root, the Debian tools the
// integration tests run for real (--debian) or the demo's Prometheus (--demo).
import { existsSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.error('netprobe: installing npm dependencies (npm ci)...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}

// binary -> Debian package
const DEBIAN_TOOLS = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  unbound: 'unbound',
  dig: 'dnsutils',
  nginx: 'nginx',
  nft: 'nftables',
  ip: 'iproute2',
  openssl: 'openssl',
  chromium: 'chromium',
  'prometheus-blackbox-exporter': 'prometheus-blackbox-exporter',
  kubectl: 'kubernetes-client',
};

const has = (bin) => {
  try {
    execSync(`command -v ${bin}`, { stdio: 'ignore', shell: '/bin/sh', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    return true;
  } catch {
    return false;
  }
};

// The demo needs only Prometheus (to show the shipped rules' alerts); the tests need every tool.
const DEMO_TOOLS = { prometheus: 'prometheus' };
const wanted = process.argv.includes('--debian') ? DEBIAN_TOOLS : process.argv.includes('--demo') ? DEMO_TOOLS : undefined;

if (wanted !== undefined) {
  const missing = [...new Set(Object.entries(wanted).filter(([bin]) => !has(bin)).map(([, pkg]) => pkg))];
  if (missing.length > 0) {
    if (process.getuid?.() === 0) {
      console.error(`netprobe: installing Debian packages: ${missing.join(' ')}`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execSync('apt-get update -qq', { stdio: 'inherit', env });
      execSync(`apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { stdio: 'inherit', env });
    } else {
      console.error(`netprobe: missing Debian packages (install them as root): ${missing.join(' ')}; ${wanted === DEMO_TOOLS ? 'the demo runs without Prometheus' : 'integration tests that need them will fail'}`);
    }
  }
}
