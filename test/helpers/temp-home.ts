import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach } from 'vitest';

/**
 * Each test of the file gets its own empty EECTL_HOME (run logs, rolling turn records, the local CA),
 * and the file gives the variable back as it found it. Call it at the top level of a test file.
 */
export function useTempEectlHome(): void {
  const home = process.env.EECTL_HOME;
  beforeEach(() => {
    process.env.EECTL_HOME = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  });
  afterAll(() => {
    if (home === undefined) delete process.env.EECTL_HOME;
    else process.env.EECTL_HOME = home;
  });
}
