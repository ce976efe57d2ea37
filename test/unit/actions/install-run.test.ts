import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { ExitCode, toEectlError, type EectlError } from '../../../src/lib/errors.js';
import { APT_SOURCE_FILE } from '../../../src/lib/host/os/apt.js';
import { API_DROP_IN } from '../../../src/lib/host-layout.js';
import type { InstallResult } from '../../../src/lib/results/install.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { PINNED, ScriptedCluster, clusterConfig, type JournalEntry } from '../../helpers/scripted-cluster.js';

// The real INSTALL_PHASES, through the real runner, against scripted Debian 12 hosts (3 managers, 1 worker)
// that answer every command from a model of what is on them (test/helpers/scripted-cluster.ts).

const APT = 'env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300';
const M1 = '10.0.0.11';
const W1 = '10.0.0.21';
const MANAGERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

const home = process.env.EECTL_HOME;
let eectlHome = '';
beforeEach(() => {
  // The cluster CA's local copy and the machine ID live here: a fresh operator machine per test.
  eectlHome = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  process.env.EECTL_HOME = eectlHome;
});
afterAll(() => {
  if (home === undefined) delete process.env.EECTL_HOME;
  else process.env.EECTL_HOME = home;
});

async function run(cluster: ScriptedCluster, dryRun: boolean): Promise<InstallResult> {
  return install({
    config: await clusterConfig(),
    session: cluster.session(),
    log: nullLogger,
    dryRun,
    concurrency: 8,
    progress: 'silent',
  });
}

async function failure(promise: Promise<unknown>): Promise<EectlError> {
  return promise.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );
}

const changesOn = (result: InstallResult, host: string) =>
  result.changes.filter((c) => c.host === host).map((c) => c.description);

/** Where in the journal the first entry of `host` matching `pattern` is (-1: none). */
const at = (entries: readonly JournalEntry[], host: string, pattern: RegExp) =>
  entries.findIndex((e) => e.host === host && pattern.test(e.line));

const isLock = (e: JournalEntry) => e.kind === 'lock';
const acquire = /echo acquired/;
const release = /rm -rf "\$d"/;

/** What install does to a fresh Debian 12 host to point apt at Docker's repository. */
const SOURCE = [
  'refresh package lists (to install curl)',
  'install ca-certificates and curl',
  'create /etc/apt/keyrings',
  "download Docker's signing key",
  'make the key readable by apt',
  "add Docker's apt repository",
];
const RECORD = 'record the host as it is before install (reset puts it back)';
const API_FILES = [
  'write the cluster CA to /etc/eectl/pki',
  'write a server certificate for the engine API (no server certificate yet)',
  `write ${API_DROP_IN} (engine API on port 2376, mutual TLS)`,
  'reload systemd unit files',
];

