import { describe, expect, it } from 'vitest';
import { runEectl } from '../helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

// What the sandbox mirror offers: bookworm's docker.io (the file's 20.10) and trixie's 26.1.
const OLD_DAEMON = '20.10.24';
const NEW_DAEMON = '26.1.5';

interface Change {
  host: string;
  description: string;
  applied: boolean;
}

interface ErrorJson {
  code: string;
  message: string;
  suggestions?: string[];
}

describe('per-host control: upgrade --hosts, install --exclude (1 manager + 2 workers on engine 20.10)', () => {
  const sandbox = useSandbox({ name: 'hosts', managers: 1, workers: 2 });
  const all = ['m1', 'w1', 'w2'];
  const address = (h: string) => sandbox.host(h).address;
  const file = () => sandbox.clusterFile;
  const eectl = (...args: string[]) => runEectl([...args, '-c', file(), '--json'], { timeoutMs: 1_500_000 });

  /** Each engine's start (systemd's ActiveEnterTimestampMonotonic) and main pid, by host: a restart changes both. */
  const engines = async (hosts: readonly string[]) =>
    Object.fromEntries(
      await Promise.all(
        hosts.map(async (h) => {
          const r = await sandbox.exec(
            h,
            'systemctl show docker -p ActiveEnterTimestampMonotonic -p MainPID --value | paste -sd " "; ' +
              "docker version --format '{{.Server.Version}}'",
            { check: true },
          );
          return [h, r.stdout.trim()] as const;
        }),
      ),
    );

  it('installs engine 20.10 on every host', async () => {
    const r = await eectl('install');
    expect(r.code, r.stderr).toBe(0);
    for (const [h, e] of Object.entries(await engines(all))) expect(e, h).toContain(OLD_DAEMON);
  }, 1_200_000);

  it('upgrade --to 26.1 --hosts w1 upgrades w1 only: the others keep their engine, not even restarted', async () => {
    const before = await engines(all);
    const r = await eectl('upgrade', '--to', '26.1', '--hosts', address('w1'), '--yes', '--no-backup');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.json?.result as {
      plan: {
        hosts: { host: string; changes: boolean; selected?: boolean }[];
        selection?: { excluded: string[]; notSelected: string[] };
      };
      rolling: { hosts: { host: string }[] };
      changes: Change[];
    };
    expect(result.rolling.hosts.map((h) => h.host)).toEqual([address('w1')]);
    expect(result.plan.selection?.notSelected.sort()).toEqual([address('m1'), address('w2')].sort());
    expect(result.plan.hosts.filter((h) => h.changes).map((h) => h.host)).toEqual([address('w1')]);
    // No change was made on w2 (the manager runs the swarm commands of w1's turn: drain, activate).
    expect(result.changes.filter((c) => c.host === address('w2'))).toEqual([]);
    const after = await engines(all);
    expect(after.w1).toContain(NEW_DAEMON);
    expect(after.w1).not.toBe(before.w1);
    expect(after.m1, 'm1: same start, pid and version').toBe(before.m1);
    expect(after.w2, 'w2: same start, pid and version').toBe(before.w2);
  }, 1_500_000);

  it('status with mixed engine versions mid-upgrade: healthy (exit 0), the drift a warning', async () => {
    const r = await eectl('status');
    expect(r.code, r.stdout).toBe(0);
    const result = r.json?.result as { health: string; warnings: string[] };
    expect(result.health).toBe('healthy');
    expect(result.warnings.join('\n')).toMatch(/runs engine/);
  });

  it('with w2 stopped, install refuses (exit 3, nothing changed) and suggests --exclude naming w2', async () => {
    await sandbox.stop('w2');
    const r = await eectl('install');
    expect(r.code, r.stdout).toBe(3);
    const error = r.json?.error as ErrorJson;
    expect(error.message).toContain(address('w2'));
    expect(error.message).toContain('nothing was changed');
    expect(error.suggestions?.join('\n')).toContain(`eectl install --exclude ${address('w2')}`);
  }, 600_000);

  it('install --exclude w2 converges the others (a label taken off w1 is put back), names w2, and leaves its node alone', async () => {
    const nodeOf = async (h: string) =>
      JSON.parse(
        (
          await sandbox.exec('m1', `docker node inspect --format '{{json .Spec}}' "$1"`, {
            check: true,
            args: [h],
          })
        ).stdout,
      ) as { Role: string; Availability: string; Labels: Record<string, string> };
    await sandbox.exec('m1', 'docker node update --label-rm eectl.address w1', { check: true });
    const w2Before = await nodeOf('w2');
    const before = await engines(['m1']);

    const r = await eectl('install', '--exclude', address('w2'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.json?.result as { excluded?: string[]; warnings: string[]; changes: Change[] };
    expect(result.excluded).toEqual([address('w2')]);
    expect(result.warnings.join('\n')).toContain(`not contacted and not changed: ${address('w2')}`);
    expect(result.changes.filter((c) => c.host === address('w2'))).toEqual([]);
    expect(
      result.changes.some((c) => c.host === address('w1') && c.description.startsWith('label node')),
    ).toBe(true);
    expect((await nodeOf('w1')).Labels['eectl.address']).toBe(address('w1'));
    // w2 is still a node of the swarm, with its role, availability and labels as they were.
    expect(await nodeOf('w2')).toEqual(w2Before);
    expect(await engines(['m1'])).toEqual(before);
  }, 1_200_000);
});
