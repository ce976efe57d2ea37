import { describe, expect, it } from 'vitest';
import type { HostSpec } from '../../../../src/lib/config/schema.js';
import { toEectlError } from '../../../../src/lib/errors.js';
import { Host } from '../../../../src/lib/host/host.js';
import { clusterSchema } from '../../../../src/lib/config/schema.js';
import { newClusterContext, type ClusterContext } from '../../../../src/lib/phases/runner/cluster-context.js';
import { rollHosts, type HostTurn } from '../../../../src/lib/phases/rolling/roll.js';
import { nullLogger } from '../../../../src/lib/util/log.js';
import { makeFacts } from '../../../helpers/facts.js';
import { ScriptedConnection, type ScriptRule } from '../../../helpers/scripted-connection.js';
import { useTempEectlHome } from '../../../helpers/temp-home.js';

// A real turn records its time under ~/.eectl/<cluster>/: a temporary home, not the user's.
useTempEectlHome();

const KEY = 'SWMKEY-1-unit-test-key';
const out = { report: () => undefined };

/** The one manager of a swarm, as `docker node inspect` shows it. */
const NODE = JSON.stringify([
  {
    ID: 'n1',
    Description: { Hostname: 'm1', Engine: { EngineVersion: '26.1.5' } },
    Spec: { Role: 'manager', Availability: 'active', Labels: {} },
    Status: { State: 'ready', Addr: '10.0.0.11' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.11:2377' },
  },
]);

/**
 * A one-manager swarm whose node runs no task (so nothing to drain): it answers the rolling path's docker
 * and systemctl commands; after a start its engine is locked when the swarm is autolocked, until unlocked.
 */
function manager(options: { autolock?: boolean } = {}) {
  let locked = false;
  const rules: ScriptRule[] = [
    { match: /^docker node ls --quiet$/, answer: { stdout: 'n1\n' } },
    { match: /^docker node inspect n1$/, answer: { stdout: NODE } },
    { match: /^docker node ps /, answer: { stdout: '' } },
    {
      match: /^docker info --format {{\.Swarm\.Cluster\.ID}} /,
      answer: { stdout: `c1 ${options.autolock === true}\n` },
    },
    { match: /^docker swarm unlock-key --quiet$/, answer: { stdout: `${KEY}\n` } },
    { match: /^systemctl (stop|start) docker\.socket$/, answer: {} },
    { match: /^systemctl stop docker$/, answer: {} },
    { match: /^systemctl reset-failed docker$/, answer: {} },
    {
      match: /^systemctl (enable --now|restart) docker$/,
      answer: () => {
        locked = options.autolock === true;
        return {};
      },
    },
    { match: /^docker version /, answer: { stdout: '26.1.5\n' } },
    {
      match: /^docker info --format {{json \.Swarm}}$/,
      answer: () => ({
        stdout: JSON.stringify({
          NodeID: 'n1',
          LocalNodeState: locked ? 'locked' : 'active',
          ControlAvailable: !locked,
        }),
      }),
    },
    {
      match: /^docker swarm unlock$/,
      answer: () => {
        locked = false;
        return {};
      },
    },
  ];
  const conn = new ScriptedConnection('10.0.0.11', rules);
  const spec = { address: '10.0.0.11', role: 'manager' } as HostSpec;
  const host = new Host(spec, conn);
  host.facts = makeFacts({
    swarm: {
      state: 'active',
      nodeId: 'n1',
      isManager: true,
      remoteManagers: [],
      clusterId: 'c1',
      nodeAddr: '10.0.0.11',
    },
  });
  return { host, conn };
}

/** A context as an action builds it (newClusterContext), over the one host, with it as the swarm's contact. */
function context(host: Host, dryRun = false): ClusterContext {
  const ctx = newClusterContext({
    config: clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'prod' },
      spec: { hosts: [{ address: host.name, role: 'manager' }] },
    }),
    session: { connect: () => Promise.reject(new Error('connected already')), close: async () => {} },
    log: nullLogger,
    dryRun,
    concurrency: 4,
    progress: 'silent',
  });
  ctx.hosts = [host];
  ctx.swarmManager = host;
  return ctx;
}

const copyTurn = (host: Host, run: () => Promise<void>): HostTurn => ({
  host,
  reasons: ['backup'],
  whileStopped: { what: 'copy its swarm state', run },
});

