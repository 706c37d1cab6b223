// Tests are TypeScript ESM (client-node 2.x is ESM-only), transformed by swc; tsc type-checks them.
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'es6' },
    },
  ],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  projects: [
    // unit: pure logic and in-process servers on loopback; fast, no root, no Debian tools.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    // integration: real Debian servers (unbound, nginx, prometheus), network namespaces, Chromium.
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int.test.ts'] },
  ],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
};
