import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstallResult } from '../../src/lib/actions/install.js';
import type { ResetResult } from '../../src/lib/actions/reset.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { useSandbox } from './helpers/sandbox.js';

/** The built CLI, as users run it, without a terminal (`npm run build` first, as `npm run test:e2e` does). */
async function eectl(...args: string[]) {
  const r = await runLocal(process.execPath, [join(import.meta.dirname, '../../bin/run.js'), ...args], {
    check: false,
    timeoutMs: 900_000,
    env: { NO_COLOR: '1' },
  });
  let json: { status: number; result?: unknown; error?: { code: string; message: string } } | undefined;
  try {
    if (args.includes('--json')) json = JSON.parse(r.stdout) as typeof json;
  } catch {
    throw new Error(`eectl ${args.join(' ')} exited ${r.code} without JSON:\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json };
}

/**
 * Everything of the engine and of eectl a host can still have, one line per thing found: empty means the
 * host is as clean as before install. /var/lib/docker is a volume in the sandbox (the inner engine needs
 * it), so it is a mount point that must stay: it counts when it is not empty.
 */
const LEFTOVERS = String.raw`
for b in docker dockerd containerd runc; do command -v "$b" >/dev/null && echo "binary $b"; done
dpkg -l | grep -E 'docker|containerd' | awk '$1 ~ /^.i/ {print "package " $2}'
for p in /etc/docker /etc/eectl /var/lib/eectl /var/lib/containerd /run/docker /run/docker.sock /run/containerd \
         /etc/apt/sources.list.d/eectl-engine.list /etc/apt/keyrings/eectl-docker.asc /etc/cni \
         /etc/systemd/system/docker.service.d; do
  [ -e "$p" ] && echo "path $p"
done
[ -n "$(ls -A /var/lib/docker 2>/dev/null)" ] && echo "path /var/lib/docker (not empty)"
grep -rls 'Managed by eectl' /etc/apt/sources.list /etc/apt/sources.list.d/ | sed 's/^/source /'
ip -o link show | awk -F': ' '{print $2}' | grep -E '^(docker0|docker_gwbridge|br-)' | sed 's/^/link /'
iptables-save | grep -E '^:DOCKER(-| )|docker0|docker_gwbridge' | sed 's/^/firewall /'
getent group docker >/dev/null && echo 'group docker'
true`;

/** Proof that a host runs the engine and its swarm: the daemon's version and the node's swarm state. */
const ENGINE_STATE = `docker info --format '{{.ServerVersion}} {{.Swarm.LocalNodeState}}' 2>&1 || true`;

describe('eectl reset: 1 manager, 1 worker', () => {
  const sandbox = useSandbox({ name: 'e2e-reset', managers: 1, workers: 1 });
  const leftovers = async (host: string) => (await sandbox.exec(host, LEFTOVERS, { check: true })).stdout;
  const engineState = async (host: string) => (await sandbox.exec(host, ENGINE_STATE)).stdout.trim();

  it('installs a cluster with data on it: a volume, an image, a container on a user-defined bridge', async () => {
    const install = await eectl('install', '-c', sandbox.clusterFile, '--json');
    expect(install.code, install.stderr).toBe(0);
    expect((install.json?.result as InstallResult).nodes.map((n) => n.state)).toEqual(['ready', 'ready']);
    for (const host of ['m1', 'w1']) {
      const r = await sandbox.exec(
        host,
        `set -e
         docker volume create data >/dev/null
         mkdir -p /tmp/tiny && echo hi > /tmp/tiny/hello && tar -C /tmp/tiny -c . | docker import - tiny:1 >/dev/null
         docker network create -d bridge apps >/dev/null
         docker create --name c1 --network apps tiny:1 /hello >/dev/null
         ip -o link show | grep -c ' br-'`,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('1');
    }
    expect(await engineState('m1')).toMatch(/^20\.10\.\S+ active$/);
  });

  it('refuses without --yes when there is no terminal, and changes nothing', async () => {
    const r = await eectl('reset', '-c', sandbox.clusterFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[ECONFIRM\].*no terminal/);
    expect(r.stderr).toContain('Pass --yes');
    const json = await eectl('reset', '-c', sandbox.clusterFile, '--json');
    expect(json.code).toBe(2);
    expect(json.json?.error?.code).toBe('ECONFIRM');
    expect(await engineState('m1')).toMatch(/ active$/);
    expect(await engineState('w1')).toMatch(/ active$/);
  });

  it('stops with exit 5 while another run holds the cluster lock, and changes nothing', async () => {
    const owner = JSON.stringify({
      id: 'another-run',
      user: 'ops',
      machine: 'laptop',
      pid: 4242,
      command: 'install',
      since: new Date().toISOString(),
    });
    await sandbox.exec(
      'm1',
      `mkdir -p /var/lib/eectl/lock && printf '%s' '${owner}' > /var/lib/eectl/lock/owner`,
      {
        check: true,
      },
    );
    try {
      const r = await eectl('reset', '-c', sandbox.clusterFile, '--yes', '--json');
      expect(r.code, r.stderr).toBe(5);
      expect(r.json?.error?.code).toBe('ELOCKED');
      expect(r.json?.error?.message).toContain('ops@laptop (pid 4242, `eectl install`)');
    } finally {
      await sandbox.exec('m1', 'rm -rf /var/lib/eectl/lock', { check: true });
    }
    expect(await engineState('m1')).toMatch(/ active$/);
    expect(await engineState('w1')).toMatch(/ active$/);
  });

  it('--dry-run lists per host what would be removed, and removes nothing', async () => {
    const r = await eectl('reset', '-c', sandbox.clusterFile, '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as ResetResult;
    expect(result).toMatchObject({ dryRun: true, alreadyClean: false });
    const [m1, w1] = result.hosts;
    expect(m1?.removed[0]).toBe('leave the swarm (--force: the cluster is being destroyed)');
    expect(w1?.removed[0]).toBe('leave the swarm');
    for (const h of result.hosts) {
      expect(h.removed).toEqual(
        expect.arrayContaining([
          'stop docker',
          expect.stringMatching(/^purge docker\.io, .*containerd/),
          "remove eectl's package source",
          expect.stringMatching(/^remove \/var\/lib\/docker, \/var\/lib\/containerd, \/etc\/docker/),
          expect.stringMatching(
            /^delete the engine's network links br-[0-9a-f]{12}, docker0 and docker_gwbridge$/,
          ),
          expect.stringMatching(/^remove the engine's firewall chains DOCKER, /),
          'delete the docker group',
        ]),
      );
    }
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    expect(await engineState('m1')).toMatch(/ active$/);
    expect(await engineState('w1')).toMatch(/ active$/);
  });

  it('resets the hosts it reaches and reports the others with exit 4', async () => {
    await sandbox.partition('w1');
    try {
      const r = await eectl('reset', '-c', sandbox.clusterFile, '--yes', '--json');
      expect(r.code, r.stderr).toBe(4);
      expect(r.json?.error?.code).toBe('EUNREACHABLE');
      expect(r.json?.error?.message).toMatch(
        new RegExp(`^did not reset 1 of 2 hosts:\\n  ${sandbox.host('w1').address}: not reached`),
      );
    } finally {
      await sandbox.heal('w1');
    }
    expect(await leftovers('m1')).toBe('');
    expect(await engineState('w1')).toMatch(/^20\.10\.\S+ active$/);
  });

  it('resets the rest when run again: no engine, no swarm state, no eectl file is left', async () => {
    const r = await eectl('reset', '-c', sandbox.clusterFile, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as ResetResult;
    expect(result.hosts.map((h) => [h.host, h.clean])).toEqual([
      [sandbox.host('m1').address, true],
      [sandbox.host('w1').address, false],
    ]);
    expect(result.hosts[1]?.removed[0]).toBe('leave the swarm');
    expect(await leftovers('m1')).toBe('');
    expect(await leftovers('w1')).toBe('');
  });

  it('changes nothing on clean hosts and says so', async () => {
    const r = await eectl('reset', '-c', sandbox.clusterFile, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.result).toMatchObject({ dryRun: false, alreadyClean: true, changes: [] });
    const human = await eectl('reset', '-c', sandbox.clusterFile, '--yes');
    expect(human.stdout).toContain('is already clean: nothing changed');
    expect(await leftovers('m1')).toBe('');
  });

  it('installs again on the reset hosts: a fresh cluster without the old data', async () => {
    const install = await eectl('install', '-c', sandbox.clusterFile, '--json');
    expect(install.code, install.stderr).toBe(0);
    expect((install.json?.result as InstallResult).nodes.map((n) => n.state)).toEqual(['ready', 'ready']);
    for (const host of ['m1', 'w1']) {
      const r = await sandbox.exec(
        host,
        'docker volume ls -q; docker image ls -q; docker ps -aq; docker network ls -q -f name=apps',
      );
      expect(r.stdout, host).toBe('');
    }
  });
});
