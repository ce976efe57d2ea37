/**
 * The typed results of actions: what each command prints and what `--json` reports. Plain data, kept in the
 * lowest layer so that actions (which produce them), renderers and commands (which show them) all import
 * them downward.
 */
import type { ArchiveSignature } from '../backup/signature.js';
import type { Role } from '../config/schema.js';
import type { ServiceView, TaskView } from '../dashboard/view-model.js';
import type { ReplicaHealth } from '../registry/plan.js';
import type { RegistryStatus } from '../registry/status.js';
import type { QuorumState } from '../swarm/quorum.js';
import type { HostSelectionReport } from './results/host-selection.js';
import type { NodeCount, ServiceSpread } from '../swarm/spread.js';
import type { HooksReport } from '../hooks/report.js';
import type { WebhookStatus } from '../webhooks/report.js';

/** One change to one host: made, or (under --dry-run) only described. */
export interface Change {
  host: string;
  description: string;
  applied: boolean;
}

/** A phase's time as results report it (`--json`, summaries, benchmarks). */
export interface PhaseReport {
  title: string;
  seconds: number;
  skipped: boolean;
}

/** What the runner reports of every action: its phases' times and the whole run's. */
export interface ActionReport {
  phases: PhaseReport[];
  seconds: number;
}

/** What every result of an action that changes hosts has: dry run or not, the changes, the times. */
export interface ChangeReport extends ActionReport {
  dryRun: boolean;
  changes: Change[];
}

/** What `install` reports (the `--json` result). */
export interface InstallResult extends ChangeReport, HooksReport {
  cluster: string;
  /** True when nothing had to change. */
  converged: boolean;
  engineVersion: string | undefined;
  nodes: Omit<NodeSummary, 'id'>[];
  quorum: (QuorumState & { description: string }) | undefined;
  /** What the run left alone and why (running engines that differ from engine.version). */
  warnings: string[];
  /** Registry replicas as checked after the rollout; the admin password only on the run that generated it. */
  registry?: {
    replicas: ReplicaHealth[];
    adminPassword?: string;
    /** Each mirror replica (registry.mirrors) as checked after the rollout: `url` names its port. */
    mirrors?: ReplicaHealth[];
  };
  /** Under --dry-run, when engines in the swarm would restart (a new daemon.json): how the rolling change would go. */
  rolling?: RollingPreview;
  /** Hosts left out with --exclude (not contacted, not changed); absent without --exclude. */
  excluded?: HostSelectionReport['excluded'];
}

/** What `reset` reports (the `--json` result). */
export interface ResetResult extends ChangeReport, HooksReport {
  cluster: string;
  /** True when no host had anything to remove: nothing changed (under --dry-run: nothing would). */
  alreadyClean: boolean;
  /** The swarm's services and stacks, destroyed with it (under --dry-run: that would be); absent without a swarm. */
  destroys?: { services: string[]; stacks: string[] };
  /**
   * The packages purged (under --dry-run: that would be): the engine's and what they pulled in, each once
   * with the hosts it is removed from. Each host's `removed` has its purge too, as one step.
   */
  packages: { name: string; hosts: string[] }[];
  hosts: {
    host: string;
    role: Role;
    /** Nothing of the engine or eectl was found there. */
    clean: boolean;
    /** What was removed (under --dry-run: what would be), in order. */
    removed: string[];
    /** What stays because the host's install record says it was there before eectl. */
    kept: string[];
    /** No install record (installed by an older eectl): reset removed the engine as it did before. */
    legacy: boolean;
  }[];
}

/** What `backup` reports (the `--json` result). */
export interface BackupResult extends ChangeReport, HooksReport {
  cluster: string;
  /** The archive written (under --dry-run: where it would be). */
  archive: string;
  bytes?: number;
  source: { host: string; hostname: string };
  /** One manager: the swarm could not be managed during the copy. */
  outage: boolean;
  swarmId: string;
  registryData: boolean;
  /** SHA-256 of the cluster CA certificate whose key signed the manifest (manifest.sig). */
  signedBy: string;
  counts: {
    nodes: number;
    services: number;
    secrets: number;
    configs: number;
    networks: number;
    files?: number;
  };
  /** Older archives removed by --keep. */
  pruned: string[];
  unreachable: { host: string; message: string }[];
}