describe('install on fresh hosts', () => {
  it('--dry-run lists every change per host in the order it would be made, and changes nothing (no lock either)', async () => {
    const cluster = new ScriptedCluster();
    const result = await run(cluster, true);

    expect(result.dryRun).toBe(true);
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    const engine = 'install docker-ce 27.3 (resolved when run)';
    expect(changesOn(result, M1)).toEqual([
      RECORD,
      ...SOURCE,
      ...API_FILES,
      engine,
      'enable and start docker',
      'initialise the swarm, advertising 10.0.0.11',
    ]);
    for (const m of ['10.0.0.12', '10.0.0.13']) {
      expect(changesOn(result, m)).toEqual([
        RECORD,
        ...SOURCE,
        ...API_FILES,
        engine,
        'enable and start docker',
        'join the swarm as a manager through 10.0.0.11',
      ]);
    }
    expect(changesOn(result, W1)).toEqual([
      RECORD,
      ...SOURCE,
      engine,
      'enable and start docker',
      'join the swarm as a worker through 10.0.0.11',
    ]);
    expect(changesOn(result, 'local')).toEqual([
      `create the cluster CA and save it in ${eectlHome}/prod/pki`,
    ]);
    expect(new Set(result.changes.map((c) => c.host))).toEqual(new Set([...MANAGERS, W1, 'local']));

    // Only reads ran: no command that changes a host, no upload, and no lock (a dry run takes none).
    expect(cluster.journal.filter((e) => e.kind !== 'read')).toEqual([]);
    for (const h of cluster.hosts) expect(h.conn.lines).toContain('sh -s');
    expect(cluster.hosts.every((h) => h.conn.uploads.length === 0)).toBe(true);
  });

  it('installs: package source before the engine, API files before it starts, the swarm initialised on the first manager before anyone joins', async () => {
    const cluster = new ScriptedCluster();
    const result = await run(cluster, false);
    const j = cluster.journal;

    const version = `${PINNED}`;
    expect(changesOn(result, W1)).toEqual([
      RECORD,
      ...SOURCE,
      "refresh eectl's package list",
      `install docker-ce ${version}`,
      `hold docker-ce, docker-ce-cli at ${version}`,
      'enable and start docker',
      'join the swarm as a worker through 10.0.0.11',
      'label node w1: eectl.role=worker, eectl.managed=true, eectl.address=10.0.0.21, eectl.collection=/Shared',
    ]);
    expect(changesOn(result, M1)).toEqual([
      RECORD,
      ...SOURCE,
      "refresh eectl's package list",
      ...API_FILES,
      `install docker-ce ${version}`,
      `hold docker-ce, docker-ce-cli at ${version}`,
      'enable and start docker',
      'initialise the swarm, advertising 10.0.0.11',
      'label node m1: eectl.role=manager, eectl.managed=true, eectl.address=10.0.0.11, eectl.collection=/System',
    ]);
    expect(result.changes.every((c) => c.applied)).toBe(true);

    for (const host of cluster.hosts) {
      const name = host.address;
      const writes = j.filter((e) => e.host === name && (e.kind === 'write' || e.kind === 'upload'));
      // The install record comes before anything else changes on the host.
      expect(writes.slice(0, 2).map((e) => e.line)).toEqual([
        'install -d -m 0755 /var/lib/eectl',
        'upload /var/lib/eectl/install-record.json',
      ]);
      // Docker's repository is in place and its lists fetched before the pinned engine is installed.
      const installLine = `${APT} install -y --allow-downgrades --allow-change-held-packages -o Dpkg::Options::=--force-confold docker-ce=${version} docker-ce-cli=${version} containerd.io`;
      expect(at(j, name, new RegExp(`^upload ${APT_SOURCE_FILE}$`))).toBeGreaterThan(-1);
      expect(at(j, name, new RegExp(`^upload ${APT_SOURCE_FILE}$`))).toBeLessThan(
        at(j, name, /update -o Dir::Etc::sourcelist/),
      );
      expect(at(j, name, /update -o Dir::Etc::sourcelist/)).toBeLessThan(
        j.findIndex((e) => e.host === name && e.line === installLine),
      );
      expect(at(j, name, /^apt-mark hold docker-ce docker-ce-cli$/)).toBeGreaterThan(
        at(j, name, /docker-ce=/),
      );
      expect(host.packages.get('docker-ce')).toMatchObject({ version, held: true });
      expect(host.packages.get('docker-ce-cli')).toMatchObject({ version, held: true });
    }
    for (const m of MANAGERS) {
      // A fresh engine starts with its API files: they are written before the package (which starts it).
      expect(at(j, m, new RegExp(`^upload ${API_DROP_IN}$`))).toBeLessThan(at(j, m, /docker-ce=/));
    }
    const init = at(j, M1, /^docker swarm init /);
    const joins = ['10.0.0.12', '10.0.0.13', W1].map((h) => at(j, h, /http:\/\/localhost\/swarm\/join$/));
    expect(init).toBeGreaterThan(at(j, M1, /^systemctl enable --now docker$/));
    for (const joined of joins) expect(joined).toBeGreaterThan(init);
    // Managers join one at a time, in file order; each node is labelled right after it joins (the first
    // manager after init), not once everyone is in: m1's labels come before m3 has joined.
    expect(joins[0]).toBeLessThan(joins[1]!);
    const labelOf = (address: string) =>
      j.findIndex((e) => /^docker node update --label-add/.test(e.line) && e.line.includes(`=${address} `));
    expect(j.filter((e) => /^docker node update --label-add/.test(e.line))).toHaveLength(4);
    expect(labelOf(M1)).toBeGreaterThan(init);
    expect(labelOf(M1)).toBeLessThan(joins[1]!);
    ['10.0.0.12', '10.0.0.13', W1].forEach((h, i) => expect(labelOf(h)).toBeGreaterThan(joins[i]!));

    // The lock is taken first and released last, on the first manager.
    const locks = j.filter(isLock);
    expect(locks.map((e) => e.host)).toEqual([M1, M1]);
    expect(acquire.test(locks[0]!.line) && release.test(locks[1]!.line)).toBe(true);
    expect(j.findIndex(isLock)).toBe(0);
    expect(j.at(-1)).toBe(locks[1]);
    expect(cluster.host(M1).lockOwner).toBeUndefined();

    expect(result.nodes.map((n) => [n.hostname, n.role, n.state]).sort()).toEqual([
      ['m1', 'manager', 'ready'],
      ['m2', 'manager', 'ready'],
      ['m3', 'manager', 'ready'],
      ['w1', 'worker', 'ready'],
    ]);
    expect(result.engineVersion).toBe(version);
  });
});

