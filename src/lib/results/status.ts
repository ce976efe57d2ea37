import type { Role } from '../config/schema.js';
import type { ServiceView, TaskView } from '../dashboard/view-model.js';
import type { RegistryStatus } from '../registry/status.js';
import type { WebhookStatus } from '../webhooks/report.js';

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
