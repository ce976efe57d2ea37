import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { Scratch } from '../ssh/fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** This environment without npm's own variables (npm test sets npm_config_*, which would steer the npm below). */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

// The README's way onto a machine without the clone: `npm pack`, then `npm install -g` of the tarball into
// an empty prefix, and eectl from that prefix's bin on PATH, on the Node 22 the package brings (whatever
// `node` the machine has). Packs the dist/ this run built (no second build under the other tests' feet);
// npm prefers its cache, which `npm ci` filled. Bounded: a few minutes at most.
describe('the packed tarball, installed with npm install -g', () => {
  const scratch = new Scratch();
  afterAll(() => scratch.remove());

  it('puts eectl on PATH: --version on Node 22, config validate of an example', async () => {
    const packDir = scratch.path('pack');
    const prefix = scratch.path('prefix');
    const home = scratch.path('home');
    for (const d of [packDir, prefix, home]) mkdirSync(d, { recursive: true });
    const npmEnv = cleanEnv({ HOME: home, npm_config_cache: join(process.env.HOME ?? '/root', '.npm') });
    const npm = (args: string[], cwd: string) =>
      execa('npm', args, { cwd, env: npmEnv, extendEnv: false, reject: false, timeout: 240_000 });

    const pack = await npm(['pack', '--ignore-scripts', '--pack-destination', packDir], root);
    expect(pack.exitCode, String(pack.stderr)).toBe(0);
    const [tarball] = readdirSync(packDir).filter((f) => /^eectl-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();

    const install = await npm(
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`],
      packDir,
    );
    expect(install.exitCode, `${install.stdout}\n${install.stderr}`).toBe(0);

    // A user's shell on this machine: the prefix's bin, then the system's own (with its older node).
    const work = scratch.path('work');
    mkdirSync(work);
    copyFileSync(join(root, 'examples', 'access.yaml'), join(work, 'cluster.yaml'));
    const eectl = (args: string[]) =>
      execa('eectl', args, {
        cwd: work,
        env: { PATH: `${prefix}/bin:/usr/local/bin:/usr/bin:/bin`, HOME: home, NO_COLOR: '1' },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      });

    const version = await eectl(['--version']);
    expect(version.exitCode, String(version.stderr)).toBe(0);
    expect(String(version.stdout)).toMatch(/^eectl\/\S+ linux-\S+ node-v2[2-9]\./);
    expect(String(version.stderr)).toBe('');

    const validate = await eectl(['config', 'validate']);
    expect(validate.exitCode, String(validate.stderr)).toBe(0);
    expect(String(validate.stdout)).toContain('cluster.yaml: valid');
    const json = await eectl(['config', 'validate', '--json']);
    expect(JSON.parse(String(json.stdout))).toMatchObject({ status: 0, result: { valid: true } });
  }, 480_000);
});
