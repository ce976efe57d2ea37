import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl, startEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { uniqueSandboxName, useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

// What the sandbox mirror offers: bookworm's docker.io and trixie's.
const OLD_DAEMON = '20.10.24';
const NEW_DAEMON = '26.1.5';

interface Change {
  host: string;
  description: string;
  applied: boolean;
}

/** One sample of the cluster during an upgrade, read through the mutual-TLS API of whichever manager answers. */
interface Sample {
  at: number;
  /** The manager that answered, or undefined when none did. */
  via: string | undefined;
  webRunning: number;
  /** Per host: its running web containers, or why it did not say (counted as 0 in webRunning). */
  web: Record<string, number | string>;
  reachableManagers: number;
}

/** What the upgrade describe leaves for the restore onto engine 26.1 at new addresses. */
const drWork = mkdtempSync(join(tmpdir(), 'eectl-upgrade-dr-'));
const drKey = join(drWork, 'key.txt');
const dr = { archive: '', ca: '', subnet: '', image: '', sourceAddress: '', oldAddresses: [] as string[] };

describe('eectl upgrade: 3 managers + 2 workers from 20.10 to 26.1 under a running service', () => {
  const sandbox = useSandbox({ name: 'upgrade', managers: 3, workers: 2 });
  const managers = ['m1', 'm2', 'm3'];
  const all = ['m1', 'm2', 'm3', 'w1', 'w2'];
  const address = (h: string) => sandbox.host(h).address;
  const bundle = mkdtempSync(join(tmpdir(), 'eectl-upgrade-bundle-'));
  const file = () => sandbox.clusterFile;
  const eectl = (...args: string[]) => runEectl([...args, '-c', file(), '--json']);

  /** When each engine started (systemd's ActiveEnterTimestampMonotonic, µs), by host. */
  const startTimes = async (): Promise<Record<string, number>> => {
    const entries = await Promise.all(
      all.map(async (h) => {
        const r = await sandbox.exec(h, 'systemctl show docker -p ActiveEnterTimestampMonotonic --value', {
          check: true,
        });
        // The sandbox hosts share one kernel, so their monotonic clocks agree.
        return [h, Number(r.stdout.trim())] as const;
      }),
    );
    return Object.fromEntries(entries);
  };
  const daemonVersions = async () =>
    Promise.all(
      all.map(async (h) =>
        (await sandbox.exec(h, "docker version --format '{{.Server.Version}}'")).stdout.trim(),
      ),
    );
  const setDaemon = (yaml: string) => {
    const text = readFileSync(file(), 'utf8').replace(/\n {4}daemon:.*(\n {6}.*)*/, '');
    writeFileSync(file(), text.replace(/(\n {2}engine:\n)/, `$1${yaml}`));
  };
  const setVersion = (version: string) =>
    writeFileSync(file(), readFileSync(file(), 'utf8').replace(/version: "[^"]*"/, `version: "${version}"`));

  function api(host: string, path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: address(host),
          port: 2376,
          path,
          ca: readFileSync(join(bundle, 'ca.pem')),
          cert: readFileSync(join(bundle, 'cert.pem')),
          key: readFileSync(join(bundle, 'key.pem')),
          servername: host,
          timeout: 2000,
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(body))));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  async function sample(): Promise<Sample> {
    const at = Date.now();
    // Replicas that serve: web containers running on the hosts (what users reach, leader or not).
    const web: Record<string, number | string> = {};
    const counts = await Promise.all(
      all.map(async (h) => {
        // pipefail: a docker ps that fails is "no answer", not "0 running" (both count as 0 below).
        const r = await sandbox.exec(
          h,
          'set -o pipefail; docker ps -q --filter label=com.docker.swarm.service.name=web | wc -l',
        );
        const count = Number(r.stdout.trim());
        web[h] =
          r.code === 0 && Number.isInteger(count)
            ? count
            : `no answer (exit ${r.code}: ${r.stderr.trim().split('\n').at(-1) ?? ''})`;
        return r.code === 0 ? count || 0 : 0;
      }),
    );
    let via: string | undefined;
    let reachableManagers = 0;
    for (const m of managers) {
      try {
        await api(m, '/version');
        via ??= m;
        const nodes = (await api(m, '/nodes')) as { ManagerStatus?: { Reachability?: string } }[];
        reachableManagers = nodes.filter((n) => n.ManagerStatus?.Reachability === 'reachable').length;
        break;
      } catch {
        // the next manager
      }
    }
    return { at, via, webRunning: counts.reduce((a, b) => a + b, 0), web, reachableManagers };
  }

  /** Samples every second until stopped. */
  function sampler(): { stop: () => Promise<Sample[]> } {
    const samples: Sample[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = Date.now();
        samples.push(await sample());
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return samples;
      },
    };
  }

  it('installs 20.10 with a 4-replica service and a global one, and a client bundle for the API', async () => {
    const r = await eectl('install');
    expect(r.code, r.stderr).toBe(0);
    expect(new Set(await daemonVersions())).toEqual(new Set([`${OLD_DAEMON}+dfsg1`]));
    const image = await loadBusybox(sandbox, all);
    await sandbox.exec(
      'm1',
      `docker service create --detach --name web --replicas 4 --replicas-max-per-node 1 --no-resolve-image ${image} /bin/busybox sleep 100000 && ` +
        `docker service create --detach --name agent --mode global --no-resolve-image ${image} /bin/busybox sleep 100000`,
      { check: true },
    );
    await waitFor(
      'web 4/4 and agent 5/5',
      async () => {
        const ls = await sandbox.exec('m1', "docker service ls --format '{{.Name}} {{.Replicas}}'");
        return ls.stdout.includes('web 4/4') && ls.stdout.includes('agent 5/5');
      },
      180_000,
    );
    const cc = await runEectl(
      ['client-config', '-c', file(), '--user', 'upgrade-test', '--out', join(bundle, 'b'), '--json'],
      { env: { DOCKER_CONFIG: join(bundle, 'docker') } },
    );
    expect(cc.code, cc.stderr).toBe(0);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem'])
      writeFileSync(join(bundle, f), readFileSync(join(bundle, 'b', f)));
    expect((await sample()).webRunning).toBe(4);
  }, 1_200_000);

  it('refuses a daemon option the engine would reject before any restart (exit 3)', async () => {
    const before = await startTimes();
    setDaemon('    daemon: { log-level: loud }\n');
    const r = await eectl('install');
    expect(r.code, r.stdout).toBe(3);
    expect(r.json?.error?.code).toBe('EDAEMON_CONFIG');
    expect(await startTimes()).toEqual(before);
    const json = await sandbox.exec('m2', 'cat /etc/docker/daemon.json 2>/dev/null || true');
    expect(json.stdout).not.toContain('loud');
  });

  it('rolls a valid daemon option one host at a time: managers first, each restart after the last one is done', async () => {
    const before = await startTimes();
    setDaemon('    daemon: { log-opts: { max-size: "10m" } }\n');
    const r = await eectl('install');
    expect(r.code, r.stderr).toBe(0);
    const after = await startTimes();
    const restarted = all.filter((h) => after[h] !== before[h]);
    expect(restarted.sort()).toEqual([...all].sort());
    // One at a time: each restart is seconds after the one before (drain, restart, checks, Ready again).
    const order = [...all].sort((a, b) => after[a]! - after[b]!);
    expect(order.slice(0, 3).sort()).toEqual(managers);
    for (let i = 1; i < order.length; i++) {
      expect(after[order[i]!]! - after[order[i - 1]!]!, `${order[i - 1]} then ${order[i]}`).toBeGreaterThan(
        3_000_000,
      );
    }
    for (const h of all) {
      const f = await sandbox.exec(h, 'cat /etc/docker/daemon.json', { check: true });
      expect(JSON.parse(f.stdout)['log-opts'], h).toEqual({ 'max-size': '10m' });
    }
    const changes = (r.json?.result as { changes: Change[] }).changes;
    expect(changes.some((c) => c.description.startsWith('drain node'))).toBe(true);
    // The leader's turn: demoted first (leadership handed over, no election), a manager again after.
    const demoted = changes.filter((c) => /^demote node .* for its turn/.test(c.description));
    expect(demoted.map((c) => c.host)).toHaveLength(1);
    expect(managers.map(address)).toContain(demoted[0]!.host);
    expect(
      changes.filter((c) => c.host === demoted[0]!.host && c.description.startsWith('promote node')),
    ).toHaveLength(1);
    const again = await eectl('install');
    expect((again.json?.result as { converged: boolean }).converged, again.stdout).toBe(true);
  }, 1_500_000);

  it('install with engine.version edited to 26.1 restarts no engine and names the hosts it left', async () => {
    const before = await startTimes();
    setVersion('26.1');
    const r = await eectl('install');
    expect(r.code, r.stderr).toBe(0);
    const warnings = (r.json?.result as { warnings: string[] }).warnings;
    expect(warnings.join('\n')).toContain('eectl upgrade');
    for (const h of all) expect(warnings.join('\n')).toContain(address(h));
    expect(await startTimes()).toEqual(before);
    expect(new Set(await daemonVersions())).toEqual(new Set([`${OLD_DAEMON}+dfsg1`]));
    setVersion('20.10');
  });

  let firstManager = '';
  let firstDoneAt: Record<string, number> = {};
  const samples: Sample[] = [];

  it('upgrade --to 26.1, killed after the first manager: the rerun finishes without touching it again', async () => {
    const textBefore = readFileSync(file(), 'utf8');
    // The first manager in the order: the first non-leader of the file (leadership moved in the roll above).
    const leader = (
      await sandbox.exec(
        'm1',
        "docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}'",
        {
          check: true,
        },
      )
    ).stdout
      .split('\n')
      .find((l) => l.endsWith('Leader'))
      ?.split(' ')[0];
    firstManager = managers.find((m) => m !== leader)!;
    const s = sampler();
    const killed = startEectl([
      'upgrade',
      '-c',
      file(),
      '--to',
      '26.1',
      '--yes',
      '--no-backup',
      '--log-level',
      'info',
    ]);
    try {
      await waitFor(
        `${firstManager} upgraded, Ready, Reachable and active again`,
        async () => {
          const v = await sandbox.exec(firstManager, "docker version --format '{{.Server.Version}}'");
          if (!v.stdout.startsWith(NEW_DAEMON)) return false;
          const n = await sandbox.exec(
            'm1',
            `docker node inspect --format '{{.Status.State}} {{.ManagerStatus.Reachability}} {{.Spec.Availability}}' ${firstManager}`,
          );
          return n.stdout.trim() === 'ready reachable active';
        },
        // A manager's turn took 4 min on this machine under load (the package install alone 2.5 min).
        1_200_000,
      );
    } finally {
      killed.kill('SIGKILL');
      await killed;
      samples.push(...(await s.stop()));
    }
    firstDoneAt = await startTimes();
    // The file says the new version, and only that line changed.
    const textAfter = readFileSync(file(), 'utf8');
    expect(textAfter).toBe(textBefore.replace('version: "20.10"', 'version: "26.1"'));

    const rest = sampler();
    const r = await runEectl(['upgrade', '-c', file(), '--yes', '--no-backup', '--json'], {
      timeoutMs: 2_000_000,
    }).finally(async () => samples.push(...(await rest.stop())));
    expect(r.code, r.stdout).toBe(0);
    const result = r.json?.result as {
      changes: Change[];
      plan: { hosts: { host: string; changes: boolean }[] };
    };
    expect(result.plan.hosts.find((h) => h.host === address(firstManager))?.changes).toBe(false);
    expect(result.changes.filter((c) => c.host === address(firstManager) && c.applied)).toEqual([]);
    const end = await startTimes();
    expect(end[firstManager]).toBe(firstDoneAt[firstManager]);
    expect(new Set(await daemonVersions())).toEqual(new Set([`${NEW_DAEMON}+dfsg1`]));
    for (const h of all) {
      const held = await sandbox.exec(h, 'apt-mark showhold', { check: true });
      expect(held.stdout.split('\n'), h).toEqual(expect.arrayContaining(['docker.io', 'docker-cli']));
    }
  }, 3_000_000);

  it('kept the service, the quorum and the API up at every sample of both runs', () => {
    expect(samples.length).toBeGreaterThan(30);
    const noApi = samples.filter((s) => s.via === undefined);
    expect(noApi, 'samples where no manager answered over mutual TLS').toEqual([]);
    // The samples under 3, each with every host's count or why it did not answer: what a failure needs to
    // tell a real outage from a host that did not answer in time.
    const low = samples
      .filter((s) => s.webRunning < 3)
      .slice(0, 8)
      .map((s) => `${new Date(s.at).toISOString()} ${JSON.stringify(s.web)}`);
    expect(
      Math.min(...samples.map((s) => s.webRunning)),
      `fewest web replicas running; samples under 3:\n${low.join('\n')}`,
    ).toBeGreaterThanOrEqual(3);
    expect(
      Math.min(...samples.map((s) => s.reachableManagers)),
      'fewest managers reachable',
    ).toBeGreaterThanOrEqual(2);
  });

  it('refuses a downgrade with exit 3 and changes nothing', async () => {
    const before = await startTimes();
    const text = readFileSync(file(), 'utf8');
    const r = await eectl('upgrade', '--to', '20.10', '--yes');
    expect(r.code, r.stdout).toBe(3);
    expect(r.json?.error?.code).toBe('EDOWNGRADE');
    expect(readFileSync(file(), 'utf8')).toBe(text);
    expect(await startTimes()).toEqual(before);
  });

  it('on 26.1 the engine itself validates daemon.json (dockerd --validate): a bad DNS address is refused before any restart', async () => {
    const before = await startTimes();
    setDaemon('    daemon: { log-opts: { max-size: "10m" }, dns: [not-an-address] }\n');
    const r = await eectl('install');
    expect(r.code, r.stdout).toBe(3);
    expect(r.json?.error?.message).toContain('not-an-address');
    expect(await startTimes()).toEqual(before);
  });

  it('backs up the 26.1 cluster, for the restore onto new addresses below', async () => {
    setDaemon('');
    execFileSync('age-keygen', ['-o', drKey], { stdio: 'ignore' });
    const recipient = /public key: (age1\S+)/.exec(readFileSync(drKey, 'utf8'))?.[1] ?? '';
    const r = await eectl('backup', '--recipient', recipient, '--out', `${drWork}/`);
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    dr.archive = (r.json?.result as { archive: string }).archive;
    dr.ca = join(bundle, 'ca.pem');
    dr.subnet = sandbox.description.network.subnet;
    dr.oldAddresses = all.map(address);
    dr.image = (
      await sandbox.exec(
        'm1',
        "docker service inspect web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'",
        {
          check: true,
        },
      )
    ).stdout
      .trim()
      .replace(/@sha256:.*$/, '');
  }, 1_200_000);
});

