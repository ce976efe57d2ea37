import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { createCa, issueClientCert } from '../../../src/lib/pki/certificates.js';
import { Scratch } from '../ssh/fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const NOBODY = 65534;

// The built CLI on this machine's own trouble: a port another program holds, an address this machine
// lacks, a directory it may not write, a program that is not installed. Each is an error that says what
// happened and what to do, with the exit code of its class, and never "a bug in eectl".
describe('errors of the environment, as the CLI reports them', () => {
  const scratch = new Scratch();
  const home = scratch.path('home');
  const bundle = scratch.path('bundle');
  let clusterFile: string;
  let holder: net.Server;
  let port: number;
  const env = () => ({ HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' });

  beforeAll(async () => {
    chmodSync(scratch.dir, 0o755);
    mkdirSync(home, { recursive: true });
    mkdirSync(bundle, { recursive: true });
    const ca = await createCa('test');
    const client = await issueClientCert(ca, 'admin');
    writeFileSync(join(bundle, 'ca.pem'), ca.certPem);
    writeFileSync(join(bundle, 'cert.pem'), client.certPem);
    writeFileSync(join(bundle, 'key.pem'), client.keyPem);
    clusterFile = scratch.file(
      'cluster.yaml',
      'apiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  hosts:\n    - { address: local, role: manager, localhost: true }\n',
      0o644,
    );
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    holder.close();
    scratch.remove();
  });

  it('dashboard --port on a port another program holds: exit 2, says so, suggests --port 0', async () => {
    const r = await runEectl(['dashboard', '-c', clusterFile, '--bundle', bundle, '--port', String(port)], {
      env: env(),
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `Error [EPORT_IN_USE] --port ${port}: another program is listening on 127.0.0.1:${port}`,
    );
    expect(r.stderr).toContain('Run it with --port 0');
    expect(r.stderr).not.toMatch(/bug|EINTERNAL/);

    const json = await runEectl(
      ['dashboard', '-c', clusterFile, '--bundle', bundle, '--port', String(port), '--json'],
      { env: env(), timeoutMs: 60_000 },
    );
    expect(json.code).toBe(2);
    expect(json.json).toMatchObject({ status: 2, error: { code: 'EPORT_IN_USE' } });
  });

  it('dashboard --listen on an address this machine lacks: exit 2, naming the flag', async () => {
    const r = await runEectl(
      ['dashboard', '-c', clusterFile, '--bundle', bundle, '--listen', '192.0.2.77', '--json'],
      { env: env(), timeoutMs: 60_000 },
    );
    expect(r.code).toBe(2);
    expect(r.json?.error).toMatchObject({
      code: 'EADDRESS',
      message: '--listen 192.0.2.77: not an address of this machine',
    });
  });

  it('a file it may not write: exit 2, naming the file; a log directory it may not write costs only the log', async () => {
    const locked = scratch.path('locked');
    mkdirSync(locked, { mode: 0o755 });
    const asNobody = (args: string[]) =>
      execa(process.execPath, [`${root}bin/run.js`, ...args], {
        uid: NOBODY,
        gid: NOBODY,
        reject: false,
        stdin: 'ignore',
        cwd: scratch.dir,
        env: { NO_COLOR: '1', HOME: locked, EECTL_HOME: join(locked, '.eectl'), PATH: process.env.PATH },
        extendEnv: false,
      });
    const out = join(locked, 'cluster.yaml');
    const init = await asNobody([
      'init',
      '--manager',
      '10.0.0.11',
      '--ssh-user',
      'ops',
      '--name',
      'lab',
      '--out',
      out,
    ]);
    expect(init.exitCode).toBe(2);
    expect(init.stderr).toContain(
      `Error [ELOCAL_PERMISSION] cannot open ${out}: permission denied for this user`,
    );
    expect(init.stderr).not.toMatch(/bug|EINTERNAL/);

    // access check reads only the file (no spec.access): it answers although ~/.eectl cannot be written.
    const check = await asNobody([
      'access',
      'check',
      '-c',
      clusterFile,
      '--user',
      'dev',
      '--method',
      'GET',
      '--path',
      '/v1.41/info',
    ]);
    expect(check.stderr).toContain(
      `warn: no log file for this run: cannot create the directory ${join(locked, '.eectl', 'lab', 'logs')}: permission denied for this user`,
    );
    expect(check.stderr).toContain('EECTL_HOME');
    expect(check.exitCode, check.stderr).toBe(0);
  });

  it('access check without spec.access: "allowed, access control is off", exit 0, text and --json', async () => {
    const args = [
      'access',
      'check',
      '-c',
      clusterFile,
      '--user',
      'dev',
      '--method',
      'POST',
      '--path',
      '/v1.41/services/create',
    ];
    const text = await runEectl(args, { env: env() });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('ALLOW  dev: POST /v1.41/services/create');
    expect(text.stdout).toContain('reason:   access control is off');
    expect(text.stdout).toContain('decided from the cluster file');
    const json = await runEectl([...args, '--json'], { env: env() });
    expect(json.code).toBe(0);
    expect(json.json).toMatchObject({
      status: 0,
      result: { allow: true, user: 'dev', host: '', method: 'POST' },
    });
  });

  it('a sandbox command without the docker program: says it is missing and how to install it', async () => {
    const r = await runEectl(['sandbox', 'ls', '--json'], {
      env: { ...env(), PATH: scratch.path('no-bin') },
    });
    expect(r.code).toBe(1);
    expect(r.json?.error).toMatchObject({
      code: 'ENOTFOUND',
      message: 'the docker command is not installed on this machine',
    });
    expect((r.json?.error as unknown as { suggestions: string[] }).suggestions).toContain(
      'apt-get install docker.io',
    );
  });
});
