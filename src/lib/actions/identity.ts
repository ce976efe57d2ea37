import type { AccessPolicy } from '../access/model.js';
import { POLICY_FILE } from '../host-layout.js';
import { parsePolicy } from '../access/plugin.js';
import type { ClusterConfig } from '../config/schema.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { diffIsEmpty } from '../access/identity-diff.js';
import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { readDirectoryPhase } from '../phases/identity.js';
import { directoryRead } from '../phases/converge/directory-read.js';
import {
  connectManagersPhase,
  planPolicyPhase,
  writePolicyPhase,
  type SyncContext,
} from '../phases/identity-sync.js';
import { lockPhaseFor } from '../phases/lock.js';
import { firstManager, type AccessOptions } from './access.js';
import type { IdentityListResult, IdentitySyncResult } from '../results/identity.js';

/** `eectl identity sync`: managers → lock → facts → directory → new policy → written on every manager. */
export const IDENTITY_SYNC_PHASES: AnyPhase<SyncContext>[] = [
  connectManagersPhase,
  lockPhaseFor('identity sync'),
  gatherFactsPhase,
  readDirectoryPhase,
  planPolicyPhase,
  writePolicyPhase as AnyPhase<SyncContext>,
];

function requireDirectory(config: ClusterConfig): void {
  if (!config.spec.identity.ldap) {
    throw new UsageError('the cluster file has no spec.identity.ldap: there is no directory to sync', {
      code: 'EIDENTITY_OFF',
      suggestions: ['Add spec.identity.ldap (see docs/identity.md), or manage users in spec.access.users.'],
    });
  }
}

/** Reads the directory and writes the resulting policy on every manager (unless --dry-run). */
export async function identitySync(options: ActionOptions): Promise<IdentitySyncResult> {
  requireDirectory(options.config);
  const ctx: SyncContext = { ...newClusterContext(options), unreachable: [] };
  const report = await runAction(IDENTITY_SYNC_PHASES, ctx, options.progress, async () =>
    ctx.lock?.release(),
  );
  const read = await directoryRead(ctx);
  const next = ctx.next;
  if (!read || !next) throw new Error('bug: identity sync ended without a plan');
  const result: IdentitySyncResult = {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    changed: !diffIsEmpty(next.diff),
    diff: next.diff,
    directory: {
      url: read.snapshot.url,
      users: read.snapshot.users.length,
      roundTrips: read.snapshot.roundTrips,
      syncedAt: read.snapshot.readAt,
    },
    managers: ctx.hosts.map((h) => h.name),
    unreachable: ctx.unreachable,
    warnings: ctx.warnings ?? [],
    changes: ctx.changes.entries,
    ...report,
  };
  if (ctx.unreachable.length > 0 && !options.dryRun) {
    throw new EectlError(
      `the policy was written on ${result.managers.join(', ')}, not on ${ctx.unreachable.map((u) => u.host).join(', ')} (unreachable): there, removed users keep their access until the next sync`,
      {
        code: 'EIDENTITY_PARTIAL',
        kind: 'external',
        exitCode: ExitCode.partial,
        suggestions: ['Bring the managers back and run eectl identity sync again.'],
      },
    );
  }
  return result;
}

/** The policy file of the first manager that answers (world-readable: no sudo). */
export async function readManagerPolicy(
  options: AccessOptions,
): Promise<{ host: string; policy: AccessPolicy }> {
  const { spec, conn } = await firstManager(options);
  const r = await conn.exec(['cat', '--', POLICY_FILE], { check: false, timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new EectlError(`${spec.address}: no access policy (${r.stderr.trim() || `cat exited ${r.code}`})`, {
      code: 'EIDENTITY_NO_POLICY',
      kind: 'user',
      host: spec.address,
      suggestions: ['Run eectl install: it writes the policy on every manager.'],
    });
  }
  try {
    return { host: spec.address, policy: parsePolicy(r.stdout) };
  } catch (error) {
    throw new EectlError(`${spec.address}: ${POLICY_FILE} cannot be read (${(error as Error).message})`, {
      code: 'EIDENTITY_NO_POLICY',
      kind: 'external',
      host: spec.address,
      suggestions: ['Run eectl install: it writes the policy again.'],
    });
  }
}

/** `eectl identity ls`: who is in force on the managers, from where, in which teams. Read-only. */
export async function identityList(options: AccessOptions): Promise<IdentityListResult> {
  const { host, policy } = await readManagerPolicy(options);
  const teamsOf = (name: string) => policy.teams.filter((t) => t.members.includes(name)).map((t) => t.name);
  return {
    cluster: options.config.metadata.name,
    host,
    ...(policy.directory && {
      directory: {
        url: policy.directory.url,
        ...(policy.directory.syncedAt !== undefined && { syncedAt: policy.directory.syncedAt }),
      },
    }),
    users: policy.users.map((u) => ({
      name: u.name,
      source: u.source ?? 'file',
      admin: u.admin,
      teams: teamsOf(u.name),
      ...(u.dn !== undefined && { dn: u.dn }),
    })),
    teams: policy.teams.map((t) => ({
      name: t.name,
      ...(t.ldapGroup !== undefined && { ldapGroup: t.ldapGroup }),
      members: [...t.members],
    })),
  };
}
