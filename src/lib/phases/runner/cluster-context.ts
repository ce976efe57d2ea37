import type { ClusterConfig, HookAction, HostSpec } from '../../config/schema.js';
import type { InstallRecord } from '../../host/install-record.js';
import type { ClusterLock } from '../../cluster/lock.js';
import type { HostFilesWork } from '../../files/plan.js';
import type { Host } from '../../host/host.js';
import type { HostProxy } from '../../host/proxy.js';
import type { PackageOffer } from '../../host/os/index.js';
import { ChangeLog } from './changes.js';
import type { PhaseContext, PhaseOutput } from './phase.js';
import type { Session } from '../../cluster/session.js';
import type { Logger } from '../../util/log.js';
import type { ProgressMode } from '../../ui/progress.js';
import type { RollingPreview } from '../../results/rolling.js';
import type { HookRun } from '../../hooks/report.js';
import type { ControlPlanePlan } from '../../pki/plan.js';
import type { RegistryPlan } from '../../registry/plan.js';
import type { RegistryState } from '../../registry/state.js';
import type { Connection } from '../../ssh/connection.js';
import type { SwarmNode } from '../../swarm/nodes.js';

/** Join tokens, known once a manager of the swarm is reachable. Both are secrets. */
export interface JoinTokens {
  manager: string;
  worker: string;
}

/** Everything the phases of a cluster action share: the file, the hosts, and what was learnt on the way. */
export interface ClusterContext extends PhaseContext {
  config: ClusterConfig;
  /** Opens (or reuses: one connection per host per run) the connection to a host of the file. */
  connect: (spec: HostSpec) => Promise<Connection>;
  /** The hosts of the file, in file order, once connected (all but the excluded ones). */
  hosts: Host[];
  /** Hosts of the file left out with --exclude: never contacted, never changed; phases that want every manager say they skipped them. */
  excluded?: readonly HostSpec[];
  /** Local clock (epoch seconds) when facts were read, to measure the hosts' clock skew. */
  factsReadAt: number;
  lock?: ClusterLock;
  /** Exact engine package version per host name, once resolved. */
  engineVersions: Map<string, string>;
  /** What each host's package manager offers (only for hosts whose engine must be installed). */
  engineOffers: Map<string, PackageOffer[]>;
  /** A manager that is in the swarm (the leader when known): swarm-wide commands go through it. */
  swarmManager?: Host;
  /** Read once, when the first host needs to join (a converged run never reads them). */
  tokens?: Promise<JoinTokens>;
  /** The cluster CA and what each manager needs for the engine API (phases/pki.ts), once decided. */
  controlPlane?: ControlPlanePlan;
  /** The registry's replicas, secrets and configuration (phases/registry-plan.ts), once decided. */
  registry?: RegistryPlan;
  /** Each host's install record (what it had before eectl), by host name; absent: none (older eectl). */
  installRecords?: Map<string, InstallRecord>;
  /** What each manager keeps in /etc/eectl/registry, by manager name, as read before any change. */
  registryState?: Map<string, RegistryState>;
  /** Under --dry-run: how the rolling change would go (rolling/roll.ts), for the summary. */
  rollingPreview?: RollingPreview;
  /** Each host's files of `files:` as read and judged before any change, by host name; removed once written. */
  files?: Map<string, HostFilesWork>;
  /** Hosts in the swarm whose engine must restart, by host name: one at a time, by the rolling change. */
  restarts?: Map<string, PendingRestart>;
  /** Running engines that differ from engine.version, by host name (their package version): install leaves them. */
  heldBack?: Map<string, string>;
  /** Each host's proxy (phases/proxy.ts), by host name, once resolved; undefined: none. */
  proxies?: Map<string, HostProxy | undefined>;
  /** Said to the user at the end of the run (and in --json). */
  warnings?: string[];
  /** The swarm's nodes as the last wait for them saw them (install's summary). */
  nodes?: SwarmNode[];
  /**
   * The nodes as labelling read them, with the run's change count then: the wait for Ready needs not read
   * them again when nothing changed since (a converged run saves a `node ls` and `node inspect`).
   */
  nodesSeen?: { nodes: SwarmNode[]; changes: number };
  /**
   * Set by the actions that run spec.hooks (install, upgrade, backup, reset): whose hooks run, and every
   * hook run so far. Absent (restore, a node command's install), no hook runs, not even around turns.
   */
  hooks?: { action: HookAction; runs: HookRun[] };
}

