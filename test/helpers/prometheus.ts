// The temporary Prometheus lives in sandbox/ (the demo and bench/detection.ts start it too).
export * from '../../sandbox/prometheus.js';