describe('install after engines were stopped (a crash, an operator, a start refused by systemd)', () => {
  it('starts a stopped worker again and leaves it in the swarm, once it has connected: no join, which its engine would refuse', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const worker = cluster.host(W1);
    worker.active.delete('docker');
    // Its engine, started again, says "pending" twice while it connects to the managers.
    const swarmJson = worker.swarmJson.bind(worker);
    let asked = 0;
    vi.spyOn(worker, 'swarmJson').mockImplementation(() =>
      worker.engineRunning && asked++ < 2 ? swarmJson().replace('"active"', '"pending"') : swarmJson(),
    );

    const again = await run(cluster, false);

    expect(changesOn(again, W1)).toEqual(['enable and start docker']);
    expect(asked).toBeGreaterThan(2);
    expect(again.nodes).toHaveLength(4);
  });

  it('starts every stopped manager again and founds no second swarm on the first of them', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const swarmBefore = JSON.parse(cluster.host(M1).swarmJson()) as { Cluster: { ID: string } };
    for (const m of MANAGERS) cluster.host(m).active.delete('docker');

    const again = await run(cluster, false);

    for (const m of MANAGERS) expect(changesOn(again, m), m).toEqual(['enable and start docker']);
    expect(again.changes.map((c) => c.description).filter((d) => /swarm/.test(d))).toEqual([]);
    expect((JSON.parse(cluster.host(M1).swarmJson()) as { Cluster: { ID: string } }).Cluster.ID).toBe(
      swarmBefore.Cluster.ID,
    );
  });

  it('founds no swarm on a first manager whose engine says it is a worker of one, when no manager of the file answers', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    cluster.swarm.nodeNamed('m1').role = 'worker';
    for (const m of MANAGERS) cluster.host(m).active.delete('docker');
    const since = cluster.mark();

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toContain(`${M1}: its engine is a worker of a swarm`);
    expect(cluster.journal.slice(since).some((e) => /swarm init/.test(e.line))).toBe(false);
  });

  it('joins nothing whose engine says it is in a swarm but not active in it: exit 4, ESWARM_STATE, no join tried', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const worker = cluster.host(W1);
    worker.active.delete('docker');
    const swarmJson = worker.swarmJson.bind(worker);
    vi.spyOn(worker, 'swarmJson').mockImplementation(() => swarmJson().replace('"active"', '"error"'));
    const since = cluster.mark();

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.code).toBe('ESWARM_STATE');
    expect(error.message).toContain('its engine says its swarm state is "error"');
    expect(cluster.journal.slice(since).some((e) => e.host === W1 && /swarm\/join/.test(e.line))).toBe(false);
  });
});

