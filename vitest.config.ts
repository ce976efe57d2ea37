import { defineConfig } from 'vitest/config';

// Three tiers (style.md): unit = pure logic, integration = real ssh2 servers in-process and real files,
// e2e = real engines in sandbox hosts (needs root and a Docker engine; see README).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Checks root, sftp-server, sudo, age … first: a missing one fails the run with its name, instead
          // of failing every file's beforeAll (which reads as skipped tests).
          globalSetup: ['test/integration/prerequisites.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Root, an engine that answers, dist/, debootstrap … first: a missing one fails the run with its name,
          // instead of failing every file's sandbox in beforeAll (which reads as skipped tests).
          globalSetup: ['test/e2e/prerequisites.ts'],
          // Two files at a time: most of an e2e file is waiting on engines in its own sandbox (each on its
          // own /24), so two share 2 cores well and the suite stays within CI's time budget.
          fileParallelism: true,
          maxWorkers: 2,
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          // A page or an engine moves in its own time: a poll with no timeout of its own waits up to 15 s,
          // not vitest's default 1 s (the manager banner was read one round before the collector's next one).
          expect: { poll: { timeout: 15_000, interval: 250 } },
        },
      },
    ],
  },
});
