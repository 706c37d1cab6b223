// Writes the alerting pack (rules, promtool tests, dashboards, Kubernetes forms, docs) from src/pack/.
// With --check, writes nothing and exits 1 when a generated file is missing or differs.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPack } from '../src/pack/render.js';
import { SANDBOX_FAULT_ALERTS } from '../sandbox/pack-faults.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [rel, content] of Object.entries(renderPack(SANDBOX_FAULT_ALERTS))) {
  const file = join(root, rel);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(rel);
  if (check) continue;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
if (check && stale.length > 0) {
  console.error(
    `generated files are out of date (run: npx tsx scripts/generate-pack.ts):\n  ${stale.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(
  check
    ? 'pack is up to date'
    : `wrote ${stale.length} file(s)${stale.length ? ':\n  ' + stale.join('\n  ') : ''}`,
);
