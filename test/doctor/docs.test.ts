import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../cli/process.js';

// docs/doctor.md lists every finding code; the literal codes written in src/doctor must all be there.
describe('docs/doctor.md', () => {
  const docs = readFileSync(join(REPO_ROOT, 'docs/doctor.md'), 'utf8');
  const srcDir = join(REPO_ROOT, 'src/doctor');
  const codes = new Set<string>();
  for (const file of readdirSync(srcDir)) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    for (const m of text.matchAll(/'((?:pod|service|ingress|dns|declared)-[a-z-]+[a-z])'/g))
      codes.add(m[1] ?? '');
  }

  it('finds the codes in the source (the scan works)', () => {
    expect(codes.has('service-no-ready-endpoints')).toBe(true);
    expect(codes.has('dns-server-slow')).toBe(true);
    expect(codes.size).toBeGreaterThan(20);
  });

  it('documents every code', () => {
    const missing = [...codes].filter((c) => !docs.includes(`\`${c}\``)).sort();
    expect(missing).toEqual([]);
  });
});
