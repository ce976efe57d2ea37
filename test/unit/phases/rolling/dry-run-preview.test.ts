import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { install } from '../../../../src/lib/actions/install.js';
import { upgrade } from '../../../../src/lib/actions/upgrade.js';
import { ClusterFile } from '../../../../src/lib/config/cluster-file.js';
import { daemonJsonDiff } from '../../../../src/lib/phases/rolling/daemon-config.js';
import {
  describeEstimate,
  estimateRoll,
  recordTurns,
  readTurns,
  turnsFile,
} from '../../../../src/lib/phases/rolling/turn-record.js';
import { renderInstallSummary } from '../../../../src/lib/ui/install-summary.js';
import { nullLogger } from '../../../../src/lib/util/log.js';
import { clusterConfig, clusterFile, ScriptedCluster } from '../../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../../helpers/temp-home.js';

// The dry run of a daemon change: install --dry-run over the scripted cluster (m1 the leader, m2, m3,
// w1) shows the daemon.json difference, the hosts' order with the leader last, the batch size and the
// drain, and an estimate from the turns the last real run measured (kept in ~/.eectl/<cluster>/).

useTempEectlHome();

const options = (cluster: ScriptedCluster) => ({
  session: cluster.session(),
  log: nullLogger,
  concurrency: 8,
  progress: 'silent' as const,
});

async function withDaemon(daemon: Record<string, unknown>) {
  const config = await clusterConfig();
  config.spec.engine.daemon = daemon;
  return config;
}

describe('install --dry-run of a daemon change', () => {
  it('shows the daemon.json difference, the order (leader last), batch and drain, and no estimate before any turn was measured', async () => {
    const cluster = new ScriptedCluster();
    await install({ ...options(cluster), config: await clusterConfig(), dryRun: false });
    const since = cluster.mark();

    const r = await install({
      ...options(cluster),
      config: await withDaemon({ 'log-level': 'warn' }),
      dryRun: true,
    });

    expect(cluster.hostWork(since)).toEqual([]);
    expect(r.rolling?.order.map((o) => [o.turn, o.host, o.leader])).toEqual([
      [1, '10.0.0.12', false],
      [2, '10.0.0.13', false],
      [3, '10.0.0.11', true],
      [4, '10.0.0.21', false],
    ]);
    expect(r.rolling?.batchSize).toBe(1);
    expect(r.rolling?.drainTimeoutSeconds).toBe(300);
    expect(r.rolling?.daemonJson).toEqual([
      { hosts: ['10.0.0.12', '10.0.0.13', '10.0.0.11', '10.0.0.21'], diff: ['+ "log-level": "warn"'] },
    ]);
    expect(r.rolling?.estimate.seconds).toBeUndefined();
    const text = renderInstallSummary(r);
    expect(text).toContain('  3. 10.0.0.11 (manager, leader): new /etc/docker/daemon.json');
    expect(text).toContain('workers 1 at a time');
    expect(text).toContain('given 300 s to run elsewhere');
    expect(text).toContain(
      'daemon.json on 10.0.0.12, 10.0.0.13, 10.0.0.11, 10.0.0.21:\n    + "log-level": "warn"',
    );
    expect(text).toContain('Estimate: no earlier turn measured');
    expect(existsSync(turnsFile('prod'))).toBe(false);
  });

  it('a real run records each host’s turn in the cluster’s state directory; the next dry run estimates from it', async () => {
    const cluster = new ScriptedCluster();
    const written = await clusterFile();
    writeFileSync(written.path, readFileSync(written.path, 'utf8').replace('"27.3"', '"27.2"'));
    const file = await ClusterFile.read(written.path, {});
    await install({ ...options(cluster), config: file.config, dryRun: false });
    expect(existsSync(turnsFile('prod'))).toBe(false);
    // A real rolling change: the upgrade gives every host its turn.
    await upgrade({
      ...options(cluster),
      config: file.config,
      file,
      dryRun: false,
      to: '27.3',
      skipBackup: true,
      confirm: async () => {},
    });

    const record = await readTurns('prod');
    expect(Object.keys(record).sort()).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.21']);
    expect(record['10.0.0.11']?.what).toBe('engine 27.2.0 → 27.3.1');
    expect(JSON.parse(readFileSync(turnsFile('prod'), 'utf8'))).toEqual(record);

    const r = await install({
      ...options(cluster),
      config: await withDaemon({ 'log-level': 'error' }),
      dryRun: true,
    });
    expect(r.rolling?.daemonJson[0]?.diff).toEqual(['+ "log-level": "error"']);
    expect(r.rolling?.estimate.measured.map((m) => m.host).sort()).toEqual(Object.keys(record).sort());
    expect(r.rolling?.estimate.seconds).toBe(
      Math.round(Object.values(record).reduce((sum, t) => sum + t.seconds, 0)),
    );
    expect(renderInstallSummary(r)).toMatch(
      /Estimate: about \d+ s, from the last measured turns \(10\.0\.0\.\d+ \d+ s, /,
    );
  });
});

describe('the estimate', () => {
  it('adds the longest turn of each group; a host without a measured turn counts as the longest one', () => {
    const record = {
      m1: { seconds: 30, at: '', drained: false, what: '' },
      w1: { seconds: 50, at: '', drained: true, what: '' },
    };
    const e = estimateRoll([['m2'], ['m1'], ['w1', 'w2']], record);
    // m2 unmeasured → 50; m1 30; the batch of w1 and w2 → 50.
    expect(e.seconds).toBe(130);
    expect(e.unmeasured).toEqual(['m2', 'w2']);
    expect(describeEstimate(e)).toBe(
      'about 2 min 10 s, from the last measured turns (m1 30 s, w1 50 s); no earlier turn measured for m2, w2, counted as the longest one',
    );
    expect(estimateRoll([['m1']], {}).seconds).toBeUndefined();
  });

  it('keeps the last turn per host, and reads a damaged record as none', async () => {
    await recordTurns('c1', [{ host: 'm1', seconds: 12, drained: false, what: 'a' }]);
    await recordTurns('c1', [{ host: 'w1', seconds: 40, drained: true, what: 'b' }]);
    await recordTurns('c1', [{ host: 'm1', seconds: 20, drained: false, what: 'c' }]);
    const record = await readTurns('c1');
    expect([record.m1?.seconds, record.m1?.what, record.w1?.seconds]).toEqual([20, 'c', 40]);
    expect(await readTurns('no-such-cluster')).toEqual({});
  });
});

describe('daemonJsonDiff', () => {
  it('says what is added, removed and changed, key by key', () => {
    expect(
      daemonJsonDiff(
        '{"debug": true, "log-level": "info", "mtu": 1400}',
        '{"log-level": "warn", "mtu": 1400, "log-opts": {"max-size": "10m"}}',
      ),
    ).toEqual(['- "debug": true', '~ "log-level": "info" → "warn"', '+ "log-opts": {"max-size":"10m"}']);
    expect(daemonJsonDiff(undefined, '{"debug": true}')).toEqual(['+ "debug": true']);
  });
});
