/**
 * What the user of the dashboard may do: the one seam between the page and the cluster's access policy.
 * The server asks it for every snapshot it sends (the page shows only the actions it allows) and again
 * before each action (refused here without asking the managers). Whatever it says, the managers decide
 * last: an action they refuse (HTTP 403) is shown as denied with their message.
 */

/** Allowed or not, and why (shown on the page). */
export interface Verdict {
  allowed: boolean;
  reason: string;
}

/** The actions of the dashboard for one snapshot. */
export interface DashboardPermissions {
  /** Drain or activate some node (`nodes` says which). */
  nodeAvailability: boolean;
  /** Change the replica count of some replicated service (`services` says which). */
  scaleService: boolean;
  /** Deploy a Compose file as a stack. */
  deployStack: boolean;
  /** Shown on the page: where these answers come from. */
  source: string;
  /** Per node ID; a node not listed follows `nodeAvailability`. */
  nodes?: Record<string, Verdict>;
  /** Per service ID; a service not listed follows `scaleService`. */
  services?: Record<string, Verdict>;
  /** Why an action is offered nowhere, or to which collections a stack may go. */
  notes?: { nodeAvailability?: string; scaleService?: string; deployStack?: string };
  /** The collections the user may deploy a stack into (its services and networks name one in their labels). */
  deployCollections?: string[];
}

/** Who the page acts for: the client bundle's certificate. */
export interface DashboardUser {
  /** The certificate's CN (the --user it was issued for). */
  name: string;
  /** When the certificate was issued (for revocations), when known. */
  issuedAt?: Date;
}

/** One operation the page asks for (dashboard/operations.ts carries it out), as the server is about to send it. */
export type DashboardOperation =
  | { kind: 'nodeAvailability'; nodeId: string; availability: 'drain' | 'active' }
  | { kind: 'scaleService'; serviceId: string; replicas: number }
  | { kind: 'deployStack'; name: string };

/** The swarm's nodes and services as the engine API listed them (their specs decide). */
export interface RawObjects {
  nodes: unknown[];
  services: unknown[];
}

/** Answers what `user` may do: for a page, and before each action. */
export interface PermissionsSource {
  forPage(user: DashboardUser, objects: RawObjects): Promise<DashboardPermissions>;
  /** Refusing (allowed false) stops the action before the managers are asked. */
  check(user: DashboardUser, operation: DashboardOperation): Promise<Verdict>;
}

const FULL_CONTROL_SOURCE =
  'the cluster file has no spec.access: every action is offered (the managers run no access policy from it, and refuse what one they still run does not allow)';

/**
 * Without `spec.access` the managers run no access policy from the file and any certificate of the cluster
 * CA has full control of the engine API, so every action is offered: the page says so.
 */
export const fullControlPermissions: PermissionsSource = {
  forPage: async () => ({
    nodeAvailability: true,
    scaleService: true,
    deployStack: true,
    source: FULL_CONTROL_SOURCE,
  }),
  check: async () => ({ allowed: true, reason: FULL_CONTROL_SOURCE }),
};
