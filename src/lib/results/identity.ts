import type { IdentityDiff } from '../access/identity-diff.js';
import type { ActionReport, Change, UnreachableHost } from './report.js';

/** What `identity sync` did: who gained or lost access, and on which managers the policy was written. */
export interface IdentitySyncResult extends ActionReport {
  cluster: string;
  dryRun: boolean;
  /** False when the directory and the file give the same people the same access as the managers' policy. */
  changed: boolean;
  diff: IdentityDiff;
  directory: { url: string; users: number; roundTrips: number; syncedAt: string };
  /** The managers that got the policy (would, under --dry-run). */
  managers: string[];
  unreachable: UnreachableHost[];
  warnings: string[];
  changes: Change[];
}

/** A user in force on the managers, as `identity ls` lists it. */
export interface IdentityUserRow {
  name: string;
  source: 'file' | 'ldap';
  admin: boolean;
  teams: string[];
  dn?: string;
}

/** What `identity ls` shows: the users and teams of a manager's policy, and when the directory was read. */
export interface IdentityListResult {
  cluster: string;
  host: string;
  directory?: { url: string; syncedAt?: string };
  users: IdentityUserRow[];
  teams: { name: string; ldapGroup?: string; members: string[] }[];
}
