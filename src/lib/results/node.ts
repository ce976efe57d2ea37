import type { Role } from '../config/schema.js';
import type { QuorumState } from '../swarm/quorum.js';
import type { ChangeReport } from './report.js';

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
