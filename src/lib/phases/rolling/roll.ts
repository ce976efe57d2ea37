import { managers, inSwarm, type ClusterContext } from '../runner/cluster-context.js';
import { EectlError, ExitCode, toEectlError } from '../../errors.js';
import { HostDocker } from '../../swarm/docker.js';
import { DAEMON_JSON, HOST_PKI_DIR, HOST_RESTART_PENDING } from '../../host-layout.js';
import type { Host } from '../../host/host.js';
import { serviceManagerFor } from '../../host/service/index.js';
import { upstreamVersion } from '../../host/version.js';
import { hasHooks, runHooks } from '../runner/hooks.js';
import type { PhaseOutput } from '../runner/phase.js';
import { drainObservation, servingBeforeDrain } from '../runner/node-wait.js';
import { applySteps } from '../runner/steps.js';
import { waitForReplica } from '../../registry/health.js';
import { ADDRESS_LABEL, managerCounts, type SwarmNode } from '../../swarm/nodes.js';
import { describeQuorum, hasQuorum, quorumAfterRemoval, restartVerdict } from '../../swarm/quorum.js';
import { daemonJsonDiff, expectedInfo, infoMismatches, lastLines } from './daemon-config.js';
import { describeEstimate, estimateRoll, readTurns, recordTurns } from './turn-record.js';
import { rollingOrder } from './plan.js';
import type { RollingPreview, RollingReport } from '../../results/rolling.js';
import { done, pending, pollUntil } from '../../util/poll.js';

/** The node label that says a rolling change drained the node (so a later run makes it active again). */
export const ROLLING_DRAIN_LABEL = 'eectl.rolling-drained';
/**
 * The node label that says a rolling change demoted the leader for its turn (so a later run promotes it
 * again when the turn was interrupted).
 */
export const ROLLING_DEMOTED_LABEL = 'eectl.rolling-demoted';
/** Where a host keeps its previous daemon.json while a new one is tried. */
export const DAEMON_JSON_PREVIOUS = `${DAEMON_JSON}.eectl-previous`;

const POLL_MS = 1000;
/** How long a drained node's tasks may take to run elsewhere, unless the command says otherwise. */
const DRAIN_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 120_000;
/** How long the leader's demotion may take: swarmkit hands leadership over first, then Raft forgets it. */
const HAND_OFF_TIMEOUT_MS = 90_000;
const REPLICA_TIMEOUT_MS = 90_000;

/** One host's turn in a rolling change: what changes, then one engine restart, then the checks. */
export interface HostTurn {
  host: Host;
  /** Why the engine restarts, for the plan and the logs ("new control-plane API files", "engine 20.10.24 → 26.1.5"). */
  reasons: string[];
  /** A daemon.json to put in place just before the restart; the old one comes back if the engine does not. */
  daemonJson?: string;
  /** Work of this host's turn before the restart (installing the new packages from the local cache). */
  apply?: (out: PhaseOutput) => Promise<void>;
  /** The version the daemon must report after the restart. */
  expectVersion?: string;
  /**
   * Work that needs the engine stopped (the backup's copy of the swarm state): instead of a restart the
   * turn stops the engine, runs this, and starts the engine again — also when this fails; the turn then
   * still waits for the node and makes it active again, and fails with this error.
   */
  whileStopped?: { what: string; run: (out: PhaseOutput) => Promise<void> };
}

/** How a rolling change runs. */
export interface RollingOptions {
  /** Workers restarted at once (default 10 % of the workers, at least 1). */
  maxUnavailable?: number;
  drainTimeoutMs?: number;
}

/**
 * The one way eectl restarts engines of hosts in the swarm (each turn between the user's `beforeTurn` and
 * `afterTurn` hooks when the action has them): managers one at a time (leader last, only when
 * the quorum survives losing it; the leader is demoted for its turn, so Raft hands leadership over at once
 * instead of leaving the swarm without a leader until an election, and promoted again once it is Ready),
 * then workers in batches, then registry nodes one at a time, each drained
 * when it runs tasks, changed, restarted (or stopped for `whileStopped` and started again), unlocked when
 * the swarm is autolocked, checked by what its daemon reports, Ready (and Reachable) again, made active
 * again. Stops at the first host that fails, and before the next turn when the run lost the cluster lock;
 * what is left is found again from the hosts by the next run (versions, the restart marker, the drain
 * label), so the same command resumes.
 */
