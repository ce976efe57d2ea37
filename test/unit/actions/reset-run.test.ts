import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { packagesWithHosts, reset } from '../../../src/lib/actions/reset.js';
import type { ClusterConfig } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError, type EectlError } from '../../../src/lib/errors.js';
import type { ResetResult } from '../../../src/lib/results/install.js';
import { renderResetSummary } from '../../../src/lib/ui/reset-summary.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { HOSTS, ScriptedCluster, clusterConfig, type JournalEntry } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The real RESET_PHASES, through the real runner, against scripted Debian 12 hosts that the real install
// left as it leaves them (3 managers, 1 worker; test/helpers/scripted-cluster.ts).

const M1 = '10.0.0.11';
const W1 = '10.0.0.21';
const MANAGERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

useTempEectlHome();

const options = (cluster: ScriptedCluster, config: ClusterConfig, dryRun: boolean) => ({
  config,
  session: cluster.session(),
  log: nullLogger,
  dryRun,
  concurrency: 8,
  progress: 'silent' as const,
});

/** A cluster the real install converged. */
async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster();
  await install(options(cluster, await clusterConfig(), false));
  return cluster;
}

async function runReset(
  cluster: ScriptedCluster,
  dryRun: boolean,
  config?: ClusterConfig,
): Promise<ResetResult> {
  return reset(options(cluster, config ?? (await clusterConfig()), dryRun));
}

async function failure(promise: Promise<unknown>): Promise<EectlError> {
  return promise.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );
}

const changesOn = (result: ResetResult, host: string) =>
  result.changes.filter((c) => c.host === host).map((c) => c.description);
const at = (entries: readonly JournalEntry[], host: string, pattern: RegExp) =>
  entries.findIndex((e) => e.host === host && pattern.test(e.line));
const lastAt = (entries: readonly JournalEntry[], host: string, pattern: RegExp) =>
  entries.findLastIndex((e) => e.host === host && pattern.test(e.line));
const release = /rm -rf "\$d"/;

const STOP = ['stop docker.socket', 'stop docker', 'stop containerd'];
const PURGE = 'purge docker-ce, docker-ce-cli, containerd.io, pigz, iptables';
const ENGINE_PATHS = '/var/lib/docker, /var/lib/containerd, /etc/docker';
const RUNTIME_PATHS = '/run/docker, /run/docker.sock';
const AFTER_PATHS = [
  "delete the engine's network links docker0 and docker_gwbridge",
  "remove the engine's firewall chains DOCKER and the rules that use them",
  'delete the docker group',
  "remove /var/lib/eectl (eectl's state and the install record)",
];

