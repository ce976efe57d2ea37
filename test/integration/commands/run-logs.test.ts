import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { Scratch } from '../ssh/fixtures.js';

// A cron job's runs do not fill the disk: each run deletes the oldest run logs of its cluster beyond the
// last EECTL_LOG_KEEP_RUNS runs / EECTL_LOG_KEEP_MIB MiB, and nothing else in the directory.
describe('run logs rotate', () => {
  const scratch = new Scratch();
  const home = scratch.path('home');
  const logs = join(home, '.eectl', 'lab', 'logs');
  let clusterFile: string;
  const check = ['access', 'check', '--user', 'dev', '--method', 'GET', '--path', '/v1.41/info'];

  beforeAll(() => {
    mkdirSync(logs, { recursive: true });
    clusterFile = scratch.file(
      'cluster.yaml',
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  hosts:\n    - { address: local, role: manager, localhost: true }\n',
    );
  });
  afterAll(() => scratch.remove());

  it('keeps the last EECTL_LOG_KEEP_RUNS runs, this one included, and files that are not run logs', async () => {
    const day = 86_400_000;
    for (let i = 5; i >= 1; i--) {
      const at = new Date(Date.now() - i * day);
      const path = join(logs, `${at.toISOString().replace(/[:.]/g, '-')}-status.log`);
      writeFileSync(path, 'old run\n');
      utimesSync(path, at, at);
    }
    writeFileSync(join(logs, 'README.txt'), 'kept\n');
    const env = { HOME: home, EECTL_HOME: join(home, '.eectl'), EECTL_LOG_KEEP_RUNS: '3' };
    const r = await runEectl([...check, '-c', clusterFile], { env });
    expect(r.code, r.stderr).toBe(0);
    const left = readdirSync(logs).sort();
    expect(left).toHaveLength(4);
    expect(left).toContain('README.txt');
    expect(left.filter((n) => n.endsWith('-access-check.log'))).toHaveLength(1);
    expect(left.filter((n) => n.endsWith('-status.log'))).toHaveLength(2);
  });

  it('a value that is not a whole number: exit 2, naming the variable', async () => {
    const env = { HOME: home, EECTL_HOME: join(home, '.eectl'), EECTL_LOG_KEEP_MIB: 'lots' };
    const r = await runEectl([...check, '-c', clusterFile, '--json'], { env });
    expect(r.code).toBe(2);
    expect(r.json?.error?.message).toBe('EECTL_LOG_KEEP_MIB=lots: a whole number is expected (0: no limit)');
  });
});
