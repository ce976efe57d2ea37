/**
 * What the user of the dashboard may do: the one seam between the page and the cluster's access policy.
 * The server asks it once per snapshot it sends and before each action; the page shows only the actions
 * it allows. Whatever it says, the managers decide last: an action they refuse (HTTP 403) is shown as
 * denied with their message.
 */

/** The actions of the dashboard, each allowed or not, with the reason shown when not. */
export interface DashboardPermissions {
  /** Drain or activate nodes. */
  nodeAvailability: boolean;
  /** Change a replicated service's replica count. */
  scaleService: boolean;
  /** Deploy a Compose file as a stack. */
  deployStack: boolean;
  /** Shown on the page: where these answers come from. */
  source: string;
}

/** Who the page acts for: the client bundle's certificate. */
export interface DashboardUser {
  /** The certificate's CN (the --user it was issued for). */
  name: string;
}

/** Answers what `user` may do (may ask the managers). */
export type PermissionsSource = (user: DashboardUser) => Promise<DashboardPermissions>;

/**
 * Until the managers enforce an access policy, any certificate of the cluster CA has full control of the
 * engine API, so every action is offered: the page says so.
 */
export const fullControlPermissions: PermissionsSource = async () => ({
  nodeAvailability: true,
  scaleService: true,
  deployStack: true,
  source: 'no access policy on the managers: every client bundle has full control',
});
