import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSshKey, writeClusterFile } from '../../../src/lib/config/init.js';
import { loadCluster } from '../../../src/lib/config/load.js';

describe('init files', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('offers ~/.ssh/id_ed25519 when it exists, else id_rsa, else nothing', () => {
    expect(defaultSshKey(home)).toBeUndefined();
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_rsa'), '');
    expect(defaultSshKey(home)).toBe('~/.ssh/id_rsa');
    writeFileSync(join(home, '.ssh', 'id_ed25519'), '');
    expect(defaultSshKey(home)).toBe('~/.ssh/id_ed25519');
  });

  it('writes a file loadCluster accepts, and refuses to replace one unless forced', async () => {
    const file = join(home, 'new', 'cluster.yaml');
    const answers = {
      name: 'n',
      managers: ['m1'],
      workers: [],
      registries: [],
      engineSource: 'docker' as const,
    };
    await writeClusterFile(file, answers, false);
    await expect(loadCluster(file, {})).resolves.toMatchObject({ config: { metadata: { name: 'n' } } });
    await expect(writeClusterFile(file, answers, false)).rejects.toThrow(
      'exists: init does not overwrite it',
    );
    await expect(writeClusterFile(file, { ...answers, name: 'm' }, true)).resolves.toContain('name: m');
  });
});