export async function rollHosts(
  ctx: ClusterContext,
  turns: readonly HostTurn[],
  out: PhaseOutput,
  options: RollingOptions = {},
): Promise<RollingReport> {
  const contact = ctx.swarmManager ?? managers(ctx).find((m) => inSwarm(m) && m.facts?.swarm?.isManager);
  const nodes = contact ? await new HostDocker(contact).nodes() : [];
  const nodeOf = (h: Host) => nodes.find((n) => n.id === h.facts?.swarm?.nodeId);
  const report: RollingReport = { batchSize: 0, hosts: [] };
  await activateLeftDrained(ctx, nodes, turns, contact);
  if (turns.length === 0) return report;
  const unlockKey = await autolockKey(ctx, turns, contact);
  const order = rollingOrder(
    turns.map((t) => ({ item: t, role: t.host.role, leader: nodeOf(t.host)?.leader === true })),
    options.maxUnavailable,
  );
  report.batchSize = order.batchSize;
  const groups = [...order.managers, ...order.workers, ...order.registries];
  if (ctx.changes.dryRun) {
    ctx.rollingPreview = await rollingPreview(ctx, groups, order.batchSize, nodeOf, options);
  }
  const done: string[] = [];
  for (const [i, group] of groups.entries()) {
    // Between turns, never in one: a run that lost the cluster lock stops before the next host.
    if (i > 0) {
      const left = groups
        .slice(i)
        .flat()
        .map((t) => t.host.name);
      ctx.lock?.assertHeld(
        `after the turn of ${done.length > 0 ? done.join(', ') : 'no host'}; not touched: ${left.join(', ')}`,
      );
    }
    const settled = await Promise.allSettled(
      group.map((turn) => runTurn(ctx, turn, nodeOf(turn.host), out, options, unlockKey)),
    );
    settled.forEach((s) => s.status === 'fulfilled' && report.hosts.push(s.value));
    if (!ctx.changes.dryRun) await keepTurnTimes(ctx, group, settled);
    const failed = settled.flatMap((s, j) =>
      s.status === 'rejected' ? [{ turn: group[j]!, error: s.reason }] : [],
    );
    done.push(...group.filter((_, j) => settled[j]!.status === 'fulfilled').map((t) => t.host.name));
    if (failed.length === 0) continue;
    const left = groups
      .slice(i + 1)
      .flat()
      .map((t) => t.host.name);
    throw stopped(failed, done, left);
  }
  return report;
}

/** The group's finished turns as their hosts' last measured ones (for the next dry run's estimate). */
async function keepTurnTimes(
  ctx: ClusterContext,
  group: readonly HostTurn[],
  settled: readonly PromiseSettledResult<RollingReport['hosts'][number]>[],
): Promise<void> {
  const finished = settled.flatMap((s, j) =>
    s.status === 'fulfilled'
      ? [{ ...s.value, what: group[j]!.whileStopped?.what ?? group[j]!.reasons.join(', ') }]
      : [],
  );
  // Only an estimate depends on it: a state directory that cannot be written never fails the run.
  await recordTurns(ctx.config.metadata.name, finished).catch((error: unknown) =>
    ctx.log.debug(`could not record the turns' times: ${String(error)}`),
  );
}

