import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** PATH without the clone's node_modules/.bin: the machine's own node and npm, as a user's shell has them. */
const machinePath = (process.env.PATH ?? '')
  .split(':')
  .filter((d) => !d.includes('node_modules'))
  .join(':');

/** The machine's own `node` when it is older than 22 (the CI machine's is 20), else undefined. */
function olderNode(): string | undefined {
  try {
    const path = execFileSync('sh', ['-c', 'command -v node'], {
      env: { PATH: machinePath },
      encoding: 'utf8',
    }).trim();
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return Number(/^v(\d+)/.exec(version)?.[1]) < 22 ? path : undefined;
  } catch {
    return undefined;
  }
}

const old = olderNode();

describe('eectl on an unsupported Node', () => {
  it.skipIf(old === undefined)(
    'exits 2 before loading anything, naming both versions and the way out',
    async () => {
      const r = await execa(old!, [`${root}bin/run.js`, 'status', '-c', 'missing.yaml'], {
        reject: false,
        env: { NO_COLOR: '1' },
      });
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^Error \[ENODE_VERSION\] eectl needs Node\.js 22 or later; this is Node\.js 2?\d\./,
      );
      expect(r.stderr).toContain(`${root}node_modules/.bin/node ${root}bin/run.js status -c missing.yaml`);
      // Nothing else ran: no oclif, no cluster file read.
      expect(r.stderr).not.toContain('missing.yaml:');
      expect(r.stderr.trim().split('\n')).toHaveLength(4);
    },
  );

  it.skipIf(old === undefined)('under --json, the error envelope on stdout', async () => {
    const r = await execa(old!, [`${root}bin/run.js`, 'config', 'validate', '--json'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 2, error: { code: 'ENODE_VERSION' } });
  });

  it('runs on the Node the tests run on (22) with nothing on stderr', async () => {
    const r = await execa(process.execPath, [`${root}bin/run.js`, '--version'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^eectl\/\S+ \S+ node-v2[2-9]\./);
    expect(r.stderr).toBe('');
  });

  it('bin/eectl, linked onto PATH, runs on the clone’s Node 22 whatever node the PATH has, with nothing on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eectl-path-'));
    try {
      symlinkSync(`${root}bin/eectl`, join(dir, 'eectl'));
      const r = await execa('eectl', ['--version'], {
        cwd: dir,
        reject: false,
        env: { PATH: `${dir}:${machinePath}` },
        extendEnv: false,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/node-v2[2-9]\./);
      expect(r.stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
