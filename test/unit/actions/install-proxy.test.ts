import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { APT_PROXY_CONF } from '../../../src/lib/host/os/proxy.js';
import { ENGINE_PROXY_DROP_IN } from '../../../src/lib/host-layout.js';
import type { ClusterConfig } from '../../../src/lib/config/schema.js';
import type { InstallResult } from '../../../src/lib/results/install.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';
import { ScriptedCluster, clusterConfig, type JournalEntry } from '../../helpers/scripted-cluster.js';

// spec.proxy through the real INSTALL_PHASES against scripted Debian 12 hosts (3 managers, 1 worker).

const W1 = '10.0.0.21';
const PROXY = "  proxy: { http: 'http://proxy.corp:3128' }";

useTempEectlHome();

async function run(cluster: ScriptedCluster, config: ClusterConfig, dryRun = false): Promise<InstallResult> {
  return install({
    config,
    session: cluster.session(),
    log: nullLogger,
    dryRun,
    concurrency: 8,
    progress: 'silent',
  });
}

const at = (entries: readonly JournalEntry[], host: string, pattern: RegExp, from = 0) =>
  entries.findIndex((e, i) => i >= from && e.host === host && pattern.test(e.line));
const changesOn = (result: InstallResult, host: string) =>
  result.changes.filter((c) => c.host === host).map((c) => c.description);

describe('spec.proxy on a fresh cluster', () => {
  it("points apt at the proxy before the package source, and writes the engine's drop-in before the engine first starts", async () => {
    const cluster = new ScriptedCluster();
    const result = await run(cluster, await clusterConfig(undefined, PROXY));
    const j = cluster.journal;
    for (const host of cluster.hosts.map((h) => h.address)) {
      expect(at(j, host, new RegExp(`^upload ${APT_PROXY_CONF}$`))).toBeGreaterThan(-1);
      expect(at(j, host, new RegExp(`^upload ${APT_PROXY_CONF}$`))).toBeLessThan(
        at(j, host, /apt-get .* update$/),
      );
      const dropIn = at(j, host, new RegExp(`^upload ${ENGINE_PROXY_DROP_IN}$`));
      expect(dropIn).toBeGreaterThan(-1);
      expect(dropIn).toBeLessThan(at(j, host, /^systemctl daemon-reload$/, dropIn));
      expect(at(j, host, /^systemctl daemon-reload$/, dropIn)).toBeLessThan(at(j, host, /docker-ce=/));
      // One start, no restart.
      expect(j.filter((e) => e.host === host && /^systemctl restart docker$/.test(e.line))).toEqual([]);
    }
    expect(changesOn(result, W1)).toContain(
      `write ${ENGINE_PROXY_DROP_IN} (the engine proxy http://proxy.corp:3128)`,
    );
    const again = await run(cluster, await clusterConfig(undefined, PROXY));
    expect(again.changes).toEqual([]);
  });
});

describe('spec.proxy on a running cluster', () => {
  it('goes through the rolling path: drained, drop-in, daemon-reload, restart, one host at a time; and back out when removed', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, await clusterConfig());

    const dry = await run(cluster, await clusterConfig(undefined, PROXY), true);
    expect(dry.rolling?.order.map((t) => t.reasons)).toEqual(
      Array(4).fill(['the engine proxy http://proxy.corp:3128']),
    );
    expect(changesOn(dry, W1).join('\n')).not.toContain(`write ${ENGINE_PROXY_DROP_IN}`);

    const from = cluster.mark();
    await run(cluster, await clusterConfig(undefined, PROXY));
    const j = cluster.journal;
    let previousRestart = -1;
    // Managers one at a time, the leader (m1) last, then the worker.
    for (const host of ['10.0.0.12', '10.0.0.13', '10.0.0.11', W1]) {
      const dropIn = at(j, host, new RegExp(`^upload ${ENGINE_PROXY_DROP_IN}$`), from);
      const reload = at(j, host, /^systemctl daemon-reload$/, dropIn);
      const restart = at(j, host, /^systemctl restart docker$/, reload);
      expect(dropIn, host).toBeGreaterThan(-1);
      expect(reload).toBeGreaterThan(dropIn);
      expect(restart).toBeGreaterThan(reload);
      expect(restart).toBeGreaterThan(previousRestart);
      previousRestart = Math.max(previousRestart, restart);
    }
    expect((await run(cluster, await clusterConfig(undefined, PROXY))).changes).toEqual([]);

    const removed = await run(cluster, await clusterConfig());
    expect(changesOn(removed, W1)).toEqual(
      expect.arrayContaining([
        `remove ${ENGINE_PROXY_DROP_IN}`,
        "remove apt's proxy settings",
        'restart docker',
      ]),
    );
    expect(cluster.host(W1).files.has(ENGINE_PROXY_DROP_IN)).toBe(false);
  });
});