/** What a dry run shows of the change: the order, batches, drains, the daemon.json difference, the time. */
async function rollingPreview(
  ctx: ClusterContext,
  groups: readonly (readonly HostTurn[])[],
  batchSize: number,
  nodeOf: (h: Host) => SwarmNode | undefined,
  options: RollingOptions,
): Promise<RollingPreview> {
  const diffs = new Map<string, { hosts: string[]; diff: string[] }>();
  for (const turn of groups.flat()) {
    if (turn.daemonJson === undefined) continue;
    const diff = daemonJsonDiff(turn.host.facts?.files[DAEMON_JSON], turn.daemonJson);
    const key = diff.join('\n');
    const entry = diffs.get(key) ?? { hosts: [], diff };
    entry.hosts.push(turn.host.name);
    diffs.set(key, entry);
  }
  const estimate = estimateRoll(
    groups.map((g) => g.map((t) => t.host.name)),
    await readTurns(ctx.config.metadata.name),
  );
  return {
    order: groups.flatMap((group, i) =>
      group.map((t) => ({
        turn: i + 1,
        host: t.host.name,
        role: t.host.role,
        leader: nodeOf(t.host)?.leader === true,
        reasons: t.reasons,
      })),
    ),
    batchSize,
    drainTimeoutSeconds: Math.round((options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS) / 1000),
    daemonJson: [...diffs.values()],
    estimate: { ...estimate, description: describeEstimate(estimate) },
  };
}

function stopped(failed: { turn: HostTurn; error: unknown }[], done: string[], left: string[]): EectlError {
  const errors = failed.map((f) => toEectlError(f.error));
  const where = failed.map((f) => f.turn.host.name).join(', ');
  const message =
    `rolling change stopped at ${where}: ${errors.map((e) => e.message).join('; ')}\n` +
    `  done: ${done.length > 0 ? done.join(', ') : 'none'}; not touched: ${left.length > 0 ? left.join(', ') : 'none'}`;
  return new EectlError(message, {
    code: errors[0]!.code,
    kind: 'external',
    exitCode:
      errors.every((e) => e.exitCode === ExitCode.preflight) && done.length === 0
        ? ExitCode.preflight
        : ExitCode.partial,
    host: failed[0]!.turn.host.name,
    suggestions: [
      ...new Set(errors.flatMap((e) => e.suggestions)),
      `Once ${where} is fixed, run the same command again: it resumes there and leaves the hosts already done alone.`,
    ],
  });
}

/**
 * Seconds of each part of a host's turn, in order: handOff (the leader demoted, leadership elsewhere), drain, apply (what the turn does before the engine
 * restarts, e.g. an upgrade's package install), stop / whileStopped / start (or restart), engineUp (the
 * daemon answers with its version), ready (the node Ready again), promote (a demoted leader a manager
 * again), activate; hooks (spec.hooks' beforeTurn and afterTurn, together).
 */
export type TurnTimes = Partial<
  Record<
    | 'handOff'
    | 'drain'
    | 'apply'
    | 'stop'
    | 'whileStopped'
    | 'start'
    | 'restart'
    | 'engineUp'
    | 'ready'
    | 'promote'
    | 'activate'
    | 'hooks',
    number
  >
>;

/** Runs `work`, adding its seconds to `times[part]`. */
async function timed<T>(times: TurnTimes, part: keyof TurnTimes, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    times[part] = Math.round((times[part] ?? 0) * 1000 + (performance.now() - started)) / 1000;
  }
}

/** Nodes an earlier, interrupted run drained and that have no turn now: active again. */
/** The node of a host excluded with --exclude: by the address label install puts on it, else its advertised address. */
function isExcludedNode(ctx: ClusterContext, node: SwarmNode): boolean {
  return (ctx.excluded ?? []).some(
    (h) =>
      node.labels[ADDRESS_LABEL] === h.address ||
      (node.labels[ADDRESS_LABEL] === undefined &&
        (node.addr === h.privateAddress || node.addr === h.address)),
  );
}