/**
 * The disaster on engine 26.1: every host of the upgraded cluster is gone (its sandbox is removed when the
 * describe above ends) and its archive is restored onto fresh hosts on another subnet whose file says 26.1.
 * The restore onto new addresses is tested on 20.10 in backup.test.ts; this is the same on 26.1.
 */
describe('eectl restore onto new addresses with engine 26.1 (3 managers, 2 workers, another subnet)', () => {
  // The old subnet is held by a placeholder network (labelled, so `sandbox down --prefix` removes it too),
  // so the new sandbox gets another one.
  const hold = `eectl-${uniqueSandboxName('upgrade-hold')}`;
  beforeAll(async () => {
    if (!dr.subnet) return;
    await execa('docker', [
      'network',
      'create',
      '--subnet',
      dr.subnet,
      '--label',
      `eectl.sandbox=${uniqueSandboxName('upgrade-hold')}`,
      hold,
    ]);
  });
  afterAll(async () => {
    await execa('docker', ['network', 'rm', hold], { reject: false });
  });
  const sandbox = useSandbox({ name: 'upgrade-dr', managers: 3, workers: 2, addressBase: 100 });

  it('restores: engine 26.1 on every host, only the new nodes, each manager advertising its new address, the services at their counts', async () => {
    expect(dr.archive, 'the upgrade describe made no archive').not.toBe('');
    for (const h of sandbox.hosts) expect(dr.oldAddresses).not.toContain(h.address);
    // The file says 26.1, and brings the services' image as a bundle (there is no registry here).
    const image = join(drWork, 'busybox.tar');
    await execa('docker', ['save', '-o', image, dr.image]);
    const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'engine', 'version'], '26.1');
    doc.setIn(['spec', 'images', 'bundles'], [image]);
    writeFileSync(sandbox.clusterFile, doc.toString());

    const r = await runEectl(
      ['restore', dr.archive, '-c', sandbox.clusterFile, '--identity', drKey, '--trust', dr.ca, '--json'],
      { timeoutMs: 1_500_000 },
    );
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    expect((r.json?.result as { differences: string[] }).differences).toEqual([]);

    const versions = await Promise.all(
      sandbox.hosts.map(async (h) =>
        (await sandbox.exec(h, "docker version --format '{{.Server.Version}}'")).stdout.trim(),
      ),
    );
    expect(new Set(versions)).toEqual(new Set([`${NEW_DAEMON}+dfsg1`]));
    const nodes = JSON.parse(
      (await sandbox.exec('m1', 'docker node inspect $(docker node ls -q)', { check: true })).stdout,
    ) as { Description: { Hostname: string }; Status: { Addr: string }; ManagerStatus?: { Addr: string } }[];
    expect(nodes.map((n) => n.Description.Hostname).sort()).toEqual(['m1', 'm2', 'm3', 'w1', 'w2']);
    for (const n of nodes) {
      const h = sandbox.host(n.Description.Hostname);
      expect(n.Status.Addr, n.Description.Hostname).toBe(h.address);
      if (n.ManagerStatus) expect(n.ManagerStatus.Addr, n.Description.Hostname).toBe(`${h.address}:2377`);
    }
    const joinCommand = (await sandbox.exec('m2', 'docker swarm join-token worker', { check: true })).stdout;
    for (const old of dr.oldAddresses) expect(joinCommand).not.toContain(old);
    const services = (
      await sandbox.exec('m1', "docker service ls --format '{{.Name}} {{.Replicas}}'", { check: true })
    ).stdout;
    expect(services).toContain('web 4/4');
    expect(services).toContain('agent 5/5');
  }, 1_800_000);
});
