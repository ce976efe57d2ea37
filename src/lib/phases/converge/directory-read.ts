import { oncePer } from '../../util/once-per.js';
import type { DirectoryInput } from '../../access/compile.js';
import type { DirectoryConnection } from '../../access/model.js';
import type { LdapSpec } from '../../config/schema.js';
import {
  directoryBindPassword,
  directoryCaPem,
  readDirectory,
  type DirectorySnapshot,
} from '../../identity/directory.js';
import type { ClusterContext } from '../runner/cluster-context.js';

// The directory (spec.identity.ldap) as a run reads it, once: the access plan and the read-directory
// phase share it.

/** The directory as this run read it, and what the policy gets from it. */
export interface DirectoryRead {
  snapshot: DirectorySnapshot;
  input: DirectoryInput;
}

/**
 * The directory of `spec.identity.ldap`, read once per run (memoised), from where eectl runs: undefined
 * without a directory or without access control. Its warnings (users skipped, groups not found, a name in
 * both the file and the directory) are said at the end of the run.
 */
export const directoryRead: (ctx: ClusterContext) => Promise<DirectoryRead | undefined> = oncePer(readOnce);

async function readOnce(ctx: ClusterContext): Promise<DirectoryRead | undefined> {
  const ldap = ctx.config.spec.identity.ldap;
  const access = ctx.config.spec.access;
  if (!ldap || !access) return undefined;
  const caPem = directoryCaPem(ldap);
  const groups = access.teams.flatMap((t) => (t.ldapGroup === undefined ? [] : [t.ldapGroup]));
  const snapshot = await readDirectory(
    { spec: ldap, bindPassword: directoryBindPassword(ldap), caPem },
    groups,
  );
  const warn = (message: string) => {
    ctx.log.warn(message);
    (ctx.warnings ??= []).push(message);
  };
  for (const w of snapshot.warnings) warn(w);
  return {
    snapshot,
    input: {
      users: snapshot.users,
      groups: snapshot.groups,
      connection: policyDirectory(ldap, caPem, snapshot.readAt),
      warn,
    },
  };
}

/** `policy.directory`: how the token service reaches the directory; no bind account, no secret. */
export function policyDirectory(
  ldap: LdapSpec,
  caPem: string | undefined,
  syncedAt: string,
): DirectoryConnection {
  return {
    url: ldap.url,
    startTLS: ldap.startTLS,
    insecure: ldap.insecure,
    ...(caPem !== undefined && { caPem }),
    timeoutSeconds: ldap.timeoutSeconds,
    syncedAt,
  };
}