describe('reset of an installed cluster', () => {
  it('--dry-run lists per host what goes, in order, and changes nothing (no lock either)', async () => {
    const cluster = await installed();
    const since = cluster.mark();

    const result = await runReset(cluster, true);

    expect(result.dryRun).toBe(true);
    expect(result.alreadyClean).toBe(false);
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    for (const m of MANAGERS) {
      expect(changesOn(result, m)).toEqual([
        'leave the swarm (--force: the cluster is being destroyed)',
        ...STOP,
        PURGE,
        "remove eectl's package source",
        `remove ${ENGINE_PATHS}, /etc/eectl, ${RUNTIME_PATHS}, /run/containerd and /etc/systemd/system/docker.service.d`,
        'reload systemd unit files',
        ...AFTER_PATHS,
      ]);
    }
    expect(changesOn(result, W1)).toEqual([
      'leave the swarm',
      ...STOP,
      PURGE,
      "remove eectl's package source",
      `remove ${ENGINE_PATHS}, ${RUNTIME_PATHS} and /run/containerd`,
      ...AFTER_PATHS,
    ]);
    expect(cluster.journal.slice(since).filter((e) => e.kind !== 'read')).toEqual([]);
  });

  it('--dry-run names the services and stacks the reset destroys with the swarm, read from a manager', async () => {
    const cluster = await installed();
    const stack = { 'com.docker.stack.namespace': 'shop' };
    cluster.swarm.addService('shop_web', ['w1'], { labels: stack });
    cluster.swarm.addService('shop_db', ['w1'], { labels: stack });
    cluster.swarm.addService('monitor', ['m1', 'w1'], { labels: { 'eectl.collection': '/Shared' } });
    const since = cluster.mark();

    const result = await runReset(cluster, true);

    expect(result.destroys).toEqual({ services: ['monitor', 'shop_db', 'shop_web'], stacks: ['shop'] });
    expect(renderResetSummary(result)).toContain(
      '  the swarm, with 3 services (monitor, shop_db, shop_web), 1 stack (shop)\n',
    );
    expect(cluster.journal.slice(since).filter((e) => e.kind !== 'read')).toEqual([]);
    // An empty swarm says so.
    const empty = await runReset(await installed(), true);
    expect(empty.destroys).toEqual({ services: [], stacks: [] });
    expect(renderResetSummary(empty)).toContain('  the swarm, with 0 services, 0 stacks\n');
  });

  it('--dry-run lists the packages once, with the hosts they go from, not once per host', async () => {
    const cluster = await installed();
    // w1 had no pigz of the engine's (as if something else kept it): its packages differ from the managers'.
    cluster.host(W1).packages.delete('pigz');

    const result = await runReset(cluster, true);

    const all = [...MANAGERS, W1];
    expect(result.packages).toEqual([
      { name: 'docker-ce', hosts: all },
      { name: 'docker-ce-cli', hosts: all },
      { name: 'containerd.io', hosts: all },
      { name: 'pigz', hosts: MANAGERS },
      { name: 'iptables', hosts: all },
    ]);
    // Each host's removed list still has its own purge, as one step (what --json scripts read per host).
    expect(changesOn(result, W1)).toContain('purge docker-ce, docker-ce-cli, containerd.io, iptables');
    const text = renderResetSummary(result);
    expect(text).toContain(
      [
        '  packages to remove:',
        '    docker-ce, docker-ce-cli, containerd.io, iptables: every host (4)',
        `    pigz: ${MANAGERS.join(', ')}`,
      ].join('\n'),
    );
    expect(text.match(/docker-ce-cli/g)).toHaveLength(1);
    expect(text.match(/- purge its 5 packages \(listed above\)$/gm)).toHaveLength(3);
    expect(text.match(/- purge its 4 packages \(listed above\)$/gm)).toHaveLength(1);
    expect(text).not.toMatch(/^ {4}- purge docker-ce/m);
  });

  it('packagesWithHosts: each package once, in the order first seen, its hosts in their order', () => {
    expect(
      packagesWithHosts([
        { host: 'a', packages: ['docker.io', 'runc'] },
        { host: 'b', packages: [] },
        { host: 'c', packages: ['runc', 'docker.io', 'tini'] },
      ]),
    ).toEqual([
      { name: 'docker.io', hosts: ['a', 'c'] },
      { name: 'runc', hosts: ['a', 'c'] },
      { name: 'tini', hosts: ['c'] },
    ]);
    expect(packagesWithHosts([{ host: 'a', packages: [] }])).toEqual([]);
  });

  it('resets: workers leave first, then the managers one at a time, the lock host last; each host leaves before its engine goes', async () => {
    const cluster = await installed();
    const since = cluster.mark();

    const result = await runReset(cluster, false);
    const j = cluster.journal.slice(since);

    expect(result.changes.every((c) => c.applied)).toBe(true);
    const leaves = [W1, '10.0.0.12', '10.0.0.13', M1].map((h) => at(j, h, /^docker swarm leave/));
    expect(leaves.every((i) => i >= 0)).toBe(true);
    expect([...leaves].sort((a, b) => a - b)).toEqual(leaves);
    expect(j[leaves[0]!]!.line).toBe('docker swarm leave');
    for (const m of MANAGERS)
      expect(j[at(j, m, /^docker swarm leave/)]!.line).toBe('docker swarm leave --force');
    // Nobody's engine stops before every host has left the swarm.
    const firstStop = j.findIndex((e) => e.line.startsWith('systemctl stop'));
    expect(firstStop).toBeGreaterThan(Math.max(...leaves));
    for (const host of cluster.hosts) {
      const name = host.address;
      const stop = at(j, name, /^systemctl stop docker$/);
      const purge = at(j, name, /^env DEBIAN_FRONTEND=noninteractive apt-get .* purge /);
      expect(at(j, name, /^systemctl stop docker\.socket$/)).toBeLessThan(stop);
      expect(stop).toBeLessThan(purge);
      // The install record goes last: a reset that stops before it still knows what to put back.
      const writes = j.filter((e) => e.host === name && e.kind === 'write');
      expect(writes.at(-1)!.line).toMatch(/\/var\/lib\/eectl$/);
      expect(lastAt(j, name, /^groupdel docker$/)).toBeLessThan(j.indexOf(writes.at(-1)!));
      expect(host.packages.size).toBe(0);
      expect(host.files.size).toBe(0);
      expect(host.exists('/var/lib/eectl')).toBe(false);
      expect(host.exists('/etc/eectl')).toBe(false);
    }
    // The lock host: the lock released, then the directory it lived in removed, as the last two things.
    expect(j.slice(-2).map((e) => [e.host, release.test(e.line) ? 'release' : e.line])).toEqual([
      [M1, 'release'],
      [M1, 'rmdir /var/lib/eectl'],
    ]);

    // A second reset finds nothing to do.
    const again = await runReset(cluster, true);
    expect(again.alreadyClean).toBe(true);
    expect(again.changes).toEqual([]);
  });

  it('exits 4 when a host fails part-way: the others are reset, the lock is released, and reset run again finishes it', async () => {
    const cluster = await installed();
    cluster.host(W1).failures.push(/apt-get .* purge /);
    const since = cluster.mark();

    const error = await failure(runReset(cluster, false));

    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toMatch(
      /^did not reset 1 of 4 hosts:\n {2}10\.0\.0\.21: `env DEBIAN_FRONTEND=noninteractive apt-get .* purge /,
    );
    const j = cluster.journal.slice(since);
    for (const m of MANAGERS) expect(cluster.host(m).packages.size).toBe(0);
    // The worker stopped at the purge: its files and record are still there for the next run.
    expect(cluster.host(W1).packages.has('docker-ce')).toBe(true);
    expect(cluster.host(W1).exists('/var/lib/eectl/install-record.json')).toBe(true);
    expect(j.slice(-2).map((e) => [e.host, release.test(e.line) ? 'release' : e.line])).toEqual([
      [M1, 'release'],
      [M1, 'rmdir /var/lib/eectl'],
    ]);
    expect(cluster.host(M1).lockOwner).toBeUndefined();

    cluster.host(W1).failures.length = 0;
    const rerun = await runReset(cluster, false);
    expect(new Set(rerun.changes.map((c) => c.host))).toEqual(new Set([W1]));
    expect(changesOn(rerun, W1)).toEqual([
      PURGE,
      "remove eectl's package source",
      `remove ${ENGINE_PATHS}, ${RUNTIME_PATHS} and /run/containerd`,
      ...AFTER_PATHS,
    ]);
    expect(cluster.host(W1).files.size).toBe(0);
  });

  it('exits 5 when another run holds the lock, before reading any host', async () => {
    const cluster = await installed();
    const holder = JSON.stringify({
      id: 'x',
      user: 'bob',
      machine: 'ci',
      machineId: 'y',
      pid: 7,
      command: 'install',
      since: '2026-12-02T04:00:00.000Z',
    });
    cluster.host(M1).lockOwner = holder;
    const since = cluster.mark();

    const error = await failure(runReset(cluster, false));

    expect(error.exitCode).toBe(ExitCode.locked);
    expect(error.message).toContain('bob@ci (pid 7, `eectl install`)');
    expect(cluster.journal.slice(since).map((e) => [e.host, e.kind])).toEqual([[M1, 'lock']]);
    expect(cluster.host(M1).lockOwner).toBe(holder);
    expect(cluster.host(W1).packages.has('docker-ce')).toBe(true);
  });

  it('refuses (exit 3, nothing changed) when the swarm has a manager the file does not list', async () => {
    const cluster = await installed();
    const since = cluster.mark();
    const withoutM3 = await clusterConfig(HOSTS.filter((h) => h.address !== '10.0.0.13'));

    const error = await failure(runReset(cluster, false, withoutM3));

    expect(error.exitCode).toBe(ExitCode.preflight);
    expect(error.message).toContain('\n  m3 (10.0.0.13, node m3n0de1d0000, ready)');
    expect(cluster.hostWork(since)).toEqual([]);
    expect(cluster.host(M1).lockOwner).toBeUndefined();
  });
});
