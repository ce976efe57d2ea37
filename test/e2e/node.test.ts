import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

interface NodeResultJson {
  command: string;
  dryRun: boolean;
  changes: { host: string; description: string; applied: boolean }[];
  warnings: string[];
  file: { path: string; changed: boolean };
  node?: { role: string; leader: boolean; reachability?: string; availability: string };
  seconds: number;
}

interface NodeLsJson {
  nodes: {
    host?: string;
    address: string;
    hostname?: string;
    role?: string;
    state: string;
    inFile: boolean;
    inSwarm: boolean;
  }[];
  quorum: { managers: number; reachable: number };
}

/** Lines of `after` that `before` lacks, when `after` only adds lines (else undefined). */
function addedLines(before: string, after: string): string[] | undefined {
  const b = before.split('\n');
  const added: string[] = [];
  let i = 0;
  for (const line of after.split('\n')) {
    if (i < b.length && line === b[i]) i++;
    else added.push(line);
  }
  return i === b.length ? added : undefined;
}

describe('eectl node: grow with join, promote/demote, remove under a service, quorum refusal, dead manager, dead worker, rebalance after a drain', () => {
  const sandbox = useSandbox({ name: 'node', managers: 3, workers: 3 });
  let file = '';
  const eectl = (...args: string[]) => runEectl([...args, '-c', file, '--json']);
  const address = (hostname: string) => sandbox.host(hostname).address;
  const swarmNodes = async () =>
    (
      await sandbox.exec('m1', "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'", {
        check: true,
      })
    ).stdout
      .split('\n')
      .map((l) => l.trim())
      .sort();

  // m3 is named in the file by a second address of its own, as a host known by a DNS name or a public
  // address is: install advertises the detected private address, so no node shows the file's address.
  let m3FileAddress = '';

  it('installs 3 managers + 1 worker from the sandbox file without w2 and w3', async () => {
    m3FileAddress = address('m3').replace(/\.\d+$/, '.113');
    await sandbox.exec('m3', `ip addr add ${m3FileAddress}/24 dev eth0`, { check: true });
    const m3Keys = readFileSync(sandbox.knownHostsFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${address('m3')} `));
    expect(m3Keys.length).toBeGreaterThan(0);
    appendFileSync(
      sandbox.knownHostsFile,
      m3Keys.map((l) => `${m3FileAddress}${l.slice(address('m3').length)}\n`).join(''),
    );
    const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
    const hosts = doc.getIn(['spec', 'hosts'], true);
    if (!isSeq(hosts)) throw new Error('no spec.hosts in the sandbox file');
    const dropped = new Set([address('w2'), address('w3')]);
    hosts.items = hosts.items.filter((item) => !(isMap(item) && dropped.has(String(item.get('address')))));
    const m3 = hosts.items.find((item) => isMap(item) && item.get('address') === address('m3'));
    if (!isMap(m3)) throw new Error('no m3 in the sandbox file');
    m3.set('address', m3FileAddress);
    file = join(dirname(sandbox.clusterFile), 'grow.yaml');
    writeFileSync(file, doc.toString({ lineWidth: 0 }), { mode: 0o600 });

    const r = await runEectl(['install', '-c', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await swarmNodes()).toEqual([
      'm1 Ready Leader',
      'm2 Ready Reachable',
      'm3 Ready Reachable',
      'w1 Ready',
    ]);
    const m3Node = await sandbox.exec(
      'm1',
      `docker node inspect m3 --format '{{.Status.Addr}} {{index .Spec.Labels "eectl.address"}}'`,
      { check: true },
    );
    expect(m3Node.stdout.trim(), "m3 advertises its own address; its label keeps the file's").toBe(
      `${address('m3')} ${m3FileAddress}`,
    );
  });

  it('node join grows it by two workers and adds them to the file, whose comments and lines stay', async () => {
    const before = readFileSync(file, 'utf8');
    expect(before).toContain('# eectl sandbox');
    const seconds: number[] = [];
    for (const hostname of ['w2', 'w3']) {
      const h = sandbox.host(hostname);
      const r = await eectl(
        'node',
        'join',
        '--address',
        h.address,
        '--role',
        'worker',
        '--ssh-user',
        h.user,
        '--ssh-key',
        sandbox.keyPath,
      );
      expect(r.code, r.stderr).toBe(0);
      const result = r.json?.result as { file: { changed: boolean }; seconds: number };
      expect(result.file.changed).toBe(true);
      seconds.push(result.seconds);
    }
    console.log(`node join (engine install + join): ${seconds.join('s, ')}s`);

    const after = readFileSync(file, 'utf8');
    expect(addedLines(before, after)).toEqual([
      `    - address: ${address('w2')}`,
      '      role: worker',
      `      ssh: { user: eectl, keyPath: ${sandbox.keyPath} }`,
      `    - address: ${address('w3')}`,
      '      role: worker',
      `      ssh: { user: eectl, keyPath: ${sandbox.keyPath} }`,
    ]);
    expect(await swarmNodes()).toEqual([
      'm1 Ready Leader',
      'm2 Ready Reachable',
      'm3 Ready Reachable',
      'w1 Ready',
      'w2 Ready',
      'w3 Ready',
    ]);
    const ls = await eectl('node', 'ls');
    expect(ls.code, ls.stderr).toBe(0);
    const listed = (ls.json?.result as NodeLsJson).nodes;
    expect(listed.map((n) => [n.hostname, n.role, n.state, n.inFile, n.inSwarm])).toEqual([
      ['m1', 'manager', 'ready', true, true],
      ['m2', 'manager', 'ready', true, true],
      ['m3', 'manager', 'ready', true, true],
      ['w1', 'worker', 'ready', true, true],
      ['w2', 'worker', 'ready', true, true],
      ['w3', 'worker', 'ready', true, true],
    ]);
  });

  it('promotes a worker (warning: 4 managers) and demotes it back; the file follows, byte for byte', async () => {
    const original = readFileSync(file, 'utf8');
    const promoted = await eectl('node', 'promote', 'w1');
    expect(promoted.code, promoted.stderr).toBe(0);
    const p = promoted.json?.result as NodeResultJson;
    expect(p.warnings.join('\n')).toContain('4 managers tolerate 1 failure');
    expect(p.node).toMatchObject({ role: 'manager', leader: false, reachability: 'reachable' });
    // install ran after the promotion: the new manager has the engine API every manager has.
    const w1Changes = p.changes.filter((c) => c.host === address('w1')).map((c) => c.description);
    expect(w1Changes).toContain('promote node w1 to manager');
    expect(w1Changes.some((d) => d.startsWith('write a server certificate for the engine API'))).toBe(true);
    expect(
      (
        await sandbox.exec(
          'w1',
          'test -s /etc/eectl/pki/server-cert.pem && systemctl show docker -p DropInPaths',
        )
      ).stdout,
    ).toContain('eectl-api.conf');
    console.log(`node promote (with install for the API): ${p.seconds}s`);
    expect(readFileSync(file, 'utf8')).toBe(
      original.replace(
        `address: ${address('w1')}\n      role: worker`,
        `address: ${address('w1')}\n      role: manager`,
      ),
    );
    expect(await swarmNodes()).toContain('w1 Ready Reachable');

    const demoted = await eectl('node', 'demote', address('w1'));
    expect(demoted.code, demoted.stderr).toBe(0);
    console.log(`node demote: ${(demoted.json?.result as NodeResultJson).seconds}s`);
    expect((demoted.json?.result as NodeResultJson).node).toMatchObject({ role: 'worker' });
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(await swarmNodes()).toContain('w1 Ready');
    expect(await swarmNodes()).not.toContain('w1 Ready Reachable');
  });

  it('removes a worker while a replicated service runs there: the service keeps its replica count', async () => {
    const image = await loadBusybox(sandbox, ['w1', 'w2', 'w3']);
    await sandbox.exec(
      'm1',
      `docker service create --detach --name web --replicas 3 --no-resolve-image --constraint node.role==worker ${image} /bin/busybox sleep 100000`,
      { check: true },
    );
    const running = async () =>
      (
        await sandbox.exec(
          'm1',
          "docker service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
          { check: true },
        )
      ).stdout
        .split('\n')
        .filter((l) => l.includes('Running'))
        .map((l) => l.split(' ')[0]);
    await waitFor('3 replicas of web running', async () => (await running()).length === 3, 180_000);
    expect(await running(), 'the scheduler spreads the replicas over the workers').toContain('w3');

    const dryRun = await eectl('node', 'remove', address('w3'), '--dry-run');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect((dryRun.json?.result as NodeResultJson).changes.map((c) => c.description)).toEqual([
      'drain node w3',
      'leave the swarm',
      'remove node w3 from the swarm',
      `remove host ${address('w3')}`,
    ]);
    expect(readFileSync(file, 'utf8')).toContain(address('w3'));

    const r = await eectl('node', 'remove', address('w3'), '--yes');
    expect(r.code, r.stderr).toBe(0);
    // The command returned only once the tasks of w3 ran elsewhere: the count is whole right away.
    const now = await running();
    expect(now).toHaveLength(3);
    expect(now).not.toContain('w3');
    console.log(`node remove of a worker running a replica: ${(r.json?.result as NodeResultJson).seconds}s`);

    expect(await swarmNodes()).not.toContain('w3 Ready');
    expect((await swarmNodes()).some((n) => n.startsWith('w3'))).toBe(false);
    expect((await sandbox.exec('w3', "docker info --format '{{.Swarm.LocalNodeState}}'")).stdout.trim()).toBe(
      'inactive',
    );
    expect(readFileSync(file, 'utf8')).not.toContain(address('w3'));
  });

  it('refuses to remove a manager when only two of three are up, and changes nothing', async () => {
    await sandbox.stop('m3');
    await waitFor(
      'm3 unreachable',
      async () => (await swarmNodes()).includes('m3 Down Unreachable'),
      120_000,
    );
    const before = readFileSync(file, 'utf8');
    const r = await eectl('node', 'remove', address('m2'), '--yes');
    expect(r.code).toBe(3);
    expect(r.json?.error?.code).toBe('EQUORUM');
    expect(r.json?.error?.message).toContain('would lose the quorum');
    expect(await swarmNodes()).toContain('m2 Ready Reachable');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('removes the dead manager m3 by its file address, which no node shows: found by its label, out of Raft', async () => {
    // A cluster from before the label: m3 cannot be matched, so removal refuses and changes nothing.
    await sandbox.exec('m1', 'docker node update --label-rm eectl.address m3', { check: true });
    const before = readFileSync(file, 'utf8');
    const refused = await eectl('node', 'remove', m3FileAddress, '--yes', '--force');
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.json?.error?.code).toBe('ENODE_UNMATCHED');
    expect(refused.json?.error?.message).toContain('cannot tell which swarm node it is');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(await swarmNodes()).toContain('m3 Down Unreachable');

    // What the refusal suggests (and what install does on every node): label the node with the address.
    await sandbox.exec('m1', `docker node update --label-add eectl.address=${m3FileAddress} m3`, {
      check: true,
    });
    const r = await eectl('node', 'remove', m3FileAddress, '--yes', '--force');
    expect(r.code, r.stderr).toBe(0);
    expect((r.json?.result as NodeResultJson).changes.map((c) => c.description)).toEqual([
      'demote node m3 to worker',
      'remove node m3 from the swarm (--force)',
      `remove host ${m3FileAddress}`,
    ]);
    const managersLeft = (await swarmNodes()).filter((n) => /^m\d /.test(n));
    expect(managersLeft.map((n) => n.split(' ').slice(0, 2).join(' '))).toEqual(['m1 Ready', 'm2 Ready']);
    expect(readFileSync(file, 'utf8')).not.toContain(m3FileAddress);
  });

  it('removes a dead worker only with --force, and says what that risks', async () => {
    await sandbox.stop('w2', { hard: true });
    const refused = await eectl('node', 'remove', address('w2'), '--yes');
    expect(refused.code).toBe(3);
    expect(refused.json?.error?.code).toBe('ENODE_UNREACHABLE');

    const r = await eectl('node', 'remove', address('w2'), '--yes', '--force');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as NodeResultJson;
    expect(result.warnings.join('\n')).toContain('--force: its tasks are not drained first');
    expect(result.changes.map((c) => c.description)).toEqual([
      'remove node w2 from the swarm (--force)',
      `remove host ${address('w2')}`,
    ]);
    expect((await swarmNodes()).some((n) => n.startsWith('w2'))).toBe(false);
    expect(readFileSync(file, 'utf8')).not.toContain(address('w2'));
  });

  it('removes the first manager with --reset: under its own lock (taken once), the host reset, the lock directory gone', async () => {
    const r = await eectl('node', 'remove', address('m1'), '--yes', '--reset');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as NodeResultJson;
    const onM1 = result.changes
      .filter((c) => c.host === address('m1') && c.applied)
      .map((c) => c.description);
    // The leave and the reset's removals are the command's changes, in one list.
    expect(
      onM1.some((d) => d.includes('leave the swarm')),
      onM1.join('\n'),
    ).toBe(true);
    expect(
      onM1.some((d) => /remove|purge/.test(d) && /engine|docker/i.test(d)),
      onM1.join('\n'),
    ).toBe(true);
    // /var/lib/docker is the sandbox host's own volume: the mount point stays, empty.
    const left = await sandbox.exec(
      'm1',
      'command -v dockerd; test -e /var/lib/eectl && echo /var/lib/eectl; test -e /etc/eectl && echo /etc/eectl; ls -A /var/lib/docker',
    );
    expect(left.stdout.trim(), 'what is left of eectl and the engine on m1').toBe('');
    const nodes = (
      await sandbox.exec('m2', "docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'", { check: true })
    ).stdout;
    expect(nodes).not.toContain('m1');
    expect(readFileSync(file, 'utf8')).not.toContain(`address: ${address('m1')}`);
  });

  it('after a drain and activate, rebalance spreads a service again, never below its count minus its update parallelism', async () => {
    // What is left of the cluster: m2 (the only manager) and w1. web (workers only) could not leave w1.
    await sandbox.exec('m2', 'docker service rm web', { check: true });
    await waitFor(
      "web's containers gone from w1",
      async () =>
        (
          await sandbox.exec('w1', 'docker ps -q --filter label=com.docker.swarm.service.name=web')
        ).stdout.trim() === '',
      120_000,
    );
    const replicas = 4;
    const parallelism = 1;
    const image = await loadBusybox(sandbox, ['m2']);
    // busybox's sleep ignores SIGTERM as PID 1: a short grace period keeps each replacement short.
    await sandbox.exec(
      'm2',
      `docker service create --detach --name rebal --replicas ${replicas} --update-parallelism ${parallelism} --update-order stop-first --stop-grace-period 1s --no-resolve-image ${image} /bin/busybox sleep 100000`,
      { check: true },
    );
    const perNode = async (): Promise<Record<string, number>> => {
      const r = await sandbox.exec(
        'm2',
        "docker service ps rebal --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'",
        { check: true },
      );
      const counts: Record<string, number> = {};
      for (const [node, state] of r.stdout.split('\n').map((l) => l.trim().split(' ')))
        if (node && state === 'Running') counts[node] = (counts[node] ?? 0) + 1;
      return counts;
    };
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    await waitFor(
      `${replicas} replicas of rebal running`,
      async () => total(await perNode()) === replicas,
      180_000,
    );

    const drained = await eectl('node', 'drain', 'w1');
    expect(drained.code, drained.stderr).toBe(0);
    expect(await perNode()).toEqual({ m2: replicas });

    // The hint, as a user reads it at the end of activate.
    const activated = await runEectl(['node', 'activate', 'w1', '-c', file]);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toMatch(/\d+ services? (is|are) unevenly spread: eectl rebalance -c /);
    expect(activated.stdout).toContain(`eectl rebalance -c ${file}`);
    expect(await perNode(), 'the swarm does not move tasks back by itself').toEqual({ m2: replicas });

    // Without a terminal and without --yes: refused, nothing changed.
    const refused = await eectl('rebalance');
    expect(refused.code).toBe(2);
    expect(refused.json?.error?.code).toBe('ECONFIRM');
    expect(await perNode()).toEqual({ m2: replicas });

    // Every second, the containers of rebal running on each node; a node that does not answer counts 0.
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 600; i++) {
        const counts = await Promise.all(
          ['m2', 'w1'].map(async (h) => {
            const r = await sandbox
              .exec(
                h,
                'docker ps -q --filter label=com.docker.swarm.service.name=rebal --filter status=running',
                {
                  timeoutMs: 10_000,
                },
              )
              .catch(() => ({ code: 1, stdout: '' }));
            return r.code === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '').length : 0;
          }),
        );
        samples.push(counts.reduce((a, b) => a + b, 0));
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const r = await eectl('rebalance', '--yes').finally(async () => {
      sampling = false;
      await sampler;
    });
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as {
      planned: string[];
      rebalanced: { name: string; after: { node: string; tasks: number }[]; seconds: number }[];
      seconds: number;
    };
    expect(result.planned).toContain('rebal');
    const rebal = result.rebalanced.find((s) => s.name === 'rebal');
    expect(rebal?.after.find((n) => n.node === 'w1')?.tasks ?? 0).toBeGreaterThanOrEqual(1);
    const now = await perNode();
    expect(total(now)).toBe(replicas);
    expect(now.w1 ?? 0, 'the returned worker runs tasks again').toBeGreaterThanOrEqual(1);
    console.log(
      `rebalance of ${replicas} replicas: ${rebal?.seconds}s (run ${result.seconds}s); running per second: ${samples.join(' ')}`,
    );
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(replicas - parallelism);
  });
});