/** What `restore` reports (the `--json` result). */
export interface RestoreResult extends ChangeReport {
  cluster: string;
  archive: string;
  swarmId: string;
  /** The manager that got the swarm state. */
  target: string;
  /** Hosts that were in a swarm and left it (--force). */
  replaced: string[];
  /** Old managers → new ones (`m2 10.0.1.12 → 10.8.0.31: gets the swarm state, …`). */
  mapping: string[];
  services: { name: string; running: number; desired: number }[];
  /** What differs from the manifest (empty: everything is back). */
  differences: string[];
  /** Who signed the archive, as checked against the trust anchor (or why not, under --accept-unsigned). */
  signature: ArchiveSignature;
  /** Services whose tasks are unevenly spread over the nodes (`eectl rebalance` spreads them). */
  uneven?: string[];
}

/** One host in the upgrade plan, in the order the hosts take their turns. */
export interface UpgradeHostPlan {
  host: string;
  role: string;
  /** Installed package version and what the daemon reports now. */
  from: { package: string; daemon: string | undefined };
  to: string;
  /** False when the host already runs the target (a resumed run leaves it alone), or is not in --hosts. */
  changes: boolean;
  /** False when --hosts did not name it: it stays on its version (`to` is then what the others move to). */
  selected?: boolean;
}

/** What `eectl upgrade` will do, shown before anything changes. */
export interface UpgradePlan {
  requested: string | undefined;
  /** The engine version every host ends on (upstream, as daemons report it). */
  target: string | undefined;
  hosts: UpgradeHostPlan[];
  /** Workers restarted at once. */
  batchSize: number;
  /** What happens about a backup first. */
  backup: string;
  /** How long a drained node's tasks may take to run elsewhere. */
  drainTimeoutSeconds: number;
  /** How long the hosts' turns may take, from each host's last measured turn. */
  estimate: RollingPreview['estimate'];
  /** Hosts without an engine: `eectl install` sets them up, upgrade leaves them. */
  skipped: string[];
  /** With --hosts or --exclude: the hosts this upgrade leaves on their version. */
  selection?: HostSelectionReport;
}

/** What one host's package source offers of the engine package, and what it runs. */
export interface HostOffer {
  host: string;
  /** The package manager's version ordering (deb, rpm). */
  family: 'deb' | 'rpm';
  /** The engine package of the source (docker.io, docker-ce, …). */
  package: string;
  /** Package versions offered, newest first. */
  offered: string[];
  /** The installed engine package's version; absent without an engine. */
  installed?: string;
  /** The version engine.version of the file resolves to on this host; absent when none offered matches. */
  pinned?: string;
}

/** One offered package version, with the hosts that offer it, run it, and whose file's pin it is. */
export interface OfferedVersion {
  version: string;
  /** As the daemon reports it (26.1.5). */
  upstream: string;
  package: string;
  hosts: string[];
  /** Hosts whose installed engine package is this version. */
  installed: string[];
  /** Hosts where engine.version of the file resolves to this version. */
  pinned: string[];
}

/** What `upgrade --list` reports (the `--json` result). */
export interface UpgradeListResult extends ActionReport {
  cluster: string;
  /** engine.version of the file; absent: the newest stable version. */
  engineVersion?: string;
  /** Every version offered, newest first, deduplicated over the hosts. */
  versions: OfferedVersion[];
  hosts: HostOffer[];
}

/** What `upgrade` reports (the `--json` result). */
export interface UpgradeResult extends ChangeReport, HooksReport {
  cluster: string;
  plan: UpgradePlan;
  file: { path: string; changed: boolean };
  backup?: string;
  rolling: RollingReport;
  /** Services whose tasks stayed unevenly spread after the hosts' turns (`eectl rebalance` spreads them). */
  uneven?: string[];
}