async function activateLeftDrained(
  ctx: ClusterContext,
  nodes: SwarmNode[],
  turns: readonly HostTurn[],
  contact: Host | undefined,
): Promise<void> {
  if (!contact) return;
  const turnIds = new Set(turns.map((t) => t.host.facts?.swarm?.nodeId));
  for (const node of nodes) {
    // A host left out with --exclude is not touched, not even to undo what an earlier run left.
    if (isExcludedNode(ctx, node)) continue;
    if (node.labels[ROLLING_DEMOTED_LABEL] !== undefined && !turnIds.has(node.id)) {
      const host = ctx.hosts.find((h) => h.facts?.swarm?.nodeId === node.id);
      await promoteAgain(
        ctx,
        host ?? { name: node.hostname, log: ctx.log.child(node.hostname) },
        node,
        contact,
      );
    }
    if (node.labels[ROLLING_DRAIN_LABEL] === undefined || turnIds.has(node.id)) continue;
    const host = ctx.hosts.find((h) => h.facts?.swarm?.nodeId === node.id);
    await ctx.changes.apply(
      host ?? { name: node.hostname, log: ctx.log.child(node.hostname) },
      `activate node ${node.hostname} (drained by an earlier, interrupted run)`,
      () =>
        new HostDocker(contact).nodeUpdate(node.id, {
          availability: 'active',
          removeLabels: [ROLLING_DRAIN_LABEL],
        }),
    );
  }
}

/**
 * The swarm's unlock key when it is autolocked and a manager of the swarm restarts: a restarted manager
 * stays locked (not Reachable) until it is given the key.
 */
async function autolockKey(
  ctx: ClusterContext,
  turns: readonly HostTurn[],
  contact: Host | undefined,
): Promise<string | undefined> {
  if (!contact || ctx.changes.dryRun || !turns.some((t) => t.host.isManager && inSwarm(t.host)))
    return undefined;
  const docker = new HostDocker(contact);
  return (await docker.swarmIdentity()).autolock ? docker.unlockKey() : undefined;
}

/** Waits until the engine answers, and unlocks it when it is a manager the autolock left locked. */
async function engineUp(host: Host, unlockKey: string | undefined): Promise<string> {
  const engine = new HostDocker(host);
  const version = await engine.waitUntilUp(90_000);
  if (unlockKey && host.isManager && (await engine.swarmInfo())?.state === 'locked') {
    await engine.swarmUnlock(unlockKey);
    host.log.info('unlocked the manager (the swarm is autolocked)');
  }
  return version;
}

/** Another manager in the swarm, to watch this host from; the host itself when it is the only one. */
function contactFor(ctx: ClusterContext, host: Host): Host {
  const others = managers(ctx).filter((m) => m !== host && inSwarm(m) && m.facts?.swarm?.isManager);
  return others.find((m) => m === ctx.swarmManager) ?? others[0] ?? host;
}

