import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/lib/config/load.js';
import { eectl } from './cli.js';

describe('eectl init without a terminal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-init-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every missing flag and exits 2, writing nothing', async () => {
    const { code, stderr } = await eectl(['init', '--engine-source', 'mirror'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('missing --name, --manager, --repo-url');
    expect(() => readFileSync(join(dir, 'cluster.yaml'))).toThrow(/ENOENT/);
  });

  it('writes a file from flags that loads and validates', async () => {
    const flags = [
      '--name',
      'prod',
      '--manager',
      '10.0.0.1',
      '--manager',
      '10.0.0.2',
      '--manager',
      '10.0.0.3',
    ];
    const more = [
      '--worker',
      '10.0.0.21',
      '--registry',
      '10.0.0.31',
      '--ssh-user',
      'ops',
      '--ssh-key',
      'keys/id',
    ];
    const { code, stdout, stderr } = await eectl(['init', ...flags, ...more, '--engine-version', '26.1'], {
      cwd: dir,
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Wrote cluster.yaml (5 hosts), and schema/cluster.schema.json for editors.');
    // The key is not there yet: init writes the file and says so at once, with the path validate will read.
    expect(stderr).toContain(`SSH key keys/id (${join(dir, 'keys/id')}) does not exist`);
    // Loading checks that the SSH key named exists and can be read.
    mkdirSync(join(dir, 'keys'), { recursive: true });
    writeFileSync(join(dir, 'keys', 'id'), 'a key\n');
    const loaded = await loadCluster(join(dir, 'cluster.yaml'), {});
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.metadata.name).toBe('prod');
    expect(loaded.config.spec.hosts.map((h) => h.role)).toEqual([
      'manager',
      'manager',
      'manager',
      'worker',
      'registry',
    ]);
    expect(loaded.config.spec.hosts[0]?.ssh).toEqual({ user: 'ops', keyPath: join(dir, 'keys/id') });
    expect(loaded.config.spec.engine.version).toBe('26.1');
    const validate = await eectl(['config', 'validate'], { cwd: dir });
    expect(validate).toMatchObject({ code: 0, stdout: 'cluster.yaml: valid' });
  });

  it('writes to --out, and to the --config path by default', async () => {
    expect(
      (await eectl(['init', '--name', 'a', '--manager', 'm', '--out', 'sub/a.yaml'], { cwd: dir })).code,
    ).toBe(0);
    expect((await eectl(['init', '--name', 'b', '--manager', 'm', '-c', 'b.yaml'], { cwd: dir })).code).toBe(
      0,
    );
    expect(readFileSync(join(dir, 'sub/a.yaml'), 'utf8')).toContain('name: a');
    expect(readFileSync(join(dir, 'b.yaml'), 'utf8')).toContain('name: b');
  });

  it('refuses to overwrite an existing file unless --force', async () => {
    writeFileSync(join(dir, 'cluster.yaml'), 'mine\n');
    const refused = await eectl(['init', '--name', 'p', '--manager', '10.0.0.1'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cluster.yaml exists: init does not overwrite it');
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toBe('mine\n');
    const forced = await eectl(['init', '--name', 'p', '--manager', '10.0.0.1', '--force', '--json'], {
      cwd: dir,
    });
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({
      status: 0,
      result: { path: 'cluster.yaml', hosts: 1, schema: 'schema/cluster.schema.json', warnings: [] },
    });
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toContain('name: p');
  });

  it('writes the schema the first line names beside the file: the committed schema, byte for byte, so editors need no network', async () => {
    const committed = readFileSync(new URL('../../../schema/cluster.schema.json', import.meta.url), 'utf8');
    expect(
      (await eectl(['init', '--name', 'a', '--manager', 'm', '--out', 'sub/a.yaml'], { cwd: dir })).code,
    ).toBe(0);
    const first = readFileSync(join(dir, 'sub/a.yaml'), 'utf8').split('\n')[0]!;
    const ref = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
    expect(ref).toBe('./schema/cluster.schema.json');
    // Resolved as yaml-language-server resolves it: relative to the YAML file.
    expect(readFileSync(join(dir, 'sub', ref!), 'utf8')).toBe(committed);
    // Another eectl's schema there is brought up to date; a second file in the same folder shares it.
    writeFileSync(join(dir, 'sub/schema/cluster.schema.json'), '{"title": "eectl cluster file"}\n');
    expect(
      (await eectl(['init', '--name', 'b', '--manager', 'm', '--out', 'sub/b.yaml'], { cwd: dir })).code,
    ).toBe(0);
    expect(readFileSync(join(dir, 'sub/schema/cluster.schema.json'), 'utf8')).toBe(committed);
  });

  it('leaves a file of another kind at schema/cluster.schema.json alone: exit 2, nothing written, unless --force', async () => {
    mkdirSync(join(dir, 'schema'));
    writeFileSync(join(dir, 'schema/cluster.schema.json'), '{"title": "my own"}\n');
    const refused = await eectl(['init', '--name', 'p', '--manager', '10.0.0.1', '--json'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).error.message).toMatch(
      /schema\/cluster\.schema\.json exists and is not eectl's cluster file schema/,
    );
    expect(() => readFileSync(join(dir, 'cluster.yaml'))).toThrow(/ENOENT/);
    expect(readFileSync(join(dir, 'schema/cluster.schema.json'), 'utf8')).toBe('{"title": "my own"}\n');
    const forced = await eectl(['init', '--name', 'p', '--manager', '10.0.0.1', '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'schema/cluster.schema.json'), 'utf8')).toContain('"eectl cluster file"');
  });

  it('refuses duplicate addresses and two registries without shared storage', async () => {
    const dup = await eectl(['init', '--name', 'p', '--manager', 'h1', '--worker', 'h1'], { cwd: dir });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('--worker: h1 is given twice: each host has one role');
    const regs = await eectl(
      ['init', '--name', 'p', '--manager', 'm', '--registry', 'r1', '--registry', 'r2'],
      { cwd: dir },
    );
    expect(regs.code).toBe(2);
    expect(regs.stderr).toContain('missing --registry-path');
  });
});