/** What a dry run shows of a rolling change before it runs: order, batches, drains, daemon.json, time. */
export interface RollingPreview {
  /** The hosts in the order of their turns (managers one at a time, the leader last, then workers in batches, then registry nodes); one `turn` number per group restarted at once. */
  order: { turn: number; host: string; role: string; leader: boolean; reasons: string[] }[];
  /** Workers restarted at once. */
  batchSize: number;
  /** How long a drained node's tasks may take to run elsewhere before its turn fails. */
  drainTimeoutSeconds: number;
  /** The daemon.json change, key by key (+ added, - removed, ~ changed), with the hosts it applies to. */
  daemonJson: { hosts: string[]; diff: string[] }[];
  /** From each host's last measured turn (~/.eectl/<cluster>/rolling-turns.json); no seconds when none was measured. */
  estimate: {
    seconds?: number;
    measured: { host: string; seconds: number; at: string; what: string }[];
    unmeasured: string[];
    description: string;
  };
}

/** How each host's turn went: its window is from the drain until it is active again. */
export interface RollingReport {
  batchSize: number;
  /** `times`: seconds of each part of the turn (rolling/roll.ts TurnTimes), for the upgrade benchmark. */
  hosts: {
    host: string;
    role: string;
    seconds: number;
    drained: boolean;
    times: Partial<Record<string, number>>;
  }[];
}

/**
 * healthy: every host of the file is a Ready node, managers reachable, API listening, quorum held.
 * degraded: the quorum holds, but something of the file is down, missing or unreachable.
 * quorum-lost: the swarm cannot be managed (no leader, or no manager answers).
 */
export type Health = 'healthy' | 'degraded' | 'quorum-lost';

/** A certificate's expiry, as status shows it. */
export interface Expiry {
  notAfter: string;
  daysLeft: number;
  /** In its last 30 days (or expired): install renews server certificates then. */
  due: boolean;
}

/** One node: a host of the file, a swarm node, or both. */
export interface StatusNode {
  /** The host's address in the file; undefined for a node the file does not name. */
  host: string | undefined;
  fileRole: Role | undefined;
  /** The node's hostname, else the host's own; undefined (absent in --json) when neither could be read. */
  hostname: string | undefined;
  address: string;
  /** Swarm role; undefined when the host is not in the swarm (or the swarm could not be read). */
  role: 'manager' | 'worker' | undefined;
  /** ready | down | unknown | disconnected, or "unreachable" when only SSH could tell (and failed). */
  state: string;
  /** active | pause | drain; undefined when not in the swarm. */
  availability: string | undefined;
  /** The manager that leads Raft (false for workers and hosts not in the swarm). */
  leader: boolean;
  /** Managers: reachable | unreachable | unknown, as the swarm says; undefined for workers. */
  reachability: string | undefined;
  /** What the node reports, else the host's engine; undefined when neither could be read. */
  engineVersion: string | undefined;
  /** Managers: whether the engine listens on the API port (from the host's facts). */
  apiListening: boolean | undefined;
  /** Managers: the API server certificate's expiry. */
  certificate: Expiry | undefined;
}

/** What differs between the file and the cluster. */
export interface Drift {
  /** Hosts of the file whose node is not in the swarm. */
  missingFromSwarm: string[];
  /** Swarm nodes (hostname and address) that no host of the file is. */
  notInFile: string[];
  /** Nodes whose engine is not the file's engine.version (or, without one, not the most common version). */
  engineVersions: { node: string; version: string; expected: string }[];
}

/** One host of a support dump: whether it was collected whole, and what could not be read. */
export interface SupportDumpHost {
  host: string;
  role: Role;
  collected: boolean;
  problems: string[];
}

/** What `eectl support dump` reports (the `--json` result). */
export interface SupportDumpResult extends ActionReport {
  cluster: string;
  archive: string;
  bytes: number;
  files: number;
  hosts: SupportDumpHost[];
  swarm: { from: string; nodes: number } | { error: string };
  runLogs: number;
  /** Hosts not collected whole, the swarm not read: the dump is written all the same. */
  warnings: string[];
}

