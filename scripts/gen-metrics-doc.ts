// Regenerates the metric table in docs/metrics.md from src/metrics/catalog.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createMetrics } from '../src/metrics/catalog.js';
import { renderMetricTable, replaceMetricTable } from '../src/metrics/docs.js';

const path = new URL('../docs/metrics.md', import.meta.url);
const specs = createMetrics(new Registry(), { defaultMetrics: false }).specs;
writeFileSync(path, replaceMetricTable(readFileSync(path, 'utf8'), renderMetricTable(specs)));
console.log(`docs/metrics.md: ${specs.length} metrics`);
