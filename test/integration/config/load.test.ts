import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClusterFile, ConfigError, loadCluster } from '../../../src/lib/config/load.js';

describe('loadCluster on real files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-load-'));
    mkdirSync(join(dir, 'site'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads engine.repoKey when the file is loaded, and refuses a missing, private or non-key file at file:line:col', async () => {
    const file = join(dir, 'site', 'mirror.yaml');
    const write = (key: string) =>
      writeFileSync(
        file,
        `apiVersion: eectl/v1
kind: Cluster
metadata: { name: site }
spec:
  hosts:
    - { address: 10.0.0.1, role: manager }
  engine:
    source: mirror
    repoUrl: http://mirror.internal/debian
    repoKey: ${key}
`,
      );
    const armored = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0\n-----END PGP PUBLIC KEY BLOCK-----\n';
    writeFileSync(join(dir, 'site', 'mirror.asc'), armored);
    write('mirror.asc');
    const loaded = await loadCluster(file, {});
    expect(loaded.config.spec.engine.repoKey).toBe(join(dir, 'site', 'mirror.asc'));
    const { repoKeyText } = await import('../../../src/lib/config/repo-key.js');
    expect(repoKeyText(join(dir, 'site', 'mirror.asc'))).toBe(armored);

    writeFileSync(
      join(dir, 'site', 'private.asc'),
      '-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----\n',
    );
    writeFileSync(join(dir, 'site', 'notakey.txt'), 'hello\n');
    for (const [key, reason] of [
      ['missing.asc', 'no such file'],
      ['private.asc', 'holds a PRIVATE key'],
      ['notakey.txt', 'is not an ASCII-armored OpenPGP public key'],
    ]) {
      write(key!);
      const error = await loadCluster(file, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`${file}:10:14: spec.engine.repoKey: `);
      expect((error as Error).message).toContain(reason);
    }
  });

  it('resolves relative paths against the file, not the working directory', async () => {
    const file = join(dir, 'site', 'cluster.yaml');
    writeFileSync(
      file,
      `apiVersion: eectl/v1
kind: Cluster
metadata: { name: site }
spec:
  hosts:
    - { address: 10.0.0.1, role: manager, ssh: { keyPath: keys/id } }
  images: { bundles: [../images.tar] }
`,
    );
    mkdirSync(join(dir, 'site', 'keys'), { recursive: true });
    writeFileSync(join(dir, 'site', 'keys', 'id'), 'not a key, but a readable file\n');
    writeFileSync(join(dir, 'images.tar'), 'not an archive, but a readable file\n');
    const loaded = await loadCluster(file, {});
    expect(loaded.path).toBe(file);
    expect(loaded.config.spec.hosts[0]?.ssh.keyPath).toBe(join(dir, 'site', 'keys', 'id'));
    expect(loaded.config.spec.images.bundles).toEqual([join(dir, 'images.tar')]);
    expect(loaded.warnings.map((w) => w.message)).toEqual([
      '1 manager: no fault tolerance: lose it and the cluster cannot be managed',
    ]);
  });

  it('throws one ConfigError (exit 2) listing every error line', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: x }\nspec:\n  hosts:\n    - { address: a, role: worker, port: 22 }\n',
    );
    const error = await loadCluster(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.code).toBe('ECONFIG');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      `${file} has 2 errors:\n` +
        `${file}:6:5: spec.hosts: no manager: at least one host needs role: manager (3 managers tolerate 1 failure)\n` +
        `${file}:6:35: spec.hosts[0]: unknown key "port" (expected one of address, role, ssh, localhost, privateAddress, labels, collection, files, proxy)`,
    );
    expect(e.errors).toHaveLength(2);
  });

  it('says when the file cannot be read, and how to make one', async () => {
    const error = (await checkClusterFile(join(dir, 'none.yaml')).catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toBe(`cannot read ${join(dir, 'none.yaml')}: no such file`);
    expect(error.suggestions[0]).toContain('eectl init');
  });
});
