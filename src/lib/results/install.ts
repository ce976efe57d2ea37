import type { Role } from '../config/schema.js';
import type { ReplicaHealth } from '../registry/plan.js';
import type { QuorumState } from '../swarm/quorum.js';
import type { HooksReport } from '../hooks/report.js';
import type { NodeSummary } from './node.js';
import type { ChangeReport, HostSelectionReport } from './report.js';
import type { RollingPreview } from './rolling.js';

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

/** What `node join` reports (the `--json` result). */
export interface JoinResult {
  cluster: string;
  address: string;
  role: string;
  dryRun: boolean;
  /** The host was added to the file by this run (under --dry-run: would be). False when it was listed already. */
  file: { path: string; changed: boolean };
  /** The install run that joined it (under --dry-run: its plan). */
  install: InstallResult;
  seconds: number;
}