describe('install when preflight finds a problem', () => {
  it('exits 3 before any host changes, naming the host, and releases the lock', async () => {
    const cluster = new ScriptedCluster();
    cluster.host('10.0.0.12').listening.push('tcp 0.0.0.0:2377');

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.preflight);
    expect(error.message).toContain('10.0.0.12: port 2377/tcp already in use');
    expect(cluster.hostWork()).toEqual([]);
    // Every host was probed for its way to the managers' 2377/tcp: the worker to all three.
    expect(cluster.host(W1).conn.lines.filter((l) => l.includes('/dev/tcp/'))).toHaveLength(1);
    expect(
      cluster
        .host(W1)
        .conn.commands.find((c) => c[2]?.includes('/dev/tcp/'))
        ?.slice(4),
    ).toEqual(MANAGERS);
    expect(cluster.host(M1).lockOwner).toBeUndefined();
    expect(release.test(cluster.journal.at(-1)!.line)).toBe(true);
  });
});

describe('install on a converged cluster', () => {
  it('changes nothing: no command that changes a host, only the lock taken and released', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const since = cluster.mark();

    const again = await run(cluster, false);

    expect(again.changes).toEqual([]);
    expect(again.converged).toBe(true);
    expect(cluster.hostWork(since)).toEqual([]);
    const rest = cluster.journal.slice(since).filter((e) => e.kind !== 'read');
    expect(
      rest.map((e) => [e.host, acquire.test(e.line) ? 'acquire' : release.test(e.line) ? 'release' : e.line]),
    ).toEqual([
      [M1, 'acquire'],
      [M1, 'release'],
    ]);
    expect(again.nodes).toHaveLength(4);
    // Labelling read the nodes and changed nothing: the wait for Ready does not read them again.
    const nodeReads = cluster.journal
      .slice(since)
      .map((e) => /docker node (ls|inspect)/.exec(e.line)?.[0])
      .filter(Boolean);
    expect(nodeReads).toEqual(['docker node ls', 'docker node inspect']);
  });

  it('--dry-run lists nothing', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const since = cluster.mark();
    const dry = await run(cluster, true);
    expect(dry.changes).toEqual([]);
    expect(cluster.journal.slice(since).filter((e) => e.kind !== 'read')).toEqual([]);
  });
});

describe('install when another run holds the cluster lock', () => {
  it('exits 5 naming the holder, and nothing after the lock runs: no facts, no change', async () => {
    const cluster = new ScriptedCluster();
    const holder = JSON.stringify({
      id: 'b7a1f0c2-7d4e-4f7a-9a51-3c2d1e0f9a8b',
      user: 'alice',
      machine: 'laptop',
      machineId: '0d4c7f5e-2b1a-4c3d-8e9f-1a2b3c4d5e6f',
      pid: 4242,
      command: 'upgrade',
      since: '2026-12-02T04:00:00.000Z',
    });
    cluster.host(M1).lockOwner = holder;
    cluster.host(M1).lockAge = 12;

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.locked);
    expect(error.message).toContain(
      'alice@laptop (pid 4242, `eectl upgrade`) since 2026-12-02T04:00:00.000Z',
    );
    expect(error.host).toBe(M1);
    // The one command of the run: the attempt to take the lock. No facts were read on any host.
    expect(cluster.journal.map((e) => [e.host, e.kind])).toEqual([[M1, 'lock']]);
    expect(cluster.hosts.flatMap((h) => h.conn.lines).filter((l) => l === 'sh -s')).toEqual([]);
    expect(cluster.host(M1).lockOwner).toBe(holder);
  });
});

