import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { InstallResult } from '../../src/lib/results/install.js';
import { runEectl } from '../helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

// spec.hooks on real hosts: each hook appends what it was told (its environment) and what it saw on the
// host to a file there, which the test reads back. One manager and one worker; the rolling turn is
// install's own, from a changed engine.daemon (cheaper than an upgrade: no second engine version).

const LOG = '/var/tmp/eectl-hooks.log';
/** What every recording hook appends: stage, host, role, node name, user, swarm state, dockerd's PID, time. */
const RECORD = String.raw`state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo no-engine)
pid=$(systemctl show -p MainPID --value docker 2>/dev/null || echo 0)
echo "$EECTL_ACTION.$EECTL_STAGE $EECTL_HOST $EECTL_ROLE $EECTL_HOSTNAME $(id -un) $state pid=$pid t=$(date +%s%N)" >> ${LOG}`;
const DAEMON = { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m' } };

interface Line {
  stage: string;
  host: string;
  role: string;
  hostname: string;
  user: string;
  state: string;
  pid: string;
  t: bigint;
}

describe('spec.hooks: 1 manager, 1 worker', () => {
  const sandbox = useSandbox({ name: 'hooks', managers: 1, workers: 1 });
  const m1 = () => sandbox.host('m1');
  const w1 = () => sandbox.host('w1');

  /** The sandbox's cluster file with hooks (and optionally more), written next to it. */
  function file(name: string, extra: { daemon?: boolean; failing?: boolean } = {}): string {
    const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'hooks'], {
      install: {
        before: [
          { name: 'record', run: RECORD },
          { name: 'as-login-user', roles: ['worker'], sudo: false, run: 'id -un > /tmp/eectl-hook-user' },
          ...(extra.failing
            ? [
                {
                  name: 'check-disk',
                  hosts: [w1().address],
                  timeoutSeconds: 20,
                  run: 'echo "checking /data"\necho "disk check failed: /data is not mounted" >&2\nexit 3',
                },
              ]
            : []),
        ],
        after: [{ name: 'record', run: RECORD }],
        beforeTurn: [{ run: RECORD }],
        afterTurn: [{ run: RECORD }],
      },
    });
    if (extra.daemon) doc.setIn(['spec', 'engine', 'daemon'], DAEMON);
    const path = join(dirname(sandbox.clusterFile), name);
    writeFileSync(path, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
    return path;
  }

  async function lines(host: string): Promise<Line[]> {
    const r = await sandbox.exec(host, `cat ${LOG} 2>/dev/null || true`);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [stage, h, role, hostname, user, state, pid, t] = l.split(' ');
        return {
          stage: stage!,
          host: h!,
          role: role!,
          hostname: hostname!,
          user: user!,
          state: state!,
          pid: pid!.slice(4),
          t: BigInt(t!.slice(2)),
        };
      });
  }
  const brief = (l: Line) => `${l.stage} ${l.host} ${l.role} ${l.hostname} ${l.user} ${l.state}`;
  const daemonJson = async (host: string) =>
    (await sandbox.exec(host, 'cat /etc/docker/daemon.json 2>/dev/null || echo none')).stdout;
  const dockerdPid = async (host: string) =>
    (await sandbox.exec(host, 'systemctl show -p MainPID --value docker')).stdout.trim();

  it('--dry-run lists the hooks and runs none', async () => {
    const r = await runEectl(['install', '-c', file('dry.yaml'), '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as InstallResult;
    expect(result.hooks.every((h) => !h.ran)).toBe(true);
    expect(result.hooks.map((h) => `${h.hook} ${h.host}`).sort()).toEqual(
      [
        `spec.hooks.install.after[0] ${m1().address}`,
        `spec.hooks.install.after[0] ${w1().address}`,
        `spec.hooks.install.before[0] ${m1().address}`,
        `spec.hooks.install.before[0] ${w1().address}`,
        `spec.hooks.install.before[1] ${w1().address}`,
      ].sort(),
    );
    for (const h of ['m1', 'w1']) expect(await lines(h)).toEqual([]);
  });

  it('install runs the before hooks before any change and the after hooks at the end, in order, with the host in their environment', async () => {
    const r = await runEectl(['install', '-c', file('hooks.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as InstallResult;
    expect((await lines('m1')).map(brief)).toEqual([
      `install.before ${m1().address} manager m1 root no-engine`,
      `install.after ${m1().address} manager m1 root active`,
    ]);
    expect((await lines('w1')).map(brief)).toEqual([
      `install.before ${w1().address} worker w1 root no-engine`,
      `install.after ${w1().address} worker w1 root active`,
    ]);
    // sudo: false runs as the login user (the sandbox's workers log in as a sudo user).
    expect((await sandbox.exec('w1', 'cat /tmp/eectl-hook-user')).stdout.trim()).toBe(w1().user);
    expect(w1().user).not.toBe('root');
    // --json: every hook with its host, exit code and seconds, in the order they ran.
    expect(result.hooks).toHaveLength(5);
    for (const h of result.hooks) {
      expect(h).toMatchObject({ ran: true, exitCode: 0, action: 'install' });
      expect(h.seconds).toBeGreaterThanOrEqual(0);
    }
    expect(result.hooks.slice(-2).map((h) => h.stage)).toEqual(['after', 'after']);
  });

  it('a failing before hook stops the run: nothing changed on any host, the hook, host, exit code and output named', async () => {
    const pids = { m1: await dockerdPid('m1'), w1: await dockerdPid('w1') };
    const before = { m1: await daemonJson('m1'), w1: await daemonJson('w1') };
    const seen = { m1: (await lines('m1')).length, w1: (await lines('w1')).length };

    const r = await runEectl([
      'install',
      '-c',
      file('failing.yaml', { daemon: true, failing: true }),
      '--json',
    ]);

    expect(r.code, r.stdout).toBe(3);
    const error = r.json?.error as { code: string; message: string; host?: string; log?: string };
    expect(error.code).toBe('EHOOK');
    expect(error.host).toBe(w1().address);
    expect(error.message).toContain(
      `${w1().address}: hook spec.hooks.install.before[2] (check-disk) exited 3`,
    );
    expect(error.message).toContain('disk check failed: /data is not mounted');
    // The hook's whole output is in the run log (the error shows its last lines).
    expect(readFileSync(error.log!, 'utf8')).toContain('checking /data');
    // The daemon.json change was not made, no engine restarted, no after hook ran.
    expect({ m1: await daemonJson('m1'), w1: await daemonJson('w1') }).toEqual(before);
    expect({ m1: await dockerdPid('m1'), w1: await dockerdPid('w1') }).toEqual(pids);
    expect((await lines('m1')).slice(seen.m1).map((l) => l.stage)).toEqual(['install.before']);
    expect((await lines('w1')).slice(seen.w1).map((l) => l.stage)).toEqual(['install.before']);
  });

  it('a rolling turn (a new daemon.json) runs beforeTurn before the host restarts and afterTurn after, one host at a time', async () => {
    const seen = { m1: (await lines('m1')).length, w1: (await lines('w1')).length };
    const r = await runEectl(['install', '-c', file('daemon.yaml', { daemon: true }), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(await daemonJson('w1'))).toMatchObject(DAEMON);

    const m = (await lines('m1')).slice(seen.m1);
    const w = (await lines('w1')).slice(seen.w1);
    expect(m.map((l) => l.stage)).toEqual([
      'install.before',
      'install.beforeTurn',
      'install.afterTurn',
      'install.after',
    ]);
    expect(w.map((l) => l.stage)).toEqual(m.map((l) => l.stage));
    // The engine restarted between the two turn hooks of each host: another dockerd answers after.
    for (const host of [m, w]) {
      expect(host[1]!.pid).toBe(host[0]!.pid);
      expect(host[2]!.pid).not.toBe(host[1]!.pid);
      expect(host[2]!.state).toBe('active');
    }
    // One host at a time: the manager's turn ended before the worker's began.
    expect(m[2]!.t).toBeLessThan(w[1]!.t);
    const result = r.json?.result as InstallResult;
    expect(result.hooks.filter((h) => h.stage === 'beforeTurn').map((h) => h.host)).toEqual([
      m1().address,
      w1().address,
    ]);
  });
});