async function runTurn(
  ctx: ClusterContext,
  turn: HostTurn,
  node: SwarmNode | undefined,
  out: PhaseOutput,
  options: RollingOptions,
  unlockKey: string | undefined,
): Promise<RollingReport['hosts'][number]> {
  const { host } = turn;
  const started = performance.now();
  const contact = contactFor(ctx, host);
  const docker = new HostDocker(contact);
  const why = turn.reasons.join(', ');
  if (ctx.changes.dryRun) {
    const what = turn.whileStopped
      ? `stop the engine, ${turn.whileStopped.what}, start it again`
      : 'restart the engine';
    await runHooks(ctx, 'beforeTurn', [host], out);
    await ctx.changes.apply(
      host,
      `${what} in its turn of the rolling change (${why})`,
      async () => undefined,
    );
    await runHooks(ctx, 'afterTurn', [host], out);
    return { host: host.name, role: host.role, seconds: 0, drained: false, times: {} };
  }
  const times: TurnTimes = {};
  out.report(host.name, `its turn: ${why}`);
  // The user's hooks first, while the host still serves: a failing one leaves the host untouched.
  if (hasHooks(ctx, 'beforeTurn', [host])) {
    await timed(times, 'hooks', () => runHooks(ctx, 'beforeTurn', [host], out));
  }
  // Demoted for this turn: by this run (the leader) or by an interrupted one (the label says so).
  let demoted = node?.labels[ROLLING_DEMOTED_LABEL] !== undefined;
  if (host.isManager && node && contact !== host && !demoted) {
    const nodesNow = await docker.nodes();
    const counts = managerCounts(nodesNow);
    const verdict = restartVerdict(counts);
    if (verdict === 'refuse') {
      throw new EectlError(
        `${host.name}: not restarting its engine: the swarm could not spare this manager (${describeQuorum(counts)})`,
        {
          code: 'EQUORUM_RISK',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: host.name,
          suggestions: ['Bring the unreachable managers back, then run the same command again.'],
        },
      );
    }
    const leads = nodesNow.find((n) => n.id === node.id)?.leader === true;
    // The work of a whileStopped turn may need the Raft state a demotion would delete (the backup's copy).
    if (leads && !turn.whileStopped && quorumAfterRemoval(counts, true)) {
      await timed(times, 'handOff', () => handLeadershipOver(ctx, host, node, docker, out));
      demoted = true;
    } else if (verdict === 'pause') {
      host.log.warn(`restarting the engine pauses swarm management for a moment (${describeQuorum(counts)})`);
    }
  }
  const drained = node
    ? await timed(times, 'drain', () => drain(ctx, turn, node, docker, out, options))
    : false;
  if (turn.daemonJson !== undefined) await markRestartPending(ctx, host, why);
  if (turn.apply) await timed(times, 'apply', () => turn.apply!(out));
  if (turn.daemonJson !== undefined) {
    await ctx.changes.apply(
      host,
      `write ${DAEMON_JSON} (the previous one kept as ${DAEMON_JSON_PREVIOUS})`,
      async () => {
        await host.sudo([
          'sh',
          '-c',
          'if [ -f "$1" ]; then cp -p "$1" "$2"; else rm -f "$2"; fi',
          'sh',
          DAEMON_JSON,
          DAEMON_JSON_PREVIOUS,
        ]);
        await host.sudo(['mkdir', '-p', '/etc/docker']);
        await host.conn.upload(DAEMON_JSON, turn.daemonJson!, { mode: 0o644, sudo: true });
      },
    );
  }
  const failedWhileStopped = await restartAndVerify(ctx, turn, out, unlockKey, times);
  if (node && demoted) {
    await timed(times, 'ready', () => waitReady(ctx, host, node, docker, turn, out, { asWorker: true }));
    await timed(times, 'promote', () => promoteAgain(ctx, host, node, contact));
  }
  if (node) await timed(times, 'ready', () => waitReady(ctx, host, node, docker, turn, out));
  if (drained && node) {
    await timed(times, 'activate', () =>
      ctx.changes.apply(host, `activate node ${node.hostname} again`, () =>
        docker.nodeUpdate(node.id, { availability: 'active', removeLabels: [ROLLING_DRAIN_LABEL] }),
      ),
    );
  }
  if (failedWhileStopped) throw failedWhileStopped.error;
  if (host.role === 'registry' && ctx.config.spec.registry) {
    out.report(host.name, 'waiting until its registry replica serves /v2/');
    const health = await waitForReplica(host, ctx.config.spec.registry, REPLICA_TIMEOUT_MS);
    if (!health.healthy) {
      throw new EectlError(
        `${host.name}: engine back, but its registry replica does not serve ${health.url} (${health.detail})`,
        {
          code: 'EREGISTRY_DOWN',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: host.name,
          suggestions: [
            `Look at \`docker service ps\` of the registry service on a manager, then run the same command again.`,
          ],
        },
      );
    }
  }
  if (host.facts?.files[HOST_RESTART_PENDING] !== undefined || turn.daemonJson !== undefined) {
    await host.sudo(['rm', '-f', HOST_RESTART_PENDING, DAEMON_JSON_PREVIOUS]);
    if (host.facts) delete host.facts.files[HOST_RESTART_PENDING];
  }
  // Only once the host is back, verified and active: a failing one fails the turn (the host is changed).
  if (hasHooks(ctx, 'afterTurn', [host])) {
    await timed(times, 'hooks', () => runHooks(ctx, 'afterTurn', [host], out));
  }
  const seconds = Math.round(performance.now() - started) / 1000;
  host.log.info(`turn done in ${seconds}s (${why})`);
  return { host: host.name, role: host.role, seconds, drained, times };
}

