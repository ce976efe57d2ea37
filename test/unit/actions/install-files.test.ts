import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import type { InstallResult } from '../../../src/lib/results/install.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedCluster, clusterConfig } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The real INSTALL_PHASES over scripted Debian 12 hosts (3 managers, 1 worker) with `files:`: where the
// files are written in a run, what a converged run does, and which change goes through a rolling turn.

const W1 = '10.0.0.21';
const CERT = '/etc/docker/certs.d/reg.example.com:5000/ca.crt';
const MOTD = '/etc/motd';

useTempEectlHome();

function sources() {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-files-src-'));
  const ca = join(dir, 'ca.crt');
  const motd = join(dir, 'motd');
  writeFileSync(ca, 'CA one\n');
  writeFileSync(motd, 'welcome\n');
  const files = [
    '  files:',
    `    - { source: ${ca}, destination: ${CERT}, restart: docker }`,
    `    - { source: ${motd}, destination: ${MOTD}, mode: "0640", owner: "root:docker" }`,
  ].join('\n');
  return { ca, motd, files };
}

async function run(cluster: ScriptedCluster, files: string, dryRun = false): Promise<InstallResult> {
  return install({
    config: await clusterConfig(undefined, files),
    session: cluster.session(),
    log: nullLogger,
    dryRun,
    concurrency: 8,
    progress: 'silent',
  });
}

const uploadsOf = (result: InstallResult, host: string) =>
  result.changes
    .filter((c) => c.host === host && c.description.startsWith('upload '))
    .map((c) => c.description);

describe('install with files:', () => {
  it('a fresh cluster: every host gets the files after the engine package, before it joins; a second run changes nothing', async () => {
    const cluster = new ScriptedCluster();
    const { files } = sources();
    const result = await run(cluster, files);
    const j = cluster.journal;
    for (const host of cluster.hosts) {
      expect(host.files.get(CERT)?.toString()).toBe('CA one\n');
      expect(host.files.get(MOTD)?.toString()).toBe('welcome\n');
      const line = (re: RegExp) => j.findIndex((e) => e.host === host.address && re.test(e.line));
      const upload = line(new RegExp(`^upload ${MOTD}$`));
      // After the package (its docker group owns the motd here), before the swarm.
      expect(upload).toBeGreaterThan(line(/docker-ce=/));
      expect(upload).toBeLessThan(line(/swarm (init|\/swarm\/join)|\/swarm\/join$/));
      // Not in the swarm yet: the engine restarts at once for the file that asks it, and only once.
      expect(
        j.filter((e) => e.host === host.address && /^systemctl restart docker$/.test(e.line)),
      ).toHaveLength(1);
      expect(host.restarts).toEqual([]);
    }
    expect(uploadsOf(result, W1)).toEqual([
      `upload ${CERT} (new; mode 0644, owner root:root) from ca.crt`,
      `upload ${MOTD} (new; mode 0640, owner root:docker) from motd`,
    ]);

    const since = cluster.mark();
    const again = await run(cluster, files);
    expect(again.changes).toEqual([]);
    expect(again.converged).toBe(true);
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('a changed file that restarts the engine goes through a rolling turn: drained, written, restarted once; the dry run lists it first', async () => {
    const cluster = new ScriptedCluster();
    const { ca, files } = sources();
    await run(cluster, files);
    writeFileSync(ca, 'CA two\n');

    let since = cluster.mark();
    const preview = await run(cluster, files, true);
    expect(cluster.hostWork(since)).toEqual([]);
    expect(cluster.hosts.every((h) => h.files.get(CERT)?.toString() === 'CA one\n')).toBe(true);
    expect(uploadsOf(preview, W1)).toEqual([
      `upload ${CERT} (changed; mode 0644, owner root:root) from ca.crt in its turn of the rolling change`,
    ]);
    expect(preview.rolling?.order.map((t) => [t.host, t.reasons])).toEqual(
      expect.arrayContaining([[W1, [`files changed: ${CERT}`]]]),
    );
    expect(preview.rolling?.order).toHaveLength(4);

    since = cluster.mark();
    const result = await run(cluster, files);
    for (const host of cluster.hosts) {
      expect(host.files.get(CERT)?.toString()).toBe('CA two\n');
      // One restart, in the swarm, with no task left on the node.
      expect(host.restarts.map((r) => r.tasks)).toEqual([0]);
      const work = cluster.hostWork(since).filter((l) => l.startsWith(`${host.address}: `));
      const upload = work.indexOf(`${host.address}: upload ${CERT}`);
      expect(upload).toBeGreaterThan(-1);
      // Written in the host's own turn: after the restart marker, before its one restart.
      expect(upload).toBeGreaterThan(work.findIndex((l) => l.includes('engine-restart-pending')));
      expect(upload).toBeLessThan(work.indexOf(`${host.address}: systemctl restart docker`));
    }
    expect(uploadsOf(result, W1)).toEqual([
      `upload ${CERT} (changed; mode 0644, owner root:root) from ca.crt`,
    ]);
    expect(cluster.hosts.every((h) => !h.files.has('/etc/eectl/pki/engine-restart-pending'))).toBe(true);
  });

  it('a changed file without a restart is written in place; no engine restarts', async () => {
    const cluster = new ScriptedCluster();
    const { motd, files } = sources();
    await run(cluster, files);
    writeFileSync(motd, 'welcome again\n');
    const since = cluster.mark();
    const result = await run(cluster, files);
    expect(uploadsOf(result, W1)).toEqual([
      `upload ${MOTD} (changed; mode 0640, owner root:docker) from motd`,
    ]);
    expect(cluster.hostWork(since).filter((l) => /restart|drain/.test(l))).toEqual([]);
    expect(cluster.hosts.every((h) => h.restarts.length === 0)).toBe(true);
  });

  it("a host's own entry wins for its destination", async () => {
    const cluster = new ScriptedCluster();
    const { files } = sources();
    const dir = mkdtempSync(join(tmpdir(), 'eectl-files-w1-'));
    writeFileSync(join(dir, 'motd'), 'worker\n');
    const config = await clusterConfig(undefined, files);
    config.spec.hosts[3]!.files = [{ source: join(dir, 'motd'), destination: MOTD, mode: '0644' }];
    await install({
      config,
      session: cluster.session(),
      log: nullLogger,
      dryRun: false,
      concurrency: 8,
      progress: 'silent',
    });
    expect(cluster.host(W1).files.get(MOTD)?.toString()).toBe('worker\n');
    expect(cluster.host('10.0.0.11').files.get(MOTD)?.toString()).toBe('welcome\n');
  });

  it("a destination the host resolves into eectl's places is refused before any host changes (exit 3)", async () => {
    const cluster = new ScriptedCluster();
    const { files } = sources();
    // The scripted host reports each destination's own directory; a real host resolves links (test/integration/files).
    const config = await clusterConfig(undefined, files);
    config.spec.files[1]!.destination = '/etc/eectl/motd';
    const error = await install({
      config,
      session: cluster.session(),
      log: nullLogger,
      dryRun: false,
      concurrency: 8,
      progress: 'silent',
    }).then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error?.exitCode).toBe(ExitCode.preflight);
    expect(error?.message).toContain(
      "/etc/eectl/motd (spec.files[1]) resolves to /etc/eectl/motd on the host: refused, it is one of eectl's own files",
    );
    expect(cluster.hostWork()).toEqual([]);
  });
});
