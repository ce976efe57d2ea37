import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { ingressImageBundle } from './helpers/ingress.js';
import { uniqueSandboxName, useSandbox, type SandboxUnderTest } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

interface BackupJson {
  archive: string;
  bytes: number;
  source: { host: string; hostname: string };
  outage: boolean;
  swarmId: string;
  pruned: string[];
  counts: { services: number; secrets: number; configs: number; networks: number };
}
interface ManifestJson {
  swarmId: string;
  source: { address: string; hostname: string };
  nodes: { hostname: string; role: string }[];
  services: {
    name: string;
    mode: string;
    replicas?: number;
    secrets: string[];
    configs: string[];
    networks: string[];
  }[];
  secrets: { name: string; id: string }[];
  configs: { name: string; id: string }[];
  networks: { name: string; id: string }[];
  entries: { name: string; sha256: string }[];
}

const PASSPHRASE = 'e2e backup passphrase, long enough';
const PORT = 5443;

/**
 * Samples the swarm's quorum every second from whichever manager answers, until stopped. A second in which no
 * manager answers is a sample too — `answered: false`, no manager reachable — so a lost quorum cannot hide
 * as a gap in the samples.
 */
function sampleQuorum(sandbox: SandboxUnderTest, managers: string[]) {
  const samples: { at: number; reachable: number; managers: number; answered: boolean }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      let answered = false;
      for (const m of managers) {
        const r = await sandbox.exec(m, "docker node ls --format '{{.ManagerStatus}}' 2>/dev/null", {
          timeoutMs: 20_000,
        });
        if (r.code !== 0) continue;
        const statuses = r.stdout.split('\n').filter((l) => l.trim() !== '');
        samples.push({
          at,
          answered: true,
          managers: statuses.length,
          reachable: statuses.filter((s) => s === 'Leader' || s === 'Reachable').length,
        });
        answered = true;
        break;
      }
      if (!answered) samples.push({ at, answered: false, managers: 0, reachable: 0 });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * One look at every host: the swarm tasks' containers it runs, by service (null while its engine is down),
 * and each node's availability as the first manager that answers sees it, read just before and just after
 * the hosts (the reads are not one instant: a node activated between them shows in `availabilityAfter`).
 */
interface TaskSample {
  at: number;
  byHost: Record<string, Record<string, number> | null>;
  availability: Record<string, string>;
  availabilityAfter: Record<string, string>;
}

/**
 * Samples the running containers of swarm services on every host every second, until stopped. A host whose
 * docker.service is not active counts as down and is not asked (asking docker.socket would start it again).
 */
function sampleTasks(sandbox: SandboxUnderTest, hosts: string[], managers: string[]) {
  const samples: TaskSample[] = [];
  let running = true;
  const script =
    'systemctl is-active --quiet docker.service || exit 3; docker ps --format \'{{.Label "com.docker.swarm.service.name"}}\'';
  // Only a manager whose engine runs is asked: asking a stopped one through docker.socket would start it.
  const readAvailability = async () => {
    const availability: Record<string, string> = {};
    for (const m of managers) {
      const r = await sandbox.exec(
        m,
        "systemctl is-active --quiet docker.service || exit 3; docker node ls --format '{{.Hostname}} {{.Availability}}'",
        { timeoutMs: 20_000 },
      );
      if (r.code !== 0) continue;
      for (const [host, value] of r.stdout.split('\n').map((l) => l.trim().split(' ')))
        if (host && value) availability[host] = value;
      break;
    }
    return availability;
  };
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const availability = await readAvailability();
      const seen = await Promise.all(
        hosts.map(async (h) => {
          const r = await sandbox.exec(h, script, { timeoutMs: 20_000 });
          if (r.code !== 0) return [h, null] as const;
          const counts: Record<string, number> = {};
          for (const name of r.stdout.split('\n').filter((l) => l.trim() !== ''))
            counts[name] = (counts[name] ?? 0) + 1;
          return [h, counts] as const;
        }),
      );
      const availabilityAfter = await readAvailability();
      samples.push({ at, byHost: Object.fromEntries(seen), availability, availabilityAfter });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Running containers of a service in one sample, on every host whose engine answered. */
const runningOf = (s: TaskSample, service: string) =>
  Object.values(s.byHost).reduce((sum, c) => sum + (c?.[service] ?? 0), 0);

/**
 * The registry by name (registry.externalUrl), as a site that can move needs it: the services' images name
 * it, and each host's /etc/hosts says where it is — the old registry host, and after a restore onto new
 * addresses the new one. An image named by the old registry host's address could not be pulled there.
 */
const REGISTRY_NAME = 'registry.e2e';
const endpoint = `${REGISTRY_NAME}:${PORT}`;
const image = `${endpoint}/e2e/busybox:1`;
const HOST_PORT = 18080;

/** What the backup describe leaves for the restore onto new addresses: the first archive and its key. */
const work = mkdtempSync(join(tmpdir(), 'eectl-backup-e2e-'));
const keyFile = join(work, 'key.txt');
const bundleDir = join(work, 'bundle');
/** The backed-up cluster's CA certificate, as its client bundle holds it: what a restore elsewhere trusts. */
const oldClusterCa = join(bundleDir, 'ca.pem');
let adminPassword = '';
let archive = '';
let manifest: ManifestJson | undefined;
/** The backed-up sandbox's subnet, held by a placeholder network so the new sandbox gets another. */
let oldSubnet = '';

/** The route the ingress keeps to e2e-port: through the proxy on w1, before the backup and after each restore. */
const ROUTE_HOST = 'port.e2e.example.org';

/** The file's ingress: a proxy on w1, its image as one more bundle (no Docker Hub), beside the registry's. */
async function withIngress(sandbox: SandboxUnderTest): Promise<void> {
  const { image, bundle } = await ingressImageBundle();
  const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
  const bundles =
    (doc.getIn(['spec', 'images', 'bundles']) as { toJSON(): string[] } | undefined)?.toJSON() ?? [];
  doc.setIn(['spec', 'images', 'bundles'], [...bundles, bundle]);
  doc.setIn(['spec', 'ingress'], { nodes: [sandbox.host('w1').address], image });
  writeFileSync(sandbox.clusterFile, doc.toString());
}

/** Waits (bounded: 90 s) until ROUTE_HOST through the proxy at `node` answers e2e-port's page. */
async function routedThrough(node: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  let last = '';
  for (let i = 0; i < 180 && Date.now() < deadline; i++) {
    const r = await execa(
      'curl',
      ['-sS', '--max-time', '5', '--resolve', `${ROUTE_HOST}:80:${node}`, `http://${ROUTE_HOST}/`],
      { reject: false },
    );
    if (r.exitCode === 0 && r.stdout.trim() === 'e2e-port') return;
    last = `curl exit ${r.exitCode}: ${r.stdout.slice(0, 80)} ${r.stderr.slice(0, 120)}`;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`http://${ROUTE_HOST}/ through the proxy at ${node} never answered e2e-port: ${last}`);
}

/** Names the registry in the cluster file and points every host's /etc/hosts at the registry host. */
async function nameTheRegistry(sandbox: SandboxUnderTest, options: { file: boolean }): Promise<void> {
  if (options.file) {
    const doc = parseDocument(readFileSync(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'externalUrl'], endpoint);
    writeFileSync(sandbox.clusterFile, doc.toString());
  }
  const at = sandbox.host('r1').address;
  await Promise.all(
    sandbox.hosts.map((h) =>
      sandbox.exec(h, `printf '%s %s\\n' '${at}' '${REGISTRY_NAME}' >> /etc/hosts`, { check: true }),
    ),
  );
}

describe('eectl backup, backup verify and restore (3 managers, 1 worker, 1 registry host)', () => {
  const sandbox = useSandbox({ name: 'backup', managers: 3, workers: 1, registries: 1 });
  const archives = join(work, 'archives');
  let recipient = '';
  let passphraseArchive = '';
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  const managers = ['m1', 'm2', 'm3'];
  const allHosts = [...managers, 'w1', 'r1'];
  /**
   * What a change would show, as m1 sees it: the swarm's ID, the nodes, the services with their counts,
   * and the ID and node of every task meant to run. It is taken once every service runs at its count
   * (at most 180 s, else the test fails saying so): a task still coming back from the backup's engine
   * stop would otherwise differ from one moment to the next with nothing changed. A task that a change
   * restarted shows as a new task ID.
   */
  const swarmPicture = async () =>
    (
      await run(
        'm1',
        [
          'settled=',
          'for i in $(seq 180); do',
          // An engine that is still coming back answers nothing: empty output is not "every count met".
          '  counts=$(docker service ls --format \'{{.Replicas}}\') && [ -n "$counts" ] &&',
          '    echo "$counts" | awk \'{split($1, c, "/"); if (c[1] != c[2]) bad = 1} END {exit bad}\' && settled=1 && break',
          '  sleep 1',
          'done',
          '[ -n "$settled" ] || { echo "services not at their counts after 180 s:" >&2; docker service ls >&2; exit 1; }',
          "docker info --format '{{.Swarm.Cluster.ID}}'",
          "docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' | sort",
          "docker service ls --format '{{.ID}} {{.Name}} {{.Replicas}}' | sort",
          "docker service ps --filter desired-state=running --format '{{.ID}} {{.Name}} {{.Node}}' $(docker service ls -q) | sort",
        ].join('\n'),
      )
    ).stdout;

  it('installs the cluster, runs a replicated and a global service from the registry, and issues a client bundle', async () => {
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    recipient = /public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))?.[1] ?? '';
    expect(recipient).toMatch(/^age1/);
    await nameTheRegistry(sandbox, { file: true });
    await withIngress(sandbox);
    oldSubnet = sandbox.description.network.subnet;
    const installed = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(installed.code, `${installed.stderr}\n${installed.stdout.slice(0, 3000)}`).toBe(0);
    adminPassword =
      (installed.json?.result as { registry?: { adminPassword?: string } }).registry?.adminPassword ?? '';
    const local = await loadBusybox(sandbox, ['m1']);
    await run(
      'm1',
      [
        'set -e',
        `printf '%s' '${adminPassword}' | docker login -u admin --password-stdin ${endpoint} >/dev/null`,
        `docker tag ${local} ${image} && docker push ${image} >/dev/null`,
        'docker network create --driver overlay e2e-net >/dev/null',
        "printf 's3cret' | docker secret create e2e-secret - >/dev/null",
        "printf 'hello' | docker config create e2e-config - >/dev/null",
        `docker service create --detach=false --quiet --with-registry-auth --name e2e-web --replicas 3 --network e2e-net --secret e2e-secret --config source=e2e-config,target=/etc/e2e.conf ${image} /bin/busybox sleep 36000`,
        `docker service create --detach=false --quiet --with-registry-auth --name e2e-agent --mode global --network e2e-net ${image} /bin/busybox sleep 36000`,
        // A port published in host mode (no routing mesh here): each task answers on its node's address.
        // Routed by the ingress too (labels, and the proxies' network).
        `docker service create --detach=false --quiet --with-registry-auth --name e2e-port --replicas 2 --publish mode=host,target=8080,published=${HOST_PORT} --network eectl-ingress --label eectl.http.host=${ROUTE_HOST} --label eectl.http.port=8080 ${image} /bin/busybox sh -c 'echo e2e-port > /tmp/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp'`,
      ].join('\n'),
    );
    await routedThrough(sandbox.host('w1').address);
    const bundle = await runEectl(['client-config', '-c', sandbox.clusterFile, '--out', bundleDir, '--json']);
    expect(bundle.code, bundle.stderr).toBe(0);
  });

  it('backs up from a non-leader manager, stopped only for the copy, with the quorum kept every second; age and tar open the archive', async () => {
    const leader = (
      await run('m1', "docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}'")
    ).stdout;
    const sampler = sampleQuorum(sandbox, managers);
    const tasks = sampleTasks(sandbox, allHosts, managers);
    const r = await runEectl([
      'backup',
      '-c',
      sandbox.clusterFile,
      '--recipient',
      recipient,
      '--include-registry-data',
      '--out',
      `${archives}/`,
      '--json',
    ]);
    const samples = await sampler.stop();
    const taskSamples = await tasks.stop();
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const result = r.json?.result as BackupJson;
    archive = result.archive;
    expect(leader).not.toContain(`${result.source.hostname} Leader`);
    expect(result.outage).toBe(false);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(
      samples.filter((s) => s.reachable < 2),
      JSON.stringify(samples),
    ).toEqual([]);
    // The stopped manager is back in the quorum when backup returns.
    expect((await swarmPicture()).split('\n').filter((l) => / Ready$/.test(l))).toHaveLength(5);

    const plain = join(work, 'plain');
    execFileSync('mkdir', ['-p', plain]);
    execFileSync('sh', ['-c', 'age -d -i "$1" "$2" | tar -x -C "$3"', 'sh', keyFile, archive, plain]);
    manifest = JSON.parse(readFileSync(join(plain, 'manifest.json'), 'utf8')) as ManifestJson;
    expect(readdirSync(join(plain, 'swarm', 'raft')).length).toBeGreaterThan(0);
    expect(readFileSync(join(plain, 'pki', 'ca.pem'), 'utf8')).toBe(
      readFileSync(join(bundleDir, 'ca.pem'), 'utf8'),
    );
    expect(readdirSync(join(plain, 'registry'))).toEqual(
      expect.arrayContaining(['htpasswd', 'server-cert.pem']),
    );
    // --include-registry-data: the pushed image's repository is in the archive (the restore pulls it).
    expect(
      readdirSync(join(plain, 'registry-data', 'docker', 'registry', 'v2', 'repositories', 'e2e')),
    ).toEqual(['busybox']);
    for (const entry of manifest.entries.filter((e) => e.name.startsWith('pki/'))) {
      const sum = execFileSync('sha256sum', [join(plain, entry.name)])
        .toString()
        .split(' ')[0];
      expect(sum, entry.name).toBe(entry.sha256);
    }
    expect(manifest.services.map((s) => [s.name, s.mode, s.replicas])).toEqual(
      expect.arrayContaining([
        ['e2e-web', 'replicated', 3],
        ['e2e-agent', 'global', undefined],
      ]),
    );
    expect(manifest.services.find((s) => s.name === 'e2e-web')).toMatchObject({
      secrets: ['e2e-secret'],
      configs: ['e2e-config'],
      networks: ['e2e-net'],
    });
    expect(manifest.nodes).toHaveLength(5);

    // The source was drained before its engine stopped: e2e-web's tasks moved first (stop-first, one
    // replacement per task that ran there), so the service never had fewer than 3 minus the tasks the
    // source ran, and while the engine was down all 3 ran elsewhere. It is active again afterwards.
    const source = result.source.hostname;
    const shown = JSON.stringify(
      taskSamples.map((s) => ({ ...s.byHost, availability: s.availability, after: s.availabilityAfter })),
    );
    const down = taskSamples.findIndex((s) => s.byHost[source] === null);
    expect(down, `the source's engine was never seen down: ${shown}`).toBeGreaterThan(0);
    const onSource = taskSamples[0]!.byHost[source]?.['e2e-web'] ?? 0;
    expect(runningOf(taskSamples[0]!, 'e2e-web'), shown).toBe(3);
    expect(
      taskSamples.filter((s) => runningOf(s, 'e2e-web') < 3 - onSource),
      shown,
    ).toEqual([]);
    expect(
      taskSamples.filter((s) => s.byHost[source] === null && runningOf(s, 'e2e-web') < 3),
      shown,
    ).toEqual([]);
    expect(taskSamples[0]!.availability[source], shown).toBe('Active');
    // Drain → stop → copy → start → Ready → activate: availability changes twice, so a sample whose reads
    // before and after the hosts both say the source was not drained saw it down while not drained. (One
    // read each side: the CI run saw the source activated between its engine read and a later one.)
    const notDrained = (s: TaskSample) => {
      const reads = [s.availability[source], s.availabilityAfter[source]].filter((a) => a !== undefined);
      return reads.length > 0 && reads.every((a) => a !== 'Drain');
    };
    expect(
      taskSamples.filter((s) => s.byHost[source] === null && notDrained(s)),
      `the source was not drained while its engine was down: ${shown}`,
    ).toEqual([]);
    expect(
      (await run('m1', `docker node inspect --format '{{.Spec.Availability}}' ${source}`)).stdout.trim(),
    ).toBe('active');
  });

  it('backup verify prints the manifest; a wrong passphrase, a truncated archive and a flipped byte exit 2, changing nothing', async () => {
    // The manifest's signature is checked against this machine's copy of the cluster's CA (-c).
    const verified = await runEectl([
      'backup',
      'verify',
      archive,
      '-c',
      sandbox.clusterFile,
      '--identity',
      keyFile,
      '--json',
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    const checked = verified.json?.result as { manifest: ManifestJson; signature: { verified: boolean } };
    expect(checked.manifest.swarmId).toBe(manifest?.swarmId);
    expect(checked.signature.verified).toBe(true);
    // And against the CA certificate of the client bundle, with no cluster file.
    const viaBundle = await runEectl([
      'backup',
      'verify',
      archive,
      '--trust',
      oldClusterCa,
      '--identity',
      keyFile,
      '--json',
    ]);
    expect(viaBundle.code, viaBundle.stderr).toBe(0);
    const human = await runEectl([
      'backup',
      'verify',
      archive,
      '-c',
      sandbox.clusterFile,
      '--identity',
      keyFile,
    ]);
    expect(human.stdout).toMatch(/OK, every checksum matches/);
    expect(human.stdout).toMatch(/signed by the CA of /);
    expect(human.stdout).toMatch(/e2e-web \(3 replicas\)/);

    // A second backup, with a passphrase and --keep 2: the two older archives of this cluster go.
    const cluster = sandbox.name;
    for (const stamp of ['20200101T000000Z', '20200102T000000Z'])
      writeFileSync(join(archives, `${cluster}-backup-${stamp}.tar.age`), 'old');
    writeFileSync(join(archives, 'other-backup-20200101T000000Z.tar.age'), 'not ours');
    const second = await runEectl(
      ['backup', '-c', sandbox.clusterFile, '--out', `${archives}/`, '--keep', '2', '--json'],
      {
        env: { EECTL_BACKUP_PASSPHRASE: PASSPHRASE },
      },
    );
    expect(second.code, second.stderr).toBe(0);
    const result = second.json?.result as BackupJson;
    passphraseArchive = result.archive;
    expect(result.pruned.map((p) => p.split('/').pop()).sort()).toEqual([
      `${cluster}-backup-20200101T000000Z.tar.age`,
      `${cluster}-backup-20200102T000000Z.tar.age`,
    ]);
    expect(readdirSync(archives).sort()).toEqual(
      [archive, passphraseArchive, join(archives, 'other-backup-20200101T000000Z.tar.age')]
        .map((p) => p.split('/').pop())
        .sort(),
    );
    const ok = await runEectl(['backup', 'verify', passphraseArchive, '-c', sandbox.clusterFile, '--json'], {
      env: { EECTL_BACKUP_PASSPHRASE: PASSPHRASE },
    });
    expect(ok.code, ok.stderr).toBe(0);

    const before = await swarmPicture();
    const wrong = await runEectl(
      ['backup', 'verify', passphraseArchive, '-c', sandbox.clusterFile, '--json'],
      {
        env: { EECTL_BACKUP_PASSPHRASE: 'wrong' },
      },
    );
    expect([wrong.code, wrong.json?.error?.code]).toEqual([2, 'EBACKUP_DECRYPT']);
    const bytes = readFileSync(archive);
    const truncated = join(work, 'truncated.tar.age');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const flipped = join(work, 'flipped.tar.age');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 3)]! ^= 0x20;
    writeFileSync(flipped, copy);
    for (const [file, code] of [
      [truncated, 'EBACKUP_DAMAGED'],
      [flipped, 'EBACKUP_DAMAGED'],
    ] as const) {
      const v = await runEectl([
        'backup',
        'verify',
        file,
        '-c',
        sandbox.clusterFile,
        '--identity',
        keyFile,
        '--json',
      ]);
      expect([v.code, v.json?.error?.code], file).toEqual([2, code]);
      // restore --force would replace the swarm; a damaged archive stops it before any host is reached.
      const r = await runEectl([
        'restore',
        file,
        '-c',
        sandbox.clusterFile,
        '--identity',
        keyFile,
        '--force',
        '--yes',
        '--json',
      ]);
      expect([r.code, r.json?.error?.code], file).toEqual([2, code]);
    }
    const r = await runEectl(
      ['restore', passphraseArchive, '-c', sandbox.clusterFile, '--force', '--yes', '--json'],
      {
        env: { EECTL_BACKUP_PASSPHRASE: 'wrong' },
      },
    );
    expect([r.code, r.json?.error?.code]).toEqual([2, 'EBACKUP_DECRYPT']);
    expect(await swarmPicture()).toBe(before);
  });

  it('refuses to restore over the running swarm without --force, says what it would replace, and changes nothing', async () => {
    const before = await swarmPicture();
    const r = await runEectl([
      'restore',
      archive,
      '-c',
      sandbox.clusterFile,
      '--identity',
      keyFile,
      '--json',
    ]);
    expect([r.code, r.json?.error?.code]).toEqual([3, 'ERESTORE_LIVE']);
    expect(r.json?.error?.message).toContain(
      `swarm ${manifest?.swarmId} (the one in the archive) is running`,
    );
    expect(await swarmPicture()).toBe(before);
    const lock = await sandbox.exec('m1', 'ls /var/lib/eectl/lock* 2>/dev/null');
    expect(lock.stdout.trim()).toBe('');
  });

  it('refuses a backup before any change when a second manager cannot be spared, and the quorum is never lost', async () => {
    const statuses = (
      await run('m1', "docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}'")
    ).stdout;
    const down = managers.find((m) => !statuses.includes(`${m} Leader`) && m !== 'm1')!;
    await run(down, 'systemctl stop docker.socket docker');
    const up = managers.filter((m) => m !== down);
    // Wait until the swarm sees it gone, as an operator's backup would find it.
    for (let i = 0; i < 60; i++) {
      const s = (await run(up[0]!, "docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'")).stdout;
      if (s.includes(`${down} Unreachable`)) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const engines = async () =>
      Promise.all(up.map(async (m) => (await sandbox.exec(m, 'systemctl is-active docker')).stdout.trim()));
    const sampler = sampleQuorum(sandbox, up);
    const r = await runEectl([
      'backup',
      '-c',
      sandbox.clusterFile,
      '--recipient',
      recipient,
      '--out',
      `${archives}/`,
      '--json',
    ]);
    await new Promise((res) => setTimeout(res, 3000));
    const samples = await sampler.stop();
    expect([r.code, r.json?.error?.code], r.stdout).toEqual([3, 'EBACKUP_QUORUM']);
    expect(r.json?.error?.message).toMatch(
      /2 of 3 managers are reachable .*fewer than the 2 a majority needs/,
    );
    expect(await engines()).toEqual(['active', 'active']);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.filter((s) => s.reachable < 2)).toEqual([]);
    expect(readdirSync(archives).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('restores onto fresh hosts at the same addresses: services at their counts, secret and config attached, network, image, the old bundle', async () => {
    await sandbox.recreateHosts();
    const fresh = await sandbox.exec('m1', 'command -v docker || echo none');
    expect(fresh.stdout.trim()).toBe('none');
    await nameTheRegistry(sandbox, { file: false });
    const r = await runEectl(
      ['restore', archive, '-c', sandbox.clusterFile, '--identity', keyFile, '--json'],
      {
        timeoutMs: 1_500_000,
      },
    );
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    const result = r.json?.result as {
      differences: string[];
      services: { name: string; running: number; desired: number }[];
    };
    expect(result.differences).toEqual([]);
    // What restore checked before it finished: every service at its count.
    expect(result.services.filter((s) => s.running < s.desired)).toEqual([]);
    // And the swarm says so too. A task may still be restarting just after (an engine that restore restarted
    // last): the counts are asked again, a bounded number of times.
    const counts = async () =>
      (await run('m1', "docker service ls --format '{{.Name}} {{.Mode}} {{.Replicas}}'")).stdout;
    let services = await counts();
    for (let i = 0; i < 30 && !services.includes('e2e-agent global 5/5'); i++) {
      await new Promise((res) => setTimeout(res, 2000));
      services = await counts();
    }
    expect(services).toContain('e2e-web replicated 3/3');
    expect(services).toContain('e2e-agent global 5/5');
    await routedThrough(sandbox.host('w1').address);
    // The restored manager's node came back as the backup copied it, drained for the copy: active again.
    const availability = (await run('m1', "docker node ls --format '{{.Hostname}} {{.Availability}}'"))
      .stdout;
    expect(availability.split('\n').filter((l) => l && !l.endsWith(' Active'))).toEqual([]);
    const ids = (
      await run(
        'm1',
        "docker network ls --no-trunc --filter name=e2e-net --format '{{.ID}}'; docker secret ls --format '{{.ID}} {{.Name}}'; docker config ls --format '{{.ID}} {{.Name}}'",
      )
    ).stdout;
    expect(ids).toContain(manifest!.networks.find((n) => n.name === 'e2e-net')!.id);
    expect(ids).toContain(`${manifest!.secrets.find((n) => n.name === 'e2e-secret')!.id} e2e-secret`);
    expect(ids).toContain(`${manifest!.configs.find((n) => n.name === 'e2e-config')!.id} e2e-config`);
    // The secret and the config are inside a running task of e2e-web (the test image holds only busybox).
    let seen = '';
    for (const h of sandbox.hosts) {
      const c = await sandbox.exec(
        h,
        'id=$(docker ps -q --filter label=com.docker.swarm.service.name=e2e-web | head -1); [ -n "$id" ] && docker exec "$id" /bin/busybox cat /run/secrets/e2e-secret /etc/e2e.conf',
      );
      if (c.code === 0 && c.stdout) {
        seen = c.stdout;
        break;
      }
    }
    expect(seen).toBe('s3crethello');
    // The image pulls from the restored registry (same users, same certificate).
    await run(
      'w1',
      `printf '%s' '${adminPassword}' | docker login -u admin --password-stdin ${endpoint} >/dev/null && docker rmi -f ${image} >/dev/null 2>&1; docker pull ${image}`,
    );
    // The client bundle issued before the backup still works: same CA.
    const env = readFileSync(join(bundleDir, 'env.sh'), 'utf8');
    const host = /DOCKER_HOST=['"]?(tcp:\/\/[^'"\s]+)/.exec(env)?.[1] ?? '';
    const viaBundle = await execa(
      'docker',
      [
        '--tlsverify',
        '--tlscacert',
        join(bundleDir, 'ca.pem'),
        '--tlscert',
        join(bundleDir, 'cert.pem'),
        '--tlskey',
        join(bundleDir, 'key.pem'),
        '-H',
        host,
        'node',
        'ls',
        '--format',
        '{{.Hostname}}',
      ],
      { reject: false, env: { DOCKER_CONFIG: work } },
    );
    expect(viaBundle.exitCode, viaBundle.stderr).toBe(0);
    expect(viaBundle.stdout.split('\n').sort()).toEqual(['m1', 'm2', 'm3', 'r1', 'w1']);
  });
});

/**
 * The disaster: every host of the backed-up cluster is gone (its sandbox is removed when the describe above
 * ends), and the archive is restored onto fresh hosts in another sandbox, on another subnet: no address of
 * the old cluster, the same number of managers and one more worker.
 */
describe('eectl restore onto hosts at new addresses (3 managers, 2 workers, 1 registry host, another subnet)', () => {
  // The old sandbox is gone, and a new one would take its free subnet again: a placeholder network (with
  // the sandbox label, so `sandbox down --prefix` also removes it) holds it. Registered before useSandbox's.
  const hold = `eectl-${uniqueSandboxName('backup-hold')}`;
  beforeAll(async () => {
    if (!oldSubnet) return;
    await execa('docker', [
      'network',
      'create',
      '--subnet',
      oldSubnet,
      '--label',
      `eectl.sandbox=${uniqueSandboxName('backup-hold')}`,
      hold,
    ]);
  });
  afterAll(async () => {
    await execa('docker', ['network', 'rm', hold], { reject: false });
  });
  const sandbox = useSandbox({ name: 'backup-dr', managers: 3, workers: 2, registries: 1, addressBase: 100 });
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { check: true, timeoutMs: 300_000 });
  const addresses = () => new Set(sandbox.hosts.map((h) => h.address));
  const oldAddresses = () => new Set(manifest!.nodes.map((n) => (n as { address?: string }).address ?? ''));

  it('plans the move: no new host has an old address, and the plan maps the old managers onto the new ones', async () => {
    expect(archive, 'the backup describe made no archive').not.toBe('');
    expect(sandbox.description.network.subnet).not.toBe(oldSubnet);
    for (const a of addresses()) expect(oldAddresses().has(a), a).toBe(false);
    // Another site: another subnet, and other last octets too.
    const last = (a: string) => a.split('.').at(-1);
    for (const a of addresses()) expect([...oldAddresses()].map(last), a).not.toContain(last(a));
    await nameTheRegistry(sandbox, { file: true });
    // The new site's ingress: a proxy on its w1.
    await withIngress(sandbox);
    // A new cluster file: this machine has no CA for it, so the archive's signer is checked against the
    // old cluster's CA certificate, from the client bundle issued before the backup. Without it: exit 2.
    const untrusted = await runEectl([
      'restore',
      archive,
      '-c',
      sandbox.clusterFile,
      '--identity',
      keyFile,
      '--dry-run',
      '--json',
    ]);
    expect([untrusted.code, untrusted.json?.error?.code], untrusted.stdout).toEqual([2, 'EBACKUP_SIGNATURE']);
    expect(untrusted.json?.error?.message).toMatch(/--trust .*--accept-unsigned/);
    const plan = await runEectl([
      'restore',
      archive,
      '-c',
      sandbox.clusterFile,
      '--identity',
      keyFile,
      '--trust',
      oldClusterCa,
      '--dry-run',
    ]);
    expect(plan.code, `${plan.stderr}\n${plan.stdout}`).toBe(0);
    const source = (manifest as unknown as { source: { address: string; hostname: string } }).source;
    expect(plan.stdout).toContain('managers, old → new:');
    expect(plan.stdout).toContain(
      `${source.hostname} ${source.address} → ${sandbox.host('m1').address}: gets the swarm state, then advertises its new address`,
    );
    expect(plan.stdout).toContain(`a temporary NAT rule: connections to ${source.address}:2377`);
    // The plan changed nothing: no engine on any new host.
    const engines = await Promise.all(
      sandbox.hosts.map((h) => sandbox.exec(h, 'command -v dockerd || echo none')),
    );
    expect(engines.map((e) => e.stdout.trim())).toEqual(sandbox.hosts.map(() => 'none'));
  });

  it('restores: only the new nodes, every manager and worker at its new address, services at their counts', async () => {
    const r = await runEectl(
      [
        'restore',
        archive,
        '-c',
        sandbox.clusterFile,
        '--identity',
        keyFile,
        '--trust',
        oldClusterCa,
        '--json',
      ],
      {
        timeoutMs: 1_500_000,
      },
    );
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    expect((r.json?.result as { differences: string[] }).differences).toEqual([]);
    expect((r.json?.result as { signature: { verified: boolean } }).signature.verified).toBe(true);
    // The hosts got their engine API files before their engines started: no manager is drained and
    // restarted afterwards for them (a second converge once asked that of the restored managers).
    const changes = (r.json?.result as { changes: { host: string; description: string }[] }).changes;
    expect(
      changes.filter((c) => /^(mark the engine for a restart|drain node|restart docker)/.test(c.description)),
    ).toEqual([]);
    const nodes = JSON.parse((await run('m1', 'docker node inspect $(docker node ls -q)')).stdout) as {
      ID: string;
      Description: { Hostname: string };
      Status: { State: string; Addr: string };
      ManagerStatus?: { Addr: string };
    }[];
    const shown = JSON.stringify(nodes.map((n) => [n.Description.Hostname, n.Status, n.ManagerStatus]));
    const oldIds = new Set(manifest!.nodes.map((n) => (n as { id?: string }).id));
    expect(
      nodes.filter((n) => oldIds.has(n.ID)),
      shown,
    ).toEqual([]);
    expect(nodes.map((n) => n.Description.Hostname).sort(), shown).toEqual([
      'm1',
      'm2',
      'm3',
      'r1',
      'w1',
      'w2',
    ]);
    expect(
      nodes.filter((n) => n.Status.State !== 'ready'),
      shown,
    ).toEqual([]);
    for (const n of nodes) {
      const expected = sandbox.host(n.Description.Hostname).address;
      expect(n.Status.Addr, shown).toBe(expected);
      if (n.ManagerStatus) expect(n.ManagerStatus.Addr, shown).toBe(`${expected}:2377`);
    }
    expect(nodes.filter((n) => n.ManagerStatus).length).toBe(3);
    // Every engine's own swarm state (docker-state.json, its managers) and the join command: new addresses
    // only (for-linux#523: the join command kept the old one).
    for (const h of sandbox.hosts) {
      const info = JSON.parse((await run(h.hostname, "docker info --format '{{json .Swarm}}'")).stdout) as {
        NodeAddr: string;
        RemoteManagers: { Addr: string }[] | null;
      };
      expect(info.NodeAddr, h.hostname).toBe(h.address);
      for (const m of info.RemoteManagers ?? [])
        expect(addresses().has(m.Addr.replace(/:\d+$/, '')), `${h.hostname}: ${m.Addr}`).toBe(true);
    }
    const join = (await run('m2', 'docker swarm join-token worker')).stdout;
    const joinAt = /(\d+\.\d+\.\d+\.\d+):2377/.exec(join)?.[1] ?? '';
    expect(
      ['m1', 'm2', 'm3'].map((m) => sandbox.host(m).address),
      join,
    ).toContain(joinAt);
    for (const old of oldAddresses()) expect(join).not.toContain(old);
    // As at the same addresses: the global service's task on the node that joined last may be created a
    // moment after restore's own check (5/5 then), so the counts are asked again, for a bounded time.
    const counts = async () =>
      (await run('m1', "docker service ls --format '{{.Name}} {{.Mode}} {{.Replicas}}'")).stdout;
    let services = await counts();
    await waitFor(
      'e2e-agent on all six nodes',
      async () => (services = await counts()).includes('e2e-agent global 6/6'),
      60_000,
    ).catch(() => undefined);
    expect(services).toContain('e2e-web replicated 3/3');
    expect(services).toContain('e2e-agent global 6/6');
    expect(services).toContain('e2e-port replicated 2/2');
  });

  it('answers on a host-mode port and through the ingress at a new address, carries overlay traffic between nodes, and has the secret, config and image back', async () => {
    // The route follows the service to the new site's proxy (the watcher and proxy deployed by restore).
    await routedThrough(sandbox.host('w1').address);
    const portNodes = (
      await run('m1', "docker service ps e2e-port --filter desired-state=running --format '{{.Node}}'")
    ).stdout
      .split('\n')
      .filter(Boolean);
    expect(portNodes).toHaveLength(2);
    for (const node of portNodes) {
      const url = `http://${sandbox.host(node).address}:${HOST_PORT}/`;
      const got = await sandbox.exec(
        'w2',
        `curl -sS --max-time 5 --retry 5 --retry-delay 1 --retry-all-errors ${url}`,
      );
      expect(got.stdout.trim(), `${url}: ${got.stderr}`).toBe('e2e-port');
    }
    // From one e2e-web task: every e2e-agent task (one per node) answers a ping over e2e-net. The tasks'
    // addresses come from the managers (the network's gossip may still hold a task from before the
    // restore), and each address is tried a bounded number of times while the overlay learns it.
    const agentIps = (
      await run(
        'm1',
        [
          'ids=$(docker service ps -q --filter desired-state=running e2e-agent)',
          'docker inspect --type task --format \'{{range .NetworksAttachments}}{{if eq .Network.Spec.Name "e2e-net"}}{{range .Addresses}}{{.}} {{end}}{{end}}{{end}}\' $ids',
        ].join('\n'),
      )
    ).stdout
      .split(/\s+/)
      .map((a) => a.replace(/\/\d+$/, ''))
      .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    expect(agentIps).toHaveLength(6);
    const web = (
      await run('m1', "docker service ps e2e-web --filter desired-state=running --format '{{.Node}}'")
    ).stdout
      .split('\n')
      .filter(Boolean)[0]!;
    const probe = await run(
      web,
      [
        'c=$(docker ps -q --filter label=com.docker.swarm.service.name=e2e-web | head -1)',
        // Addresses checked above to be dotted quads.
        `for ip in ${agentIps.join(' ')}; do`,
        '  ok=; for i in $(seq 1 10); do docker exec "$c" /bin/busybox ping -c 1 -W 2 "$ip" >/dev/null && { ok=1; break; }; sleep 1; done',
        '  if [ -n "$ok" ]; then echo "ok $ip"; else echo "lost $ip"; fi',
        'done',
      ].join('\n'),
    );
    const answers = probe.stdout.split('\n').filter(Boolean);
    expect(answers, probe.stdout).toHaveLength(6);
    expect(
      answers.filter((a) => !a.startsWith('ok ')),
      probe.stdout,
    ).toEqual([]);
    let seen = '';
    for (const h of sandbox.hosts) {
      const c = await sandbox.exec(
        h,
        'id=$(docker ps -q --filter label=com.docker.swarm.service.name=e2e-web | head -1); [ -n "$id" ] && docker exec "$id" /bin/busybox cat /run/secrets/e2e-secret /etc/e2e.conf',
      );
      if (c.code === 0 && c.stdout) {
        seen = c.stdout;
        break;
      }
    }
    expect(seen).toBe('s3crethello');
    await run(
      'w2',
      `printf '%s' '${adminPassword}' | docker login -u admin --password-stdin ${endpoint} >/dev/null && docker rmi -f ${image} >/dev/null 2>&1; docker pull ${image}`,
    );
  });

  it('serves the engine API at the new addresses with certificates for them, to the bundle issued before the backup; status is healthy', async () => {
    for (const m of ['m1', 'm2', 'm3']) {
      const viaBundle = await execa(
        'docker',
        [
          '--tlsverify',
          '--tlscacert',
          join(bundleDir, 'ca.pem'),
          '--tlscert',
          join(bundleDir, 'cert.pem'),
          '--tlskey',
          join(bundleDir, 'key.pem'),
          '-H',
          `tcp://${sandbox.host(m).address}:2376`,
          'node',
          'ls',
          '--format',
          '{{.Hostname}}',
        ],
        { reject: false, env: { DOCKER_CONFIG: work }, timeout: 60_000 },
      );
      expect(viaBundle.exitCode, `${m}: ${viaBundle.stderr}`).toBe(0);
      expect(viaBundle.stdout.split('\n').sort()).toEqual(['m1', 'm2', 'm3', 'r1', 'w1', 'w2']);
    }
    const status = await runEectl(['status', '-c', sandbox.clusterFile, '--json']);
    expect(status.code, status.stdout.slice(0, 3000)).toBe(0);
    expect((status.json?.result as { health?: string }).health).toBe('healthy');
  });
});
