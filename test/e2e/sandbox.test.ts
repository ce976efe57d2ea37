import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterSchema } from '../../src/lib/config/schema.js';
import { DockerCli } from '../../src/lib/sandbox/docker.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { firstWorkloadCommand, WORKLOAD_INDEX } from '../../src/lib/sandbox/workload-image.js';
import type { ListedSandbox } from '../../src/lib/sandbox/list.js';
import { mirrorDockerVersions } from '../../src/lib/sandbox/mirror.js';
import { LABEL, sandboxCacheDir, type SandboxDescription } from '../../src/lib/sandbox/state.js';
import { TESTED_ENGINES } from '../../src/lib/tested.js';
import { uniqueSandboxName, useSandbox } from './helpers/sandbox.js';

// Read from the mirror's index, so a Debian point release (…+deb12u2) does not break the suite.
const dockerVersions = async (): Promise<{ bookworm: string; trixie: string }> => {
  const versions = await mirrorDockerVersions(sandboxCacheDir());
  const find = (line: string): string => versions.find((v) => v.startsWith(line)) ?? `${line}?`;
  // The versions `eectl version` says eectl is tested with: the mirror must serve exactly these.
  const [older, newer] = TESTED_ENGINES;
  return { bookworm: find(older.version), trixie: find(newer.version) };
};