describe('install that fails part-way', () => {
  it('exits 4 naming the host, releases the lock, and the same command run again converges', async () => {
    const cluster = new ScriptedCluster();
    const failing = /apt-get .* install .*docker-ce=/;
    cluster.host(W1).failures.push(failing);

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toMatch(
      /^1 of 4 hosts did not converge:\n {2}10\.0\.0\.21: `env DEBIAN_FRONTEND=noninteractive apt-get .* install .*docker-ce=/,
    );
    expect(error.message).toContain('exited 100');
    expect(error.suggestions.join('\n')).toMatch(/run install again/i);
    const j = cluster.journal;
    // The lock was released after the failure, as the last thing the run did.
    expect(release.test(j.at(-1)!.line) && j.at(-1)!.host === M1).toBe(true);
    expect(cluster.host(M1).lockOwner).toBeUndefined();
    // The managers converged meanwhile, each labelled as it joined; the worker stopped at its engine
    // and did not join, so it has no node to label.
    for (const m of MANAGERS) expect(cluster.host(m).nodeId).toBeDefined();
    expect(cluster.host(W1).nodeId).toBeUndefined();
    expect(at(j, W1, /^systemctl enable --now docker$/)).toBe(-1);
    expect(j.filter((e) => e.line.startsWith('docker node update')).map((e) => e.line)).toEqual(
      MANAGERS.map((m) => expect.stringContaining(`eectl.address=${m} `)),
    );

    cluster.host(W1).failures.length = 0;
    const since = cluster.mark();
    const rerun = await run(cluster, false);
    expect(rerun.changes.filter((c) => c.host === W1).map((c) => c.description)).toEqual([
      "refresh eectl's package list",
      `install docker-ce ${PINNED}`,
      `hold docker-ce, docker-ce-cli at ${PINNED}`,
      'enable and start docker',
      'join the swarm as a worker through 10.0.0.11',
      'label node w1: eectl.role=worker, eectl.managed=true, eectl.address=10.0.0.21, eectl.collection=/Shared',
    ]);
    // The managers have their labels from the failed run: nothing to do on them.
    for (const m of MANAGERS) expect(changesOn(rerun, m)).toEqual([]);
    expect(
      cluster
        .hostWork(since)
        .filter((l) => !l.includes('docker node update'))
        .every((l) => l.startsWith(W1)),
    ).toBe(true);
  });
});

describe('install when something else changes a node while it labels it', () => {
  it('reads the node again and applies the label when the swarm answers "update out of sequence" once', async () => {
    const cluster = new ScriptedCluster();
    cluster.swarm.outOfSequence = 1;

    const result = await run(cluster, false);

    const updates = cluster.journal.filter((e) => e.line.startsWith('docker node update'));
    // Four nodes to label (at once), one of them refused once and tried again: five updates, all labels
    // there, and exactly one of them sent twice.
    expect(updates).toHaveLength(5);
    const lines = updates.map((u) => u.line);
    expect(lines.filter((l, i) => lines.indexOf(l) !== i)).toHaveLength(1);
    expect(cluster.swarm.outOfSequence).toBe(0);
    for (const node of cluster.swarm.nodes.values()) expect(node.labels['eectl.managed']).toBe('true');
    expect(result.changes.filter((c) => c.description.startsWith('label node'))).toHaveLength(4);
  });
});

describe('install that loses the cluster lock part-way', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops before the next phase once a heartbeat finds another run holding it: exit 4, ELOCK_LOST', async () => {
    // Only the lock's heartbeat interval is faked: the test fires it when it chooses.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const cluster = new ScriptedCluster();
    const other = JSON.stringify({
      id: 'other-run',
      user: 'ops',
      machine: 'laptop',
      pid: 1,
      command: 'install',
    });
    let stolen = false;
    // While the first engine installs, another run breaks the lock (as it would one not refreshed for
    // STALE_AFTER_S) and the next heartbeat answers "not-owner".
    cluster.host(W1).onCommand = (e) => {
      if (stolen || !/apt-get .* install .*docker-ce=/.test(e.line)) return;
      stolen = true;
      cluster.host(M1).lockOwner = other;
      vi.advanceTimersByTime(30_000);
    };

    const error = await failure(run(cluster, false));

    expect(error.code).toBe('ELOCK_LOST');
    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toMatch(
      /^lost the cluster lock on 10\.0\.0\.11: another run holds it now .*; stopped before "Restart engines in the swarm, one at a time"$/,
    );
    expect(error.suggestions.join('\n')).toMatch(/see who holds the lock .*run the same command again/s);
    const j = cluster.journal;
    const heartbeat = j.findIndex((e) => e.kind === 'lock' && e.line.includes('touch "$d/owner"'));
    expect(heartbeat).toBeGreaterThan(0);
    // The phase under way finished (every host's engine, the swarm formed, each node labelled as it
    // joined: never stopped mid-host), the run stopped before the next phase (the message above), and
    // the other run's lock is left alone.
    for (const h of cluster.hosts) expect(h.nodeId).toBeDefined();
    expect(j.filter((e) => e.line.startsWith('docker node update'))).toHaveLength(cluster.hosts.length);
    expect(cluster.host(M1).lockOwner).toBe(other);
  });
});
