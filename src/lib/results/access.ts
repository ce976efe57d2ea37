import type { Decision } from '../access/model.js';

/** `host` is the manager whose plugin decided; empty when access control is off and the file decided. */
export type AccessCheckResult = Decision & { host: string; method: string; path: string };

/** `access check --registry-scope`: what the token service would grant `user` of each scope. */
export interface RegistryCheckResult {
  host: string;
  user: string;
  /** Whether the user is in the manager's policy (a login would be refused otherwise). */
  known: boolean;
  /** Every asked action granted. */
  allow: boolean;
  decisions: { scope: string; granted: string[]; reason: string }[];
}

/** One decision of the audit log, with the manager that made it. */
export interface AuditEntry {
  host: string;
  time: string;
  user: string;
  method: string;
  path: string;
  resource: string;
  action: string;
  allow: boolean;
  reason: string;
}

/** What `access log` reports: the audit log's decisions, and the managers it could not read. */
export interface AccessLogResult {
  entries: AuditEntry[];
  /** Managers that could not be read, with why. */
  unreachable: { host: string; error: string }[];
}

/** What `client-config` did (the `--json` result). */
export interface ClientConfigResult {
  cluster: string;
  user: string;
  dir: string;
  files: string[];
  dockerHost: string;
  /** The certificate's last day (ISO 8601). */
  expires: string;
  /** Where the CA came from: this machine, a manager, or controlPlane.ca. */
  caSource: string;
  context: { name: string; status: 'created' | 'updated' | 'skipped'; reason?: string };
}
