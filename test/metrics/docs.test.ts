import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics/catalog.js';
import { renderMetricTable, replaceMetricTable } from '../../src/metrics/docs.js';

const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
const specs = createMetrics(new Registry(), { defaultMetrics: false }).specs;

describe('docs/metrics.md', () => {
  test('matches the catalog (regenerate with npx tsx scripts/gen-metrics-doc.ts)', () => {
    expect(replaceMetricTable(doc, renderMetricTable(specs))).toBe(doc);
  });

  test('lists every catalog metric by name', () => {
    const missing = specs.filter((s) => !doc.includes(`\`${s.name}\``)).map((s) => s.name);
    expect(missing).toEqual([]);
  });

  test('follows the naming conventions', () => {
    for (const s of specs) {
      expect(s.name).toMatch(/^netprobe_[a-z0-9_]+$/);
      expect(s.name.endsWith('_total')).toBe(s.type === 'counter');
      expect(s.help.length).toBeGreaterThan(10);
    }
  });
});
