import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { Scratch } from '../ssh/fixtures.js';

// `describe hosts` and `exec` as users run them: the built CLI, a cluster file, a real SSH server that
// runs commands on this machine, and the host-key policy of the flags.
describe('eectl describe hosts / exec against a real SSH server', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  let server: TestSshServer;
  let clusterFile: string;
  const home = scratch.path('home');
  const knownHosts = join(home, '.eectl', 'lab', 'known_hosts');
  const env = () => ({ HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' });

  beforeAll(async () => {
    server = await TestSshServer.start({ authorizedKeys: [key.public] });
    mkdirSync(home, { recursive: true });
    const keyPath = scratch.file('id_ed25519', key.private);
    clusterFile = scratch.file(
      'cluster.yaml',
      `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  hosts:
    - address: ${server.host}
      role: manager
      ssh: { user: root, port: ${server.port}, keyPath: ${keyPath} }
    - address: local
      role: worker
      localhost: true
`,
    );
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  it('refuses a host key it has never seen, naming the fingerprint and the flag to accept it', async () => {
    rmSync(knownHosts, { force: true });
    const r = await runEectl(['describe', 'hosts', '-c', clusterFile, '--json'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.json?.error?.code).toBe('EHOSTKEY_UNKNOWN');
    const rows = (
      r.json?.result as {
        hosts: { address: string; ok: boolean; error?: { code: string; message: string } }[];
      }
    ).hosts;
    const ssh = rows.find((x) => x.address === server.host)!;
    expect(ssh.ok).toBe(false);
    expect(ssh.error?.code).toBe('EHOSTKEY_UNKNOWN');
    expect(ssh.error?.message).toMatch(/SHA256:/);
    expect(rows.find((x) => x.address === 'local')?.ok).toBe(true);
    expect(existsSync(knownHosts)).toBe(false);
  });

  it('with --accept-new-host-keys records the key and returns every host’s facts', async () => {
    const r = await runEectl(['describe', 'hosts', '-c', clusterFile, '--json', '--accept-new-host-keys'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toContain(server.hostPublicKey);
    const rows = (
      r.json?.result as { hosts: { address: string; ok: boolean; facts: Record<string, unknown> }[] }
    ).hosts;
    for (const row of rows) {
      expect(row.ok).toBe(true);
      expect(row.facts).toMatchObject({ hostname: hostname(), os: { id: 'debian' }, isRoot: true });
      expect(row.facts.cpus).toBeGreaterThan(0);
    }
    // Now known: no flag needed, and the table names both hosts.
    const table = await runEectl(['describe', 'hosts', '-c', clusterFile], { env: env() });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^HOST\s+ROLE\s+HOSTNAME\s+OS/);
    expect(table.stdout).toContain(`${server.host}  manager`);
  });

  it('refuses a changed host key, naming the line to remove', async () => {
    const saved = readFileSync(knownHosts, 'utf8');
    const other = generateKeyPair().public.split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[${server.host}]:${server.port} ${other}\n`);
    try {
      const r = await runEectl(['describe', 'hosts', '-c', clusterFile, '--json', '--accept-new-host-keys'], {
        env: env(),
      });
      expect(r.code).toBe(1);
      const rows = (
        r.json?.result as { hosts: { address: string; error?: { code: string; message: string } }[] }
      ).hosts;
      const row = rows.find((x) => x.address === server.host)!;
      expect(row.error?.code).toBe('EHOSTKEY_CHANGED');
      expect(row.error?.message).toContain(`${knownHosts}:1`);
    } finally {
      writeFileSync(knownHosts, saved);
    }
  });

  it('exec runs on every host in parallel, prefixes lines with the host, and fails when a host fails', async () => {
    const ok = await runEectl(['exec', '-c', clusterFile, '--', 'echo out-$((40+2)); echo err >&2'], {
      env: env(),
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.split('\n').sort()).toEqual(
      [`${server.host} | out-42`, `local${' '.repeat(server.host.length - 5)} | out-42`].sort(),
    );
    expect(ok.stderr).toContain('| err');

    const failed = await runEectl(
      ['exec', '-c', clusterFile, '--json', '--role', 'manager', '--', 'exit 3'],
      {
        env: env(),
      },
    );
    expect(failed.code).toBe(1);
    expect(failed.json?.error).toMatchObject({
      code: 'EEXEC',
      message: `the command failed on 1 of 1 hosts:\n  ${server.host}: exited 3`,
    });
    expect(failed.json?.result).toEqual({ hosts: [{ host: server.host, code: 3, stdout: '', stderr: '' }] });

    // Without --json the failure is an error like any other: what failed where, after the hosts' output.
    const text = await runEectl(['exec', '-c', clusterFile, '--', 'echo before; exit 4'], { env: env() });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`Error [EEXEC] the command failed on 2 of 2 hosts:`);
    expect(text.stderr).toMatch(/ {2}(local|[\d.]+): exited 4/);
  });
});