/** Why a serving host's engine must restart, and what its turn puts in place first. */
export interface PendingRestart {
  host: Host;
  reasons: string[];
  daemonJson?: string;
  expectVersion?: string;
  /** Work of the host's turn before its restart, after the drain, in order (the engine proxy's drop-in, the files of `files:` that restart the engine). */
  apply?: ((out: PhaseOutput) => Promise<void>)[];
}

/** Asks for an engine restart of a host in the swarm in the rolling change at the end of the converge. */
export function requestRestart(
  ctx: ClusterContext,
  host: Host,
  reason: string,
  extra: Partial<PendingRestart> = {},
): void {
  ctx.restarts ??= new Map();
  const pending = ctx.restarts.get(host.name) ?? { host, reasons: [] };
  if (!pending.reasons.includes(reason)) pending.reasons.push(reason);
  const apply = [...(pending.apply ?? []), ...(extra.apply ?? [])];
  ctx.restarts.set(host.name, {
    ...pending,
    ...extra,
    reasons: pending.reasons,
    ...(apply.length > 0 && { apply }),
  });
}

/** The addresses of the hosts left out with --exclude (role `manager` only with `managersOnly`). */
export const excludedNames = (ctx: Pick<ClusterContext, 'excluded'>, managersOnly = false): string[] =>
  (ctx.excluded ?? []).filter((h) => !managersOnly || h.role === 'manager').map((h) => h.address);

/**
 * A phase that would work on every manager (or every host) says which excluded ones it skipped: what it
 * does there stays as it was until a run without --exclude.
 */
export function reportExcluded(
  ctx: ClusterContext,
  out: PhaseOutput,
  what: string,
  managersOnly: boolean,
): void {
  for (const name of excludedNames(ctx, managersOnly)) {
    out.report(name, `skipped (--exclude): ${what}`);
    ctx.log.info(`${name}: skipped (--exclude): ${what}`);
  }
}

export const managers = (ctx: ClusterContext): Host[] => ctx.hosts.filter((h) => h.isManager);
export const nonManagers = (ctx: ClusterContext): Host[] => ctx.hosts.filter((h) => !h.isManager);
/** Hosts that are in the swarm now, by their facts. */
export const inSwarm = (h: Host): boolean => h.facts?.swarm?.state === 'active';

/** What a cluster action (install, reset) is given: the file, the way to the hosts, and how to run. */
export interface ActionOptions {
  config: ClusterConfig;
  session: Session;
  log: Logger;
  dryRun: boolean;
  concurrency: number;
  progress: ProgressMode;
  signal?: AbortSignal;
  /**
   * The cluster lock this run already holds, when the action runs inside another one (upgrade's backup):
   * the action re-enters it instead of taking it again, and leaves it held at its end.
   */
  lock?: ClusterLock;
  /** --exclude: hosts of the file the run leaves out (not contacted, not changed; see cluster/host-selection.ts). */
  exclude?: readonly HostSpec[];
}

/** A fresh context for an action over the hosts of the file. */
export function newClusterContext(options: ActionOptions): ClusterContext {
  return {
    config: options.config,
    log: options.log,
    changes: new ChangeLog(options.dryRun),
    concurrency: options.concurrency,
    signal: options.signal,
    connect: (spec) => options.session.connect(spec),
    hosts: [],
    ...(options.exclude && options.exclude.length > 0 && { excluded: options.exclude }),
    factsReadAt: 0,
    engineVersions: new Map(),
    engineOffers: new Map(),
    ...(options.lock && { lock: options.lock.reenter() }),
  };
}