/**
 * Leaves the restart marker on the host before its turn writes what the engine reads only at start (a
 * daemon.json, a file of `files:`): a run that stops before the restart leaves the marker, and the next
 * run restarts the engine although the file is already right. The turn removes it once the engine is back.
 */
export async function markRestartPending(ctx: ClusterContext, host: Host, why: string): Promise<void> {
  if (host.facts?.files[HOST_RESTART_PENDING] !== undefined) return;
  await ctx.changes.apply(host, 'mark the engine for a restart', async () => {
    await host.sudo(['install', '-d', '-m', '0755', HOST_PKI_DIR]);
    await host.conn.upload(HOST_RESTART_PENDING, `${why}\n`, { mode: 0o644, sudo: true });
    if (host.facts) host.facts.files[HOST_RESTART_PENDING] = `${why}\n`;
  });
}

/**
 * Drains the node when it runs tasks (and some other node can take them), then waits until no task is
 * wanted on it and every replicated service that ran there runs elsewhere as many tasks as it ran before
 * (its count, or fewer when it had fewer: drainProgress). A node already drained
 * by an operator stays drained afterwards; one drained by an interrupted run carries the label.
 */
async function drain(
  ctx: ClusterContext,
  turn: HostTurn,
  node: SwarmNode,
  docker: HostDocker,
  out: PhaseOutput,
  options: RollingOptions,
): Promise<boolean> {
  const ours = node.labels[ROLLING_DRAIN_LABEL] !== undefined;
  if (node.availability !== 'active' && !ours) return false;
  const { watched, runningBefore } = await servingBeforeDrain(docker, node.id);
  if (!ours && watched.size === 0) return false;
  const nodes = await docker.nodes();
  const elsewhere = nodes.some((n) => n.id !== node.id && n.availability === 'active' && n.state === 'ready');
  if (!ours && !elsewhere) {
    turn.host.log.warn('runs tasks, but no other node could take them: restarting without a drain');
    return false;
  }
  if (!ours) {
    await ctx.changes.apply(turn.host, `drain node ${node.hostname}`, () =>
      docker.nodeUpdate(node.id, { availability: 'drain', labels: { [ROLLING_DRAIN_LABEL]: 'true' } }),
    );
  }
  const timeoutMs = options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
  const drained = await pollUntil(() => drainObservation(docker, node.id, watched, runningBefore), {
    timeoutMs,
    intervalMs: POLL_MS,
    signal: ctx.signal,
    onWait: (waiting) => out.report(turn.host.name, `draining: waiting for ${waiting}`),
  });
  if ('value' in drained) return true;
  throw new EectlError(
    `${turn.host.name}: drained, but after ${timeoutMs / 1000}s its tasks do not all run elsewhere: ${drained.waiting}`,
    {
      code: 'EDRAIN_TIMEOUT',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: turn.host.name,
      suggestions: [
        'Look at `docker service ps SERVICE` on a manager: placement constraints, resources, or an image the other nodes lack.',
      ],
    },
  );
}

/**
 * The leader's turn starts with a demotion: swarmkit's role manager hands leadership over to another
 * manager at once (raft TransferLeadership) before Raft forgets the member, where a stopped leader would
 * leave the swarm without one until the others' election timeout (10-20 s, every API call to the swarm
 * refused meanwhile). The label says why the node is a worker, so an interrupted run promotes it again.
 * Waits until the node is a worker, another manager leads, and the quorum holds.
 */
