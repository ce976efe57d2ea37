import { describe, expect, it } from 'vitest';
import { runEectl, startEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

// What the sandbox mirror resolves engine.version "20.10" to.
const PINNED_PACKAGE = '20.10.24+dfsg1-1+deb12u1+b6';
const PINNED_DAEMON = '20.10.24+dfsg1';

interface InstallJson {
  converged: boolean;
  dryRun: boolean;
  changes: { host: string; description: string; applied: boolean }[];
  quorum?: { managers: number; reachable: number; description: string };
  seconds: number;
}

describe('eectl install: 3 managers + 2 workers from fresh hosts', () => {
  const sandbox = useSandbox({ name: 'e2e-install', managers: 3, workers: 2 });
  const install = (...extra: string[]) =>
    runEectl(['install', '-c', sandbox.clusterFile, '--json', ...extra]);

  it('describe hosts reads five Debian 12 hosts over real sshd: systemd, root or working sudo', async () => {
    const r = await runEectl(['describe', 'hosts', '-c', sandbox.clusterFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = (
      r.json?.result as { hosts: { address: string; ok: boolean; facts: Record<string, unknown> }[] }
    ).hosts;
    expect(rows.map((row) => row.address)).toEqual(sandbox.hosts.map((h) => h.address));
    for (const row of rows) {
      const host = sandbox.hosts.find((h) => h.address === row.address)!;
      expect(row.facts).toMatchObject({
        hostname: host.hostname,
        os: { id: 'debian', versionId: '12' },
        initSystem: 'systemd',
        packageManager: 'apt',
        user: host.user,
        isRoot: host.user === 'root',
        sudo: true,
        privateAddresses: [host.address],
      });
      expect(row.facts.engine, `${host.hostname} has no engine yet`).toBeUndefined();
    }
  });

  it('--dry-run lists what would change per host and changes nothing', async () => {
    const r = await install('--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as InstallJson;
    expect(result.dryRun).toBe(true);
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    expect(result.changes.map((c) => c.description)).toContain(
      `initialise the swarm, advertising ${sandbox.host('m1').address}`,
    );
    for (const h of sandbox.hosts) {
      const probe = await sandbox.exec(
        h,
        'command -v docker || test -e /etc/apt/sources.list.d/eectl-engine.list',
      );
      expect(probe.code, `${h.hostname} was changed by a dry run`).not.toBe(0);
    }
  });

  it('converges after a run killed half-way through', async () => {
    const killed = startEectl(['install', '-c', sandbox.clusterFile]);
    // Kill it once some host has the engine package and before the swarm is complete.
    await waitFor(
      'an engine package on some host',
      async () => {
        const r = await sandbox.exec('w2', "dpkg-query -W -f '${Status}' docker.io 2>/dev/null");
        return r.stdout.includes('installed');
      },
      300_000,
    );
    killed.kill('SIGKILL');
    await killed;
    const swarmBefore = await sandbox.exec('m1', 'docker node ls -q 2>/dev/null | wc -l');
    expect(Number(swarmBefore.stdout.trim() || 0)).toBeLessThan(5);

    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect((r.json?.result as InstallJson).quorum?.description).toBe(
      '3 managers, tolerates 1 failure, all reachable',
    );
  });

  it('forms the swarm: one Leader, two Reachable, two workers, all Ready, labelled', async () => {
    const r = await sandbox.exec(
      'm1',
      "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'",
      {
        check: true,
      },
    );
    const nodes = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .sort();
    expect(nodes).toEqual([
      'm1 Ready Leader',
      'm2 Ready Reachable',
      'm3 Ready Reachable',
      'w1 Ready',
      'w2 Ready',
    ]);
    const labels = await sandbox.exec(
      'm2',
      'docker node inspect --format \'{{.Description.Hostname}} {{index .Spec.Labels "eectl.role"}} {{index .Spec.Labels "eectl.managed"}}\' $(docker node ls -q)',
      { check: true },
    );
    expect(labels.stdout.split('\n').sort()).toEqual([
      'm1 manager true',
      'm2 manager true',
      'm3 manager true',
      'w1 worker true',
      'w2 worker true',
    ]);
  });

  it('runs exactly the pinned engine version on every host, package and daemon', async () => {
    for (const h of sandbox.hosts) {
      const r = await sandbox.exec(
        h,
        "dpkg-query -W -f '${Version}\\n' docker.io; docker version --format '{{.Server.Version}}'; apt-mark showhold",
        { check: true },
      );
      expect(r.stdout.split('\n'), h.hostname).toEqual([PINNED_PACKAGE, PINNED_DAEMON, 'docker.io']);
    }
  });

  it('changes nothing on a second run, and says so', async () => {
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as InstallJson;
    expect(result.changes).toEqual([]);
    expect(result.converged).toBe(true);
    console.log(`no-op install of 5 hosts: ${result.seconds}s`);
  });

  it('installed from the signed mirror: apt checks it with the key the cluster file names', async () => {
    for (const h of sandbox.hosts) {
      const list = await sandbox.exec(h, 'cat /etc/apt/sources.list.d/eectl-engine.list');
      expect(list.stdout, h.hostname).toContain('signed-by=/etc/apt/keyrings/eectl-engine-mirror.asc');
      expect(list.stdout, h.hostname).not.toContain('trusted=yes');
      // apt verified the mirror's InRelease with that key (a bad signature fails the update).
      const update = await sandbox.exec(
        h,
        'apt-get update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/eectl-engine.list -o Dir::Etc::sourceparts=- 2>&1',
      );
      expect(update.code, update.stdout).toBe(0);
      expect(update.stdout).not.toMatch(/NO_PUBKEY|not signed|insecure/i);
    }
  });

  it('two installs at once: exactly one proceeds, the other is refused with exit 5, every time', async () => {
    // A converged install holds the lock for well under a second, less than two processes started
    // together may be apart on a loaded machine: then both finish, one after the other, and the test
    // would see timing, not the lock. So the docker CLI on m1 (the lock host, whose facts every run reads
    // after taking the lock) waits 5 s for this test: whichever run takes the lock holds it that long.
    await sandbox.exec(
      'm1',
      'mv /usr/bin/docker /usr/bin/docker.real && printf \'#!/bin/sh\\nsleep 5\\nexec /usr/bin/docker.real "$@"\\n\' > /usr/bin/docker && chmod 755 /usr/bin/docker',
      { check: true },
    );
    try {
      for (let round = 0; round < 3; round++) {
        const runs = await Promise.all([install(), install()]);
        const codes = runs.map((r) => r.code).sort();
        expect(codes, runs.map((r) => r.stderr).join('\n')).toEqual([0, 5]);
        const refused = runs.find((r) => r.code === 5)!;
        expect(refused.json?.error?.code).toBe('ELOCKED');
      }
    } finally {
      await sandbox.exec('m1', 'mv /usr/bin/docker.real /usr/bin/docker', { check: true });
    }
  });

  it('still accepts services with the leader stopped', async () => {
    const image = await loadBusybox(sandbox, ['w1', 'w2']);
    await sandbox.stop('m1');
    try {
      // A new leader is elected within seconds; until then the managers answer "no leader".
      await waitFor(
        'a new leader among m2, m3',
        async () => {
          const r = await sandbox.exec(
            'm2',
            `docker service create --detach --name probe --replicas 2 --constraint node.role==worker ${image} /bin/busybox sleep 3600`,
          );
          return r.code === 0 || /already exists/.test(r.stderr);
        },
        60_000,
      );
      await waitFor(
        'two running probe tasks',
        async () => {
          const r = await sandbox.exec(
            'm3',
            "docker service ps probe --filter desired-state=running --format '{{.CurrentState}}'",
          );
          return r.stdout.split('\n').filter((l) => l.startsWith('Running')).length === 2;
        },
        60_000,
      );
    } finally {
      await sandbox.start('m1');
    }
    await waitFor(
      'm1 back as a reachable manager',
      async () => {
        const r = await sandbox.exec(
          'm2',
          "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'",
        );
        return /^m1 Ready (Reachable|Leader)$/m.test(r.stdout);
      },
      120_000,
    );
    const again = await install();
    expect(again.code, again.stderr).toBe(0);
    expect((again.json?.result as InstallJson).converged).toBe(true);
  });
});