describe('eectl sandbox: 3 managers, 2 workers, 1 registry host', () => {
  const sandbox = useSandbox({ name: 'sandbox', managers: 3, workers: 2, registries: 1 });

  it('gives six Debian 12 machines booting systemd, each with its own host keys and machine id', async () => {
    expect(sandbox.hosts.map((h) => h.hostname)).toEqual(['m1', 'm2', 'm3', 'w1', 'w2', 'r1']);
    const seen = await Promise.all(
      sandbox.hosts.map(async (host) => {
        const r = await sandbox.exec(
          host,
          '. /etc/os-release; echo "$ID $VERSION_ID"; ps -p 1 -o comm=; systemctl is-system-running; hostname; ' +
            'cat /etc/machine-id; cut -d" " -f2 /etc/ssh/ssh_host_ed25519_key.pub',
          { check: true },
        );
        const [os, pid1, state, hostname, machineId, hostKey] = r.stdout.split('\n');
        expect(os).toBe('debian 12');
        expect(pid1).toBe('systemd');
        expect(['running', 'degraded']).toContain(state);
        expect(hostname).toBe(host.hostname);
        return { machineId, hostKey, address: host.address };
      }),
    );
    expect(new Set(seen.map((s) => s.hostKey)).size).toBe(6);
    expect(new Set(seen.map((s) => s.machineId)).size).toBe(6);
    const knownHosts = readFileSync(sandbox.knownHostsFile, 'utf8');
    for (const s of seen) expect(knownHosts).toContain(`${s.address} ssh-ed25519 ${s.hostKey}`);
  });

  it('lets the sandbox key log in over real SSH with strict host key checking: root, and eectl with sudo', async () => {
    for (const host of sandbox.hosts) {
      const r = await sandbox.ssh(host, 'id -un && sudo -n true && echo sudo-ok');
      expect(r.stderr).not.toMatch(/warning/i);
      expect(r.stdout.split('\n'), `${host.hostname}: ${r.stderr}`).toEqual([host.user, 'sudo-ok']);
    }
    expect(sandbox.hosts.filter((h) => h.role === 'manager').every((h) => h.user === 'root')).toBe(true);
    expect(sandbox.hosts.filter((h) => h.role !== 'manager').every((h) => h.user === 'eectl')).toBe(true);
    // Strict checking really is on: without the sandbox's known_hosts the login is refused.
    const empty = join(sandbox.description.stateDir, 'empty_known_hosts');
    await writeFile(empty, '');
    const refused = await sandbox.ssh('w1', 'true', { knownHostsFile: empty });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/host key verification failed/i);
  });

  it('writes a cluster file that satisfies the schema and names the hosts, the mirror and the registry bundle', () => {
    const config = clusterSchema.parse(parse(readFileSync(sandbox.clusterFile, 'utf8')));
    const d: SandboxDescription = sandbox.description;
    expect(config.metadata.name).toBe(sandbox.name);
    expect(config.spec.hosts.map((h) => [h.address, h.role, h.ssh.user, h.ssh.keyPath])).toEqual(
      d.hosts.map((h) => [h.address, h.role, h.user, d.keyPath]),
    );
    expect(config.spec.engine).toMatchObject({ source: 'mirror', repoUrl: d.mirrorUrl });
    expect(config.spec.registry.image).toBe(d.registry?.image);
    expect(config.spec.images.bundles).toEqual([d.workload?.bundle, d.registry?.bundle]);
    expect(existsSync(d.registry?.bundle ?? '')).toBe(true);
    expect(existsSync(d.workload?.bundle ?? '')).toBe(true);
  });

  it('points apt at the mirror only, which has docker.io 20.10.24 and 26.1.5 with their dependencies', async () => {
    const { bookworm, trixie } = await dockerVersions();
    const r = await sandbox.exec(
      'w1',
      `set -e
       grep -rhs '^deb' /etc/apt/sources.list /etc/apt/sources.list.d/ || true
       apt-get update -qq
       apt-cache policy docker.io
       apt-get install -y -qq --download-only docker.io=${bookworm} >/dev/null
       apt-get install -y -qq --download-only docker.io=${trixie} docker-cli >/dev/null
       echo download-ok`,
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const sources = r.stdout.split('\n').filter((l) => l.startsWith('deb'));
    // One source, the gateway's mirror, under its second name (`debian-host`): eectl's own source for the
    // engine names `…/debian` with the signature checked, and apt refuses one URL with two trust settings.
    expect(sources).toEqual([`deb [trusted=yes] ${sandbox.description.mirrorUrl}-host bookworm main`]);
    expect(r.stdout).toContain(bookworm);
    expect(r.stdout).toContain(trixie);
    expect(r.stdout).toContain('download-ok');
  });

  it('installs docker.io from the mirror and serves the registry bundle on the registry host', async () => {
    const { bookworm } = await dockerVersions();
    const bundle = sandbox.description.registry?.bundle ?? '';
    await sandbox.copyTo('r1', bundle, '/root/registry.tar');
    const r = await sandbox.exec(
      'r1',
      `set -e
       export DEBIAN_FRONTEND=noninteractive
       apt-get update -qq && apt-get install -y -qq docker.io=${bookworm} >/dev/null
       docker version --format '{{.Server.Version}}'
       docker load -i /root/registry.tar
       docker run -d --name registry -p 5000:5000 -v /var/lib/eectl/registry:/var/lib/registry ${sandbox.description.registry?.image}
       for i in $(seq 1 30); do curl -fsS http://127.0.0.1:5000/v2/ && break; sleep 1; done`,
      { timeoutMs: 600_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('20.10.24');
    expect(r.stdout).toContain(`Loaded image: ${sandbox.description.registry?.image}`);
    expect(r.stdout.trim().endsWith('{}')).toBe(true);
  });

  it('gives a first workload: the printed service create runs the busybox image, whose httpd answers on the published port', async () => {
    // r1 has an engine since the test above; a one-node swarm there, left again at the end.
    const workload = sandbox.description.workload;
    expect(workload?.image).toMatch(/^eectl-sandbox\/busybox:/);
    const address = sandbox.description.hosts.find((h) => h.hostname === 'r1')!.address;
    await sandbox.copyTo('r1', workload?.bundle ?? '', '/root/workload.tar');
    const r = await sandbox.exec(
      'r1',
      `set -e
       docker load -i /root/workload.tar
       docker swarm init --advertise-addr ${address} >/dev/null
       ${firstWorkloadCommand(workload?.image ?? '').join(' ')} >/dev/null
       for i in $(seq 1 60); do curl -fsS http://${address}:8080/ && break; sleep 1; done
       docker service rm hello >/dev/null
       docker swarm leave --force >/dev/null`,
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Loaded image: ${workload?.image}`);
    expect(r.stdout).toContain(WORKLOAD_INDEX.trim());
  });

  it('stops and starts a host: it boots again with the same identity', async () => {
    await sandbox.stop('w2');
    expect((await sandbox.ssh('w2', 'true')).code).not.toBe(0);
    await sandbox.start('w2');
    const r = await sandbox.ssh('w2', 'systemctl is-system-running; ip -4 -o addr show eth0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(sandbox.host('w2').address);
  });

  it('partitions a host from everyone or from some peers, and heals it', async () => {
    const w1 = sandbox.host('w1').address;
    const probe = `timeout 3 bash -c '</dev/tcp/${w1}/22' && echo reachable || echo unreachable`;
    const from = async (hostname: string): Promise<string> =>
      (await sandbox.exec(hostname, probe)).stdout.trim();

    await sandbox.partition('w1');
    expect(await from('m1')).toBe('unreachable');
    expect((await sandbox.ssh('w1', 'true')).code).not.toBe(0);
    expect((await sandbox.exec('w1', 'echo still-here')).stdout).toBe('still-here');

    await sandbox.partition('w1', { peers: [sandbox.host('m1').address] });
    expect(await from('m1')).toBe('unreachable');
    expect(await from('m2')).toBe('reachable');

    await sandbox.heal('w1');
    expect(await from('m1')).toBe('reachable');
    expect((await sandbox.ssh('w1', 'true')).code).toBe(0);
  });
});

describe('eectl sandbox up / ls / down (the commands)', () => {
  const target = uniqueSandboxName('down');
  const bystander = uniqueSandboxName('keep');
  let home = '';
  const eectl = (...args: string[]) =>
    runLocal(process.execPath, [join(import.meta.dirname, '../../bin/run.js'), 'sandbox', ...args], {
      check: false,
      timeoutMs: 900_000,
      env: { EECTL_HOME: home },
    });
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-e2e-cli-'));
  });
  afterAll(async () => {
    await eectl('down', '--name', target);
    await eectl('down', '--name', bystander);
    await rm(home, { recursive: true, force: true });
  });

  it('brings up two sandboxes at once; down removes all that one made (containers, volumes, network, processes, files) and nothing of the other', async () => {
    const docker = new DockerCli();
    const [up, kept] = await Promise.all([
      eectl('up', '--name', target, '--managers', '1', '--workers', '1', '--registries', '1', '--json'),
      eectl('up', '--name', bystander, '--managers', '1', '--workers', '0', '--json'),
    ]);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(kept.code, kept.stdout + kept.stderr).toBe(0);
    const made = JSON.parse(up.stdout).result as SandboxDescription;
    const other = JSON.parse(kept.stdout).result as SandboxDescription;
    expect(made.network.subnet).not.toBe(other.network.subnet);

    const listed = JSON.parse((await eectl('ls', '--json')).stdout).result.sandboxes as ListedSandbox[];
    expect(listed.find((s) => s.name === target)).toMatchObject({ complete: true, mirror: 'running' });
    expect(listed.find((s) => s.name === target)?.hosts.map((h) => [h.hostname, h.state])).toEqual([
      ['m1', 'running'],
      ['w1', 'running'],
      ['r1', 'running'],
    ]);
    const ids = (await docker.containersLabelled(`${LABEL.sandbox}=${target}`)).map((c) => c.id);
    expect(ids).toHaveLength(4); // m1, w1, r1 and the mirror server
    const otherBefore = await snapshot(docker, other);

    const down = await eectl('down', '--name', target, '--json');
    expect(down.code, down.stdout + down.stderr).toBe(0);

    const label = `${LABEL.sandbox}=${target}`;
    expect(await docker.containersLabelled(label)).toEqual([]);
    expect(await docker.volumesLabelled(label)).toEqual([]);
    expect(await docker.networksLabelled(label)).toEqual([]);
    expect(existsSync(made.stateDir)).toBe(false);
    expect(existsSync(made.knownHostsFile)).toBe(false);
    // The cluster's state directory goes too (~/.eectl/<name>); the other sandbox's stays.
    expect(existsSync(join(home, target))).toBe(false);
    expect(existsSync(join(home, bystander))).toBe(true);
    const processes = (await runLocal('ps', ['-eo', 'args'])).stdout;
    for (const id of ids) expect(processes).not.toContain(id);
    expect(processes).not.toContain(`${made.network.gateway}:`);
    // The other sandbox is exactly as it was.
    expect(await snapshot(docker, other)).toEqual(otherBefore);
    expect(otherBefore.containers.every((c) => c.endsWith('running'))).toBe(true);
  });
});

/** What `down` must leave alone of a sandbox: its containers, volumes, network and files. */
async function snapshot(docker: DockerCli, sandbox: SandboxDescription) {
  const label = `${LABEL.sandbox}=${sandbox.name}`;
  return {
    containers: (await docker.containersLabelled(label)).map((c) => `${c.name} ${c.state}`).sort(),
    volumes: (await docker.volumesLabelled(label)).sort(),
    networks: await docker.networksLabelled(label),
    files: [sandbox.clusterFile, sandbox.keyPath, sandbox.knownHostsFile].map((f) => existsSync(f)),
    knownHosts: readFileSync(sandbox.knownHostsFile, 'utf8'),
  };
}
