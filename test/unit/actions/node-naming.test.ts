import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { summarizeNode } from '../../../src/lib/actions/node-action.js';
import { listNodes } from '../../../src/lib/actions/node-list.js';
import { clusterStatus } from '../../../src/lib/actions/status.js';
import { HostDocker } from '../../../src/lib/swarm/docker.js';
import { Host } from '../../../src/lib/host/host.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { renderNodeList } from '../../../src/lib/ui/node-render.js';
import { renderStatus } from '../../../src/lib/ui/status-summary.js';
import { ScriptedCluster, clusterFile } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// `status`, `node ls` and the node commands report the same facts of a node under the same names
// (issue 28: `leader: true` + `reachability` against `manager: "leader"`), over a swarm the real install
// formed on the scripted hosts.

useTempEectlHome();

/** The facts both reports have, by the names both use. */
const SHARED = [
  'host',
  'address',
  'hostname',
  'id',
  'role',
  'fileRole',
  'state',
  'availability',
  'leader',
  'reachability',
  'engineVersion',
] as const;

describe('status, node ls and node commands name a node’s facts alike', () => {
  it('the same fields with the same values for every host; no `manager` field anywhere', async () => {
    const cluster = new ScriptedCluster();
    const file = await clusterFile();
    const common = { session: cluster.session(), log: nullLogger, concurrency: 8 };
    await install({ ...common, config: file.config, dryRun: false, progress: 'silent' });

    const ls = await listNodes({ ...common, file });
    const { result: status } = await clusterStatus({ ...common, config: file.config });

    const m1 = ls.nodes.find((n) => n.hostname === 'm1')!;
    expect(m1).toMatchObject({
      host: '10.0.0.11',
      address: '10.0.0.11',
      leader: true,
      reachability: 'reachable',
    });
    expect(ls.nodes.find((n) => n.hostname === 'w1')).toMatchObject({
      leader: false,
      reachability: undefined,
    });
    expect(ls.nodes.map((n) => n.host)).toEqual(status.nodes.map((n) => n.host));
    for (const row of ls.nodes) {
      const same = status.nodes.find((n) => n.host === row.host)!;
      const pick = (o: object) =>
        Object.fromEntries(
          SHARED.filter((k) => k !== 'id').map((k) => [k, (o as Record<string, unknown>)[k]]),
        );
      expect(pick(row), row.address).toEqual(pick(same));
    }
    // A node command's node: the same names (SwarmNode → NodeSummary).
    const nodes = await new HostDocker(
      new Host(file.config.spec.hosts[0]!, cluster.host('10.0.0.11').conn),
    ).nodes();
    const summary = summarizeNode(nodes.find((n) => n.hostname === 'm1')!);
    expect(summary).toMatchObject({ leader: true, reachability: 'reachable', role: 'manager' });

    const json = JSON.stringify([ls, status, summary]);
    expect(json).not.toMatch(/"manager":/);
    // The tables' MANAGER column says the same word for the leader.
    expect(renderNodeList(ls)).toMatch(/^m1 +10\.0\.0\.11 +manager +ready +active +leader /m);
    expect(renderStatus(status)).toMatch(/^m1 +10\.0\.0\.11 +manager +manager +ready +active +leader /m);
  });
});
