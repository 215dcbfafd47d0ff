import { defineConfig } from 'vitest/config';

// Three suites:
//  unit         - `npm test`: self-contained, must pass on a fresh clone without ../shared.
//  conformance  - reads the shared corpora (../shared): SigmaHQ, Sigma spec, EVTX samples.
//  integration  - talks to real services (PostgreSQL, NATS, nftables, slapd, dnsmasq, Chromium).
const slow = ['**/*.conformance.test.ts', '**/*.integration.test.ts', 'node_modules/**', 'dist/**'];
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: slow, testTimeout: 30_000, hookTimeout: 60_000 } },
      { test: { name: 'conformance', include: ['src/**/*.conformance.test.ts', 'test/**/*.conformance.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
      { test: { name: 'integration', include: ['src/**/*.integration.test.ts', 'test/**/*.integration.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false } },
    ],
  },
});
