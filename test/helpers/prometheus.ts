// The temporary Prometheus lives in src/sandbox/ (the demo and bench/detection.ts start it too).
export * from '../../src/sandbox/prometheus.js';
