import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { InstallResult, ResetResult } from '../../src/lib/results/install.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

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

/** An operator's daemon.json and trust for another registry, on m1 before eectl. */
const OPERATOR_DAEMON_JSON = '{\n  "debug": true\n}\n';
const OPERATOR_CERTS_D = '/etc/docker/certs.d/registry.example.com:5000';

describe('eectl reset: 1 manager, 1 worker whose engine was there before eectl', () => {
  const sandbox = useSandbox({ name: 'e2e-reset', managers: 1, workers: 1 });
  const leftovers = async (host: string) => (await sandbox.exec(host, LEFTOVERS, { check: true })).stdout;
  const engineState = async (host: string) => (await sandbox.exec(host, ENGINE_STATE)).stdout.trim();
  /** What each host had before install, as LEFTOVERS sees it: what reset must leave. */
  const before = new Map<string, string>();
  /** The cluster file with engine.daemon set, so install changes m1's daemon.json. */
  let file = '';
  /** The bridges and firewall chains of an engine that stays come back when it starts: not compared. */
  const withoutNetwork = (text: string) =>
    text
      .split('\n')
      .filter((l) => !/^(link|firewall) /.test(l))
      .join('\n');

  it('installs a cluster over what the operator had: daemon.json and certs.d on m1, an engine on w1', async () => {
    const m1 = await sandbox.exec(
      'm1',
      `set -e
       mkdir -p ${OPERATOR_CERTS_D}
       printf '%s' '${OPERATOR_DAEMON_JSON}' > /etc/docker/daemon.json
       echo "operator's CA" > ${OPERATOR_CERTS_D}/ca.crt`,
    );
    expect(m1.code, m1.stderr).toBe(0);
    // w1's engine comes from the same mirror eectl uses (the version the file asks for), installed by hand
    // before eectl, with an image on it.
    const w1 = await sandbox.exec(
      'w1',
      `set -e
       echo 'deb [trusted=yes] ${sandbox.description.mirrorUrl} bookworm main' > /etc/apt/sources.list.d/operator.list
       apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "docker.io=$(apt-cache madison docker.io | awk '$3 ~ /^20\\.10/ { print $3; exit }')" >/dev/null
       rm /etc/apt/sources.list.d/operator.list && apt-get update -qq >/dev/null
       mkdir -p /tmp/own && echo mine > /tmp/own/file && tar -C /tmp/own -c . | docker import - operators:1 >/dev/null`,
      { timeoutMs: 300_000 },
    );
    expect(w1.code, w1.stderr).toBe(0);
    for (const host of ['m1', 'w1']) before.set(host, await leftovers(host));
    expect(before.get('m1')?.trim()).toBe('path /etc/docker');
    expect(before.get('w1')).toContain('package docker.io');
    expect(before.get('w1')).toContain('group docker');

    const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'engine', 'daemon'], { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m' } });
    // Without the sandbox's first-workload bundle: this file checks what reset puts back, and reset does
    // not remove an image install loaded onto an engine that was there before (the note says so).
    const workload = sandbox.description.workload?.bundle;
    const bundles =
      (doc.getIn(['spec', 'images', 'bundles']) as { toJSON(): unknown[] } | undefined)?.toJSON() ?? [];
    doc.setIn(
      ['spec', 'images', 'bundles'],
      bundles.filter((b) => b !== workload),
    );
    file = join(dirname(sandbox.clusterFile), 'reset.yaml');
    writeFileSync(file, doc.toString({ lineWidth: 0 }), { mode: 0o600 });

    const install = await eectl('install', '-c', file, '--json');
    expect(install.code, install.stderr).toBe(0);
    const result = install.json?.result as InstallResult;
    expect(result.nodes.map((n) => n.state)).toEqual(['ready', 'ready']);
    const recorded = result.changes.filter((c) => c.description.startsWith('record the host'));
    expect(recorded.map((c) => [c.host, c.description]).sort()).toEqual([
      [sandbox.host('m1').address, 'record the host as it is before install (reset puts it back)'],
      [
        sandbox.host('w1').address,
        'record the host as it is before install (reset puts it back, keeps docker.io)',
      ],
    ]);
    expect(JSON.parse((await sandbox.exec('m1', 'cat /etc/docker/daemon.json')).stdout)).toEqual({
      debug: true,
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m' },
    });
    const r = await sandbox.exec(
      'm1',
      `set -e
       docker volume create data >/dev/null
       mkdir -p /tmp/tiny && echo hi > /tmp/tiny/hello && tar -C /tmp/tiny -c . | docker import - tiny:1 >/dev/null
       docker network create -d bridge apps >/dev/null
       docker create --name c1 --network apps tiny:1 /hello >/dev/null
       ip -o link show | grep -c ' br-'`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1');
    expect(await engineState('m1')).toMatch(/^20\.10\.\S+ active$/);
  });

  it('refuses a file that lists only some of the live managers, and changes nothing', async () => {
    // w1 made a manager by hand: the swarm has two managers, and this file names m1 only.
    const w1Reachable = async () =>
      (
        await sandbox.exec('m1', "docker node inspect w1 --format '{{.ManagerStatus.Reachability}}'")
      ).stdout.trim();
    const w1ControlAvailable = async () =>
      (await sandbox.exec('w1', "docker info --format '{{.Swarm.ControlAvailable}}'")).stdout.trim();
    await sandbox.exec('m1', 'docker node promote w1', { check: true });
    await waitFor('w1 a reachable manager', async () => (await w1Reachable()) === 'reachable', 60_000);
    try {
      const doc = parseDocument(readFileSync(file, 'utf8'));
      const hosts = doc.getIn(['spec', 'hosts'], true);
      if (!isSeq(hosts)) throw new Error('no spec.hosts');
      hosts.items = hosts.items.filter((h) => isMap(h) && h.get('role') === 'manager');
      const partial = join(dirname(file), 'm1-only.yaml');
      writeFileSync(partial, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
      const r = await eectl('reset', '-c', partial, '--yes', '--json');
      expect(r.code, r.stderr).toBe(3);
      expect(r.json?.error?.code).toBe('EUNLISTED_MANAGERS');
      expect(r.json?.error?.message).toMatch(/the swarm has 1 manager that the cluster file does not list/);
      expect(r.json?.error?.message).toContain(`w1 (${sandbox.host('w1').address}`);
      expect(await engineState('m1')).toMatch(/ active$/);
      expect((await sandbox.exec('m1', 'test -s /var/lib/eectl/install-record.json')).code).toBe(0);
    } finally {
      await sandbox.exec('m1', 'docker node demote w1', { check: true });
      await waitFor('w1 a worker again', async () => (await w1ControlAvailable()) === 'false', 60_000);
    }
  });

  it('refuses without --yes when there is no terminal, and changes nothing', async () => {
    const r = await eectl('reset', '-c', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[ECONFIRM\].*no terminal/);
    expect(r.stderr).toContain('Pass --yes');
    const json = await eectl('reset', '-c', file, '--json');
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
      const r = await eectl('reset', '-c', file, '--yes', '--json');
      expect(r.code, r.stderr).toBe(5);
      expect(r.json?.error?.code).toBe('ELOCKED');
      expect(r.json?.error?.message).toContain('ops@laptop (pid 4242, `eectl install`)');
    } finally {
      await sandbox.exec('m1', 'rm -rf /var/lib/eectl/lock', { check: true });
    }
    expect(await engineState('m1')).toMatch(/ active$/);
    expect(await engineState('w1')).toMatch(/ active$/);
  });

  it('--dry-run lists per host what would be removed and what stays, and removes nothing', async () => {
    // A service of a stack (no replicas, so no image is needed): the dry run names what the reset destroys.
    await sandbox.exec(
      'm1',
      'docker service create --detach --quiet --no-resolve-image --replicas 0 --name doomed_web --label com.docker.stack.namespace=doomed busybox:none',
      { check: true },
    );
    const r = await eectl('reset', '-c', file, '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as ResetResult;
    expect(result).toMatchObject({ dryRun: true, alreadyClean: false });
    const services = (
      await sandbox.exec('m1', "docker service ls --format '{{.Name}}'", { check: true })
    ).stdout
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(services).toContain('doomed_web');
    expect(result.destroys?.services).toEqual(services);
    expect(result.destroys?.stacks).toContain('doomed');
    const human = await eectl('reset', '-c', file, '--dry-run');
    expect(human.stdout).toMatch(
      /the swarm, with \d+ services? \(.*doomed_web.*\), \d+ stacks? \(.*doomed.*\)/,
    );
    const [m1, w1] = result.hosts;
    expect(m1?.removed[0]).toBe('leave the swarm (--force: the cluster is being destroyed)');
    expect(w1?.removed[0]).toBe('leave the swarm');
    expect(m1?.removed).toEqual(
      expect.arrayContaining([
        'stop docker',
        expect.stringMatching(/^purge docker\.io, .*containerd/),
        "remove eectl's package source",
        expect.stringMatching(/^remove \/var\/lib\/docker, \/var\/lib\/containerd, \/etc\/eectl/),
        expect.stringMatching(
          /^delete the engine's network links br-[0-9a-f]{12}, docker0 and docker_gwbridge$/,
        ),
        expect.stringMatching(/^remove the engine's firewall chains DOCKER, /),
        'put back /etc/docker/daemon.json as it was before install',
        'delete the docker group',
        "remove /var/lib/eectl (eectl's state and the install record)",
      ]),
    );
    // /etc/docker is not in the list of paths removed whole (only what the engine eectl installed added).
    expect(m1?.removed.filter((d) => /^remove .*\/etc\/docker(,| and |$)/.test(d))).toEqual([]);
    expect(m1?.kept).toEqual(['/etc/docker (certs.d: registry.example.com:5000)']);
    // w1's engine was there before eectl: it stays, with its group and data, and runs again.
    expect(w1?.removed).toEqual(
      expect.arrayContaining(['stop docker', "remove eectl's package source", 'enable and start docker']),
    );
    expect(w1?.removed.join('\n')).not.toMatch(
      /purge|docker group|\/var\/lib\/docker|network links|firewall/,
    );
    expect(w1?.kept).toEqual(expect.arrayContaining(['docker.io', 'the docker group']));
    // The packages once, each with its hosts: m1's docker.io goes, w1 (whose engine stays) is on none.
    expect(result.packages.find((p) => p.name === 'docker.io')?.hosts).toContain(m1?.host);
    expect(result.packages.filter((p) => p.hosts.includes(w1!.host))).toEqual([]);
    expect(human.stdout).toMatch(/^ {2}packages to remove:\n {4}docker\.io[,:] /m);
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    expect(await engineState('m1')).toMatch(/ active$/);
    expect(await engineState('w1')).toMatch(/ active$/);
  });

  it('resets the hosts it reaches, back to what they had, and reports the others with exit 4', async () => {
    await sandbox.partition('w1');
    try {
      const r = await eectl('reset', '-c', file, '--yes', '--json');
      expect(r.code, r.stderr).toBe(4);
      expect(r.json?.error?.code).toBe('EUNREACHABLE');
      expect(r.json?.error?.message).toMatch(
        new RegExp(`^did not reset 1 of 2 hosts:\\n  ${sandbox.host('w1').address}: not reached`),
      );
    } finally {
      await sandbox.heal('w1');
    }
    expect(await leftovers('m1')).toBe(before.get('m1'));
    // Byte for byte (the exec helper strips a final newline from what it prints).
    expect((await sandbox.exec('m1', 'base64 -w0 /etc/docker/daemon.json')).stdout).toBe(
      Buffer.from(OPERATOR_DAEMON_JSON).toString('base64'),
    );
    expect((await sandbox.exec('m1', `cat ${OPERATOR_CERTS_D}/ca.crt`)).stdout).toBe("operator's CA");
    // Nothing else: not even the key.json the engine eectl installed made there.
    expect((await sandbox.exec('m1', 'ls -A /etc/docker /etc/docker/certs.d')).stdout).toBe(
      '/etc/docker:\ncerts.d\ndaemon.json\n\n/etc/docker/certs.d:\nregistry.example.com:5000',
    );
    // w1 was not reached: its engine runs and it has not left the swarm. Whether it calls its membership
    // active, pending or error right after the partition heals depends on timing (its managers are gone),
    // so only what is always true is asserted: a swarm member, not inactive.
    expect(await engineState('w1')).toMatch(/^20\.10\.\S+ (active|pending|error)$/);
  });

  it('resets the rest when run again: w1 keeps its own engine, image and group, and is out of the swarm', async () => {
    const r = await eectl('reset', '-c', file, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = r.json?.result as ResetResult;
    expect(result.hosts.map((h) => [h.host, h.clean])).toEqual([
      [sandbox.host('m1').address, true],
      [sandbox.host('w1').address, false],
    ]);
    // A worker whose swarm state is not `active` (its managers are gone: `error` or `pending`, by timing)
    // leaves with --force; either way leaving the swarm is the first thing reset does to it.
    expect(result.hosts[1]?.removed[0]).toMatch(
      /^leave the swarm( \(--force: the cluster is being destroyed\))?$/,
    );
    expect(await leftovers('m1')).toBe(before.get('m1'));
    expect(withoutNetwork(await leftovers('w1'))).toBe(withoutNetwork(before.get('w1')!));
    expect(await engineState('w1')).toMatch(/^20\.10\.\S+ inactive$/);
    expect(
      (await sandbox.exec('w1', "docker image ls --format '{{.Repository}}:{{.Tag}}'")).stdout.trim(),
    ).toBe('operators:1');
    expect((await sandbox.exec('w1', 'test -e /etc/eectl || test -e /var/lib/eectl')).code).not.toBe(0);
  });

  it('changes nothing on clean hosts and says so, whatever engine they run', async () => {
    const r = await eectl('reset', '-c', file, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.result).toMatchObject({ dryRun: false, alreadyClean: true, changes: [] });
    const human = await eectl('reset', '-c', file, '--yes');
    expect(human.stdout).toContain('is already clean: nothing changed');
    expect(await leftovers('m1')).toBe(before.get('m1'));
    expect(await engineState('w1')).toMatch(/ inactive$/);
  });

  it('installs again on the reset hosts: a fresh cluster without the old data', async () => {
    const install = await eectl('install', '-c', file, '--json');
    expect(install.code, install.stderr).toBe(0);
    expect((install.json?.result as InstallResult).nodes.map((n) => n.state)).toEqual(['ready', 'ready']);
    const data = 'docker volume ls -q; docker image ls -q; docker ps -aq; docker network ls -q -f name=apps';
    expect((await sandbox.exec('m1', data)).stdout, 'm1').toBe('');
    expect((await sandbox.exec('w1', "docker image ls --format '{{.Repository}}'")).stdout.trim()).toBe(
      'operators',
    );
  });
});
