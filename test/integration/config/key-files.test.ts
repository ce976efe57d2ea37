import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkClusterFile, ConfigError, loadCluster } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';

const dir = mkdtempSync(join(tmpdir(), 'eectl-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clusterFile(hosts: string): string {
  const file = join(dir, `cluster-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: t }\nspec:\n  hosts:\n${hosts}`,
  );
  return file;
}

describe('local files named in the cluster file (SSH keys, image bundles)', () => {
  it('must exist and be files before any connection: file:line:col, exit 2', async () => {
    mkdirSync(join(dir, 'keys', 'a-directory'), { recursive: true });
    writeFileSync(join(dir, 'keys', 'good'), 'key\n');
    const file = clusterFile(
      [
        '    - { address: 10.0.0.11, role: manager, ssh: { keyPath: keys/missing } }',
        '    - { address: 10.0.0.12, role: manager, ssh: { keyPath: keys/a-directory } }',
        '    - { address: 10.0.0.13, role: manager, ssh: { keyPath: keys/good, bastion: { address: j, keyPath: keys/nope } } }',
        '  images: { bundles: [missing.tar] }',
        '',
      ].join('\n'),
    );
    const check = await checkClusterFile(file, {});
    expect(check.errors.map(formatProblem)).toEqual([
      `${file}:6:60: spec.hosts[0].ssh.keyPath: SSH key ${join(dir, 'keys', 'missing')} does not exist`,
      `${file}:7:60: spec.hosts[1].ssh.keyPath: SSH key ${join(dir, 'keys', 'a-directory')} is not a file`,
      `${file}:8:103: spec.hosts[2].ssh.bastion.keyPath: SSH key ${join(dir, 'keys', 'nope')} does not exist`,
      `${file}:9:23: spec.images.bundles[0]: image bundle ${join(dir, 'missing.tar')} does not exist`,
    ]);
    const error = await loadCluster(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
  });
});