/** What `eectl status` reports (the `--json` result). */
export interface StatusResult {
  cluster: string;
  health: Health;
  quorum: {
    managers: number;
    reachable: number;
    hasQuorum: boolean;
    faultTolerance: number;
    description: string;
  };
  nodes: StatusNode[];
  drift: Drift;
  ca: Expiry | undefined;
  registry: RegistryStatus;
  /** The ingress proxies, each asked from its own node (only with spec.ingress). */
  ingress?: { proxies: { host: string; healthy: boolean; detail: string }[] };
  /** The registry's webhook endpoints and their deliveries (only with spec.registry.notifications). */
  webhooks?: WebhookStatus;
  /** What makes the cluster degraded or lost (empty when healthy). */
  problems: string[];
  /** Worth knowing, not unhealthy: drift, certificates due, drained nodes. */
  warnings: string[];
}

/** Services and tasks as `eectl status --services` reports them (read through the engine API). */
export interface Workloads {
  services: ServiceView[];
  /** Tasks the orchestrator wants running, and the latest failed ones of each service. */
  tasks: TaskView[];
  /** The manager that answered. */
  answeredBy: string;
}

/** What every node command reports (the `--json` result). */
export interface NodeActionResult extends ChangeReport {
  cluster: string;
  command: NodeCommand;
  target: string;
  /** The node after the command (undefined once removed, or when it never was in the swarm). */
  node: NodeSummary | undefined;
  warnings: string[];
  file: { path: string; changed: boolean };
  /** node activate: services whose tasks stayed unevenly spread (`eectl rebalance` spreads them). */
  uneven?: string[];
}

/**
 * A node as node commands report it. Its fields are named as in `status` and `node ls` (StatusNode,
 * NodeListRow): `leader` and `reachability`, as the swarm's ManagerStatus has them.
 */
export interface NodeSummary {
  id: string;
  hostname: string;
  address: string;
  role: string;
  state: string;
  availability: string;
  leader: boolean;
  /** Managers: reachable | unreachable | unknown; undefined for workers. */
  reachability: string | undefined;
  engineVersion: string;
}

/** The day-2 node commands that change the cluster (ls only reads it). */
export type NodeCommand = 'remove' | 'promote' | 'demote' | 'drain' | 'activate';

/**
 * One row of `eectl node ls`: a node of the swarm, a host of the file, or both. The facts status reports
 * too have the names and meanings of StatusNode's: host, address, role, fileRole, state, availability,
 * leader, reachability, engineVersion.
 */
export interface NodeListRow {
  /** The host's address in the file; undefined for a node the file does not name. */
  host: string | undefined;
  /** The node's swarm address, else (not in the swarm) the address in the file. */
  address: string;
  hostname: string | undefined;
  id: string | undefined;
  /** The swarm's role; undefined when not in the swarm. */
  role: 'manager' | 'worker' | undefined;
  /** The file's role; undefined when the file does not list it. */
  fileRole: Role | undefined;
  /** ready | down | … ; or `not in swarm`, `unreachable` for file hosts the swarm does not have. */
  state: string;
  availability: string | undefined;
  /** The manager that leads Raft (false for workers and hosts not in the swarm). */
  leader: boolean;
  /** Managers: reachable | unreachable | unknown, as the swarm says; undefined for workers. */
  reachability: string | undefined;
  engineVersion: string | undefined;
  inFile: boolean;
  inSwarm: boolean;
}

/** What `node ls` reports (the `--json` result). */
export interface NodeListResult {
  cluster: string;
  /** The manager the list came from. */
  contact: string;
  nodes: NodeListRow[];
  quorum: QuorumState & { description: string };
}

/** What `eectl rebalance` will do, shown before anything changes. */
export interface RebalancePlan {
  /** The services whose tasks the swarm is asked to replace, in order, as judged now. */
  services: ServiceSpread[];
}

/** One service the rebalance replaced the tasks of: its spread before and after, and how long it took. */
export interface RebalancedService {
  name: string;
  before: NodeCount[];
  after: NodeCount[];
  seconds: number;
}

/** What `rebalance` reports (the `--json` result). */
export interface RebalanceResult extends ChangeReport {
  cluster: string;
  /** The manager the swarm was read and changed through. */
  contact: string;
  /** Every replicated service (those named by --service only, when named), judged before any change. */
  services: ServiceSpread[];
  /** The services rebalanced (under --dry-run: that would be), in order. */
  planned: string[];
  rebalanced: RebalancedService[];
}