async function handLeadershipOver(
  ctx: ClusterContext,
  host: Host,
  node: SwarmNode,
  docker: HostDocker,
  out: PhaseOutput,
): Promise<void> {
  await ctx.changes.apply(
    host,
    `demote node ${node.hostname} for its turn: the leader hands leadership over before its engine restarts`,
    () => docker.nodeUpdate(node.id, { role: 'worker', labels: { [ROLLING_DEMOTED_LABEL]: 'true' } }),
  );
  const handed = await pollUntil(
    async () => {
      const nodes = await docker.nodes().catch(() => [] as SwarmNode[]);
      const me = nodes.find((n) => n.id === node.id);
      const leader = nodes.find((n) => n.leader);
      if (
        me?.role === 'worker' &&
        me.reachability === undefined &&
        leader &&
        hasQuorum(managerCounts(nodes))
      ) {
        return done(leader.hostname);
      }
      return pending(me ? `${me.role}${me.reachability ? `, ${me.reachability}` : ''}` : 'not listed');
    },
    {
      timeoutMs: HAND_OFF_TIMEOUT_MS,
      intervalMs: POLL_MS,
      signal: ctx.signal,
      onWait: (last) => out.report(host.name, `waiting until leadership is handed over (${last})`),
    },
  );
  if ('value' in handed) {
    host.log.info(`leadership handed over to ${handed.value}; a worker for its turn`);
    return;
  }
  throw new EectlError(
    `${host.name}: demoted for its turn, but leadership was not handed over in ${HAND_OFF_TIMEOUT_MS / 1000}s (${handed.waiting})`,
    {
      code: 'EHANDOFF',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [
        '`docker node ls` on a manager shows the managers; run the same command again: it promotes the node again and resumes.',
      ],
    },
  );
}

/** A node the rolling change demoted for its turn: a manager again, the label gone, Reachable with the quorum. */
async function promoteAgain(
  ctx: ClusterContext,
  host: Pick<Host, 'name' | 'log'>,
  node: SwarmNode,
  contact: Host,
): Promise<void> {
  const docker = new HostDocker(contact);
  await ctx.changes.apply(host, `promote node ${node.hostname} to manager again (demoted for its turn)`, () =>
    docker.nodeUpdate(node.id, { role: 'manager', removeLabels: [ROLLING_DEMOTED_LABEL] }),
  );
  if (ctx.changes.dryRun) return;
  const back = await pollUntil(
    async () => {
      const nodes = await docker.nodes().catch(() => [] as SwarmNode[]);
      const me = nodes.find((n) => n.id === node.id);
      return me?.role === 'manager' && me.reachability === 'reachable' && hasQuorum(managerCounts(nodes))
        ? done(true)
        : pending(me ? `${me.role}${me.reachability ? `, ${me.reachability}` : ''}` : 'not listed');
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS, signal: ctx.signal },
  );
  if ('value' in back) return;
  throw new EectlError(
    `${host.name}: promoted to manager again, but not Reachable in ${READY_TIMEOUT_MS / 1000}s (${back.waiting})`,
    {
      code: 'ENODE_NOT_READY',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [`Look at \`journalctl -u docker\` on ${host.name}, then run the same command again.`],
    },
  );
}

/**
 * Restarts the engine (or stops it, runs `whileStopped`, starts it) and checks what the daemon reports.
 * When it does not come back and this turn wrote a new daemon.json, the previous file is put back and the
 * engine restarted with it, and the turn fails with the daemon's own words. Returns the error of
 * `whileStopped`, for the turn to fail with once the node is back.
 */