describe('rollHosts: a turn whose work needs the engine stopped (whileStopped)', () => {
  it('stops the engine, runs the work, starts the engine, and only then waits for the node', async () => {
    const { host, conn } = manager();
    let seenWhileStopped: string[] = [];
    await rollHosts(
      context(host),
      [
        copyTurn(host, async () => {
          seenWhileStopped = [...conn.lines];
        }),
      ],
      out,
    );
    // The socket first: while it listens, any client on the host would start the engine mid-copy.
    expect(seenWhileStopped.slice(-2)).toEqual(['systemctl stop docker.socket', 'systemctl stop docker']);
    expect(seenWhileStopped).not.toContain('systemctl enable --now docker');
    const after = conn.lines.slice(seenWhileStopped.length);
    expect(after.slice(0, 3)).toEqual([
      'systemctl start docker.socket',
      'systemctl reset-failed docker',
      'systemctl enable --now docker',
    ]);
    expect(after.indexOf('docker version --format {{.Server.Version}}')).toBeGreaterThan(0);
    // Ready and Reachable again, read from the swarm after the start.
    expect(after).toContain('docker node inspect n1');
    // No plain restart: the work would otherwise see a running engine.
    expect(conn.lines).not.toContain('systemctl restart docker');
  });

  it('times each part of the turn: drain, stop, the work, start, the engine answering, Ready again', async () => {
    const { host } = manager();
    const report = await rollHosts(
      context(host),
      [copyTurn(host, () => new Promise((r) => setTimeout(r, 60)))],
      out,
    );
    const times = report.hosts[0]!.times;
    expect(Object.keys(times)).toEqual(['drain', 'stop', 'whileStopped', 'start', 'engineUp', 'ready']);
    expect(times.whileStopped).toBeGreaterThanOrEqual(0.05);
    for (const t of Object.values(times)) expect(t).toBeLessThanOrEqual(report.hosts[0]!.seconds);
  });

  it('starts the engine again when the work fails, and fails the turn with the work’s error', async () => {
    const { host, conn } = manager();
    const failing = rollHosts(
      context(host),
      [
        copyTurn(host, async () => {
          throw new Error('tar: swarm: file changed as we read it');
        }),
      ],
      out,
    );
    const error = toEectlError(await failing.catch((e: unknown) => e));
    expect(error.message).toMatch(/rolling change stopped at 10\.0\.0\.11: tar: swarm: file changed/);
    const stop = conn.lines.indexOf('systemctl stop docker');
    const start = conn.lines.indexOf('systemctl enable --now docker');
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(start).toBeGreaterThan(stop);
    // The node is waited on after the start, as in a turn that succeeded.
    expect(conn.lines.slice(start)).toContain('docker node inspect n1');
  });

  it('with --dry-run lists the turn with its work and neither stops the engine nor runs the work', async () => {
    const { host, conn } = manager();
    const ctx = context(host, true);
    let ran = false;
    await rollHosts(
      ctx,
      [
        copyTurn(host, async () => {
          ran = true;
        }),
      ],
      out,
    );
    expect(ran).toBe(false);
    expect(ctx.changes.entries).toEqual([
      {
        host: '10.0.0.11',
        description:
          'stop the engine, copy its swarm state, start it again in its turn of the rolling change (backup)',
        applied: false,
      },
    ]);
    expect(conn.lines.filter((l) => l.startsWith('systemctl'))).toEqual([]);
  });
});

describe('rollHosts: an autolocked swarm', () => {
  it('unlocks a restarted manager with the swarm’s key on stdin, before waiting until it is Reachable', async () => {
    const { host, conn } = manager({ autolock: true });
    await rollHosts(context(host), [{ host, reasons: ['new daemon.json'] }], out);
    const unlock = conn.lines.indexOf('docker swarm unlock');
    expect(unlock).toBeGreaterThan(conn.lines.indexOf('systemctl restart docker'));
    expect(conn.stdins.get(unlock)).toBe(`${KEY}\n`);
    expect(conn.lines.join('\n')).not.toContain(KEY);
    expect(conn.lines.slice(unlock)).toContain('docker node inspect n1');
  });

  it('unlocks after the start of a whileStopped turn too', async () => {
    const { host, conn } = manager({ autolock: true });
    await rollHosts(context(host), [copyTurn(host, async () => undefined)], out);
    expect(conn.lines.indexOf('docker swarm unlock')).toBeGreaterThan(
      conn.lines.indexOf('systemctl enable --now docker'),
    );
  });

  it('does not ask for the key, nor unlock, when the swarm is not autolocked', async () => {
    const { host, conn } = manager();
    await rollHosts(context(host), [{ host, reasons: ['new daemon.json'] }], out);
    expect(conn.lines).not.toContain('docker swarm unlock-key --quiet');
    expect(conn.lines).not.toContain('docker swarm unlock');
  });
});
