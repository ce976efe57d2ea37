import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { upgrade } from '../../../src/lib/actions/upgrade.js';
import { selectHosts } from '../../../src/lib/cluster/host-selection.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import type { ClusterConfig, HostSpec } from '../../../src/lib/config/schema.js';
import { EectlError, ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { renderInstallSummary } from '../../../src/lib/ui/install-summary.js';
import { renderUpgradePlan, renderUpgradeSummary } from '../../../src/lib/ui/upgrade-summary.js';
import { clusterConfig, clusterFile, ScriptedCluster } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The real INSTALL_PHASES and UPGRADE_PHASES over scripted Debian hosts (3 managers, 1 worker), with
// --exclude and --hosts as the commands pass them (cluster/host-selection.ts resolves the flags).

useTempEectlHome();

const M1 = '10.0.0.11';
const M3 = '10.0.0.13';
const W1 = '10.0.0.21';

/** A session over the scripted hosts where `down` hosts cannot be reached; it records every host asked for. */
function sessionWithDown(cluster: ScriptedCluster, down: readonly string[]) {
  const asked: string[] = [];
  const inner = cluster.session();
  return {
    asked,
    session: {
      connect: async (spec: HostSpec) => {
        asked.push(spec.address);
        if (down.includes(spec.address))
          throw new EectlError(`${spec.address}: connect EHOSTUNREACH`, {
            code: 'ECONNECT',
            kind: 'external',
            host: spec.address,
          });
        return inner.connect(spec);
      },
      close: inner.close,
    },
  };
}

const options = (config: ClusterConfig, session: ReturnType<typeof sessionWithDown>['session']) => ({
  config,
  session,
  log: nullLogger,
  dryRun: false,
  concurrency: 8,
  progress: 'silent' as const,
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );

const workOn = (cluster: ScriptedCluster, since: number, host: string) =>
  cluster.journal.slice(since).filter((e) => e.host === host);

describe('install with a host that cannot be reached', () => {
  it('without --exclude refuses before any change (exit 3) and suggests --exclude with the host', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    await install(options(config, cluster.session()));
    const since = cluster.mark();
    const { session } = sessionWithDown(cluster, [W1]);
    const e = await failure(install(options(config, session)));
    expect(e.exitCode).toBe(ExitCode.preflight);
    expect(e.message).toContain(W1);
    expect(e.suggestions.join('\n')).toContain(`eectl install --exclude ${W1}`);
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('--exclude converges every other host, never contacts the excluded one, and names it', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    const { session, asked } = sessionWithDown(cluster, [W1]);
    const exclude = selectHosts(config, { exclude: [W1] }).excluded;
    const r = await install({ ...options(config, session), exclude });
    expect(asked).not.toContain(W1);
    expect(cluster.journal.filter((e) => e.host === W1)).toEqual([]);
    // The others are installed and in the swarm; the excluded worker is not.
    for (const m of ['10.0.0.11', '10.0.0.12', M3]) expect(cluster.host(m).nodeId, m).toBeDefined();
    expect(cluster.host(W1).nodeId).toBeUndefined();
    expect(r.excluded).toEqual([W1]);
    expect(r.warnings.join('\n')).toContain(`not contacted and not changed: ${W1}`);
    expect(renderInstallSummary(r)).toContain(`converged, but for ${W1} (--exclude)`);
  });

  it('--exclude --dry-run names the excluded host in the plan and lists no change for it', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    const { session } = sessionWithDown(cluster, [W1]);
    const exclude = selectHosts(config, { exclude: [W1] }).excluded;
    const r = await install({ ...options(config, session), dryRun: true, exclude });
    expect(r.changes.filter((c) => c.host === W1)).toEqual([]);
    expect(r.changes.length).toBeGreaterThan(0);
    expect(renderInstallSummary(r)).toContain(`left out (--exclude), not contacted and not changed: ${W1}`);
  });
});

describe('install --exclude of managers: the quorum rule', () => {
  it('one manager of three: allowed; the excluded node keeps its role and labels, and nothing runs on it', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    await install(options(config, cluster.session()));
    const node = cluster.swarm.nodes.get(cluster.host(M3).nodeId!)!;
    const before = JSON.stringify({ role: node.role, labels: node.labels, availability: node.availability });
    // Its engine stops: the swarm sees it unreachable, as for a real host that is down.
    cluster.host(M3).active.delete('docker');
    const since = cluster.mark();
    const { session, asked } = sessionWithDown(cluster, [M3]);
    const exclude = selectHosts(config, { exclude: [M3] }).excluded;
    const r = await install({ ...options(config, session), exclude });
    expect(asked).not.toContain(M3);
    expect(workOn(cluster, since, M3)).toEqual([]);
    expect(r.excluded).toEqual([M3]);
    expect(JSON.stringify({ role: node.role, labels: node.labels, availability: node.availability })).toBe(
      before,
    );
    expect(cluster.swarm.nodes.has(node.id)).toBe(true);
  });

  it('two managers of three: refused before any change (exit 3, EEXCLUDE_QUORUM)', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    await install(options(config, cluster.session()));
    const since = cluster.mark();
    const { session } = sessionWithDown(cluster, []);
    const exclude = selectHosts(config, { exclude: ['10.0.0.12', M3] }).excluded;
    const e = await failure(install({ ...options(config, session), exclude }));
    expect(e.code).toBe('EEXCLUDE_QUORUM');
    expect(e.exitCode).toBe(ExitCode.preflight);
    expect(e.message).toContain('10.0.0.12, 10.0.0.13');
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('a manager on hosts with no swarm yet: refused (the excluded manager may hold it)', async () => {
    const cluster = new ScriptedCluster();
    const config = await clusterConfig();
    const exclude = selectHosts(config, { exclude: [M3] }).excluded;
    const e = await failure(install({ ...options(config, cluster.session()), exclude }));
    expect(e.code).toBe('EEXCLUDE_QUORUM');
    expect(cluster.hostWork()).toEqual([]);
  });
});

describe('upgrade --hosts and --exclude', () => {
  async function installedAt272() {
    const cluster = new ScriptedCluster();
    const written = await clusterFile();
    writeFileSync(written.path, readFileSync(written.path, 'utf8').replace('"27.3"', '"27.2"'));
    const file = await ClusterFile.read(written.path, {});
    await install(options(file.config, cluster.session()));
    return { cluster, file };
  }
  const versions = (cluster: ScriptedCluster) =>
    Object.fromEntries(cluster.hosts.map((h) => [h.address, h.packages.get('docker-ce')?.version]));

  it('--hosts W1 upgrades only W1: the plan says who stays, the other engines keep their version and are not restarted', async () => {
    const { cluster, file } = await installedAt272();
    const before = versions(cluster);
    const since = cluster.mark();
    const selection = selectHosts(file.config, { hosts: [W1] });
    const r = await upgrade({
      ...options(file.config, cluster.session()),
      file,
      to: '27.3',
      skipBackup: true,
      exclude: selection.excluded,
      notSelected: selection.notSelected,
      confirm: async () => {},
    });
    expect(r.rolling.hosts.map((h) => h.host)).toEqual([W1]);
    expect(r.plan.hosts.filter((h) => h.changes).map((h) => h.host)).toEqual([W1]);
    expect(r.plan.hosts.filter((h) => h.selected === false).map((h) => h.host)).toEqual([
      M1,
      '10.0.0.12',
      M3,
    ]);
    expect(r.plan.selection).toEqual({ excluded: [], notSelected: [M1, '10.0.0.12', M3] });
    const after = versions(cluster);
    expect(after[W1]).not.toBe(before[W1]);
    for (const m of [M1, '10.0.0.12', M3]) expect(after[m], m).toBe(before[m]);
    // No package work and no engine restart on the managers (M1 runs the swarm commands for W1's turn).
    const hostWork = cluster.hostWork(since).filter((l) => !l.startsWith(`${W1}:`));
    expect(hostWork.filter((l) => /apt-get|systemctl (restart|start|stop)/.test(l))).toEqual([]);
    const plan = renderUpgradePlan(r.plan);
    expect(plan).toContain('not in --hosts: stays');
    expect(plan).toContain(`Left on their version (not in --hosts): ${M1}, 10.0.0.12, ${M3}`);
    expect(renderUpgradeSummary(r)).toContain('Upgraded 1 host(s)');
  });

  it('--exclude M3 --dry-run: M3 is not contacted and the plan names it', async () => {
    const { cluster, file } = await installedAt272();
    const { session, asked } = sessionWithDown(cluster, [M3]);
    const selection = selectHosts(file.config, { exclude: [M3] });
    const r = await upgrade({
      ...options(file.config, session),
      dryRun: true,
      file,
      to: '27.3',
      skipBackup: true,
      exclude: selection.excluded,
      confirm: () => Promise.reject(new Error('a dry run asked to confirm')),
    });
    expect(asked).not.toContain(M3);
    expect(r.plan.hosts.map((h) => h.host)).not.toContain(M3);
    expect(r.plan.selection).toEqual({ excluded: [M3], notSelected: [] });
    expect(r.changes.filter((c) => c.host === M3)).toEqual([]);
    expect(renderUpgradeSummary(r)).toContain(
      `Left out (--exclude), not contacted, left on their version: ${M3}`,
    );
  });
});