async function restartAndVerify(
  ctx: ClusterContext,
  turn: HostTurn,
  out: PhaseOutput,
  unlockKey: string | undefined,
  times: TurnTimes = {},
): Promise<{ error: unknown } | undefined> {
  const { host } = turn;
  const service = serviceManagerFor(host.known.initSystem);
  const engine = new HostDocker(host);
  let reported: string;
  let failedWhileStopped: { error: unknown } | undefined;
  try {
    if (turn.whileStopped) {
      const { whileStopped } = turn;
      await timed(times, 'stop', () => applySteps(ctx, host, service.stopHeld('docker'), out));
      try {
        await timed(times, 'whileStopped', () => whileStopped.run(out));
      } catch (error) {
        failedWhileStopped = { error };
        host.log.warn(`${whileStopped.what} failed: starting the engine again`);
      }
      await timed(times, 'start', () => applySteps(ctx, host, service.startHeld('docker'), out));
    } else {
      await timed(times, 'restart', () => applySteps(ctx, host, service.restart('docker'), out));
    }
    reported = await timed(times, 'engineUp', () => engineUp(host, unlockKey));
  } catch (error) {
    if (turn.daemonJson === undefined) throw error;
    const said = await daemonLog(host);
    host.log.warn(`the engine did not come back with the new ${DAEMON_JSON}: putting the previous one back`);
    await host.sudo([
      'sh',
      '-c',
      'if [ -f "$2" ]; then mv "$2" "$1"; else rm -f "$1"; fi',
      'sh',
      DAEMON_JSON,
      DAEMON_JSON_PREVIOUS,
    ]);
    await host.sudo(['rm', '-f', HOST_RESTART_PENDING]);
    if (host.known.initSystem === 'systemd')
      await host.sudo(['systemctl', 'reset-failed', 'docker'], { check: false });
    await applySteps(ctx, host, service.restart('docker'), out);
    await engineUp(host, unlockKey);
    throw new EectlError(
      `${host.name}: the engine did not start with the new ${DAEMON_JSON}; the previous file is back and the engine runs with it. The daemon said:\n${said}`,
      {
        code: 'EDAEMON_CONFIG',
        kind: 'external',
        exitCode: ExitCode.partial,
        host: host.name,
        cause: error,
        suggestions: ['Fix engine.daemon in the cluster file, then run the same command again.'],
      },
    );
  }
  const problems: string[] = [];
  if (turn.expectVersion && upstreamVersion(reported) !== upstreamVersion(turn.expectVersion))
    problems.push(`the daemon reports ${reported}, not ${upstreamVersion(turn.expectVersion)}`);
  if (turn.daemonJson !== undefined) {
    const wanted = expectedInfo(JSON.parse(turn.daemonJson) as Record<string, unknown>);
    if (Object.keys(wanted).length > 0) problems.push(...infoMismatches(await engine.info(), wanted));
  }
  if (problems.length > 0) {
    throw new EectlError(`${host.name}: restarted, but ${problems.join('; ')}`, {
      code: 'EVERIFY',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [`Look at \`journalctl -u docker\` and the installed packages on ${host.name}.`],
    });
  }
  host.log.info(`engine restarted, daemon ${reported}`);
  return failedWhileStopped;
}

async function daemonLog(host: Host): Promise<string> {
  const r = await host.sudo(['journalctl', '-u', 'docker', '-n', '15', '--no-pager', '-o', 'cat'], {
    check: false,
  });
  return lastLines(r.stdout || r.stderr || 'nothing in the journal', 8);
}

/** Waits until the node is Ready, on the new version, and (managers) Reachable with the quorum kept. */
async function waitReady(
  ctx: ClusterContext,
  host: Host,
  node: SwarmNode,
  docker: HostDocker,
  turn: HostTurn,
  out: PhaseOutput,
  { asWorker = false }: { asWorker?: boolean } = {},
): Promise<void> {
  const manager = host.isManager && !asWorker;
  const ready = await pollUntil(
    async () => {
      const nodes = await docker.nodes().catch(() => [] as SwarmNode[]);
      const me = nodes.find((n) => n.id === node.id);
      const counts = managerCounts(nodes);
      const versionOk =
        !turn.expectVersion ||
        (me !== undefined && upstreamVersion(me.engineVersion) === upstreamVersion(turn.expectVersion));
      const managerOk = !manager || (me?.reachability === 'reachable' && hasQuorum(counts));
      if (me?.state === 'ready' && versionOk && managerOk) return done(true);
      return pending(
        me
          ? `${me.state}${me.reachability ? `, ${me.reachability}` : ''}, engine ${me.engineVersion}`
          : 'not listed yet',
      );
    },
    {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: POLL_MS,
      signal: ctx.signal,
      onWait: (last) => out.report(host.name, `waiting until Ready again (${last})`),
    },
  );
  if ('value' in ready) return;
  throw new EectlError(
    `${host.name}: restarted, but not Ready${manager ? ' and Reachable' : ''} again in time (${ready.waiting})`,
    {
      code: 'ENODE_NOT_READY',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [`Look at \`journalctl -u docker\` on ${host.name}, then run the same command again.`],
    },
  );
}
