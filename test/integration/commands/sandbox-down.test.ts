import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eectl } from './cli.js';

// `eectl sandbox down` as built, in a fake HOME (its ~/.eectl and the docker CLI's ~/.docker): the real
// docker CLI makes and lists the contexts. A sandbox name no engine object carries, so the outer engine's
// containers, volumes and networks are only listed (none match), never touched.

/** The docker CLI with an engine that answers: down checks the engine first. */
const engine = (() => {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      stdio: 'pipe',
      timeout: 20_000,
    });
    return true;
  } catch {
    return false;
  }
})();

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

const name = `itdown${process.pid}`;

function fakeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'eectl-down-'));
  homes.push(home);
  const state = join(home, '.eectl', name);
  mkdirSync(join(state, 'pki'), { recursive: true });
  mkdirSync(join(state, 'backups'), { recursive: true });
  writeFileSync(join(state, 'pki', 'ca-key.pem'), 'key');
  writeFileSync(join(state, 'backups', `${name}-backup-1.tar.age`), 'archive');
  const docker = (...args: string[]) =>
    execFileSync('docker', args, {
      env: { ...process.env, HOME: home, DOCKER_CONFIG: join(home, '.docker') },
    });
  docker(
    'context',
    'create',
    `eectl-${name}-admin`,
    '--description',
    `eectl ${name} (admin)`,
    '--docker',
    'host=tcp://10.77.250.11:2376',
  );
  docker(
    'context',
    'create',
    `eectl-${name}-x-admin`,
    '--description',
    `eectl ${name}-x (admin)`,
    '--docker',
    'host=tcp://10.77.251.11:2376',
  );
  return home;
}

const contexts = (home: string): string[] =>
  execFileSync('docker', ['context', 'ls', '--format', '{{.Name}}'], {
    env: { ...process.env, HOME: home, DOCKER_CONFIG: join(home, '.docker') },
  })
    .toString()
    .split('\n')
    .filter(Boolean);

const run = (home: string, ...args: string[]) =>
  eectl(['sandbox', 'down', '--name', name, '--json', ...args], {
    cwd: home,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DOCKER_CONFIG: join(home, '.docker'),
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    },
  });

describe.skipIf(!engine)('eectl sandbox down (real docker CLI, fake HOME)', () => {
  it("removes the sandbox's docker contexts and ~/.eectl/<name>, listing what it held", async () => {
    const home = fakeHome();
    const r = await run(home);
    expect(r.code, r.stderr).toBe(0);
    const removed = (JSON.parse(r.stdout) as { result: { removed: Record<string, unknown>[] } }).result
      .removed[0];
    expect(removed?.contexts).toEqual([`eectl-${name}-admin`]);
    expect(removed?.clusterState).toEqual({
      dir: join(home, '.eectl', name),
      entries: ['backups/ (1 file)', 'pki/ (the cluster CA and its key)'],
      kept: false,
    });
    expect(existsSync(join(home, '.eectl', name))).toBe(false);
    expect(contexts(home)).toContain(`eectl-${name}-x-admin`);
    expect(contexts(home)).not.toContain(`eectl-${name}-admin`);
  });

  it('--keep-state keeps ~/.eectl/<name>', async () => {
    const home = fakeHome();
    const r = await run(home, '--keep-state');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(home, '.eectl', name, 'backups', `${name}-backup-1.tar.age`))).toBe(true);
    expect(contexts(home)).not.toContain(`eectl-${name}-admin`);
  });
});
