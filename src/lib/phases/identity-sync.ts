import { compilePolicy } from '../access/compile.js';
import type { AccessPolicy } from '../access/model.js';
import { AUTHZ_MANIFEST, POLICY_FILE } from '../host-layout.js';
import { parsePolicy } from '../access/plugin.js';
import { EectlError, ExitCode } from '../errors.js';
import { diffIsEmpty, identityDiff, type IdentityDiff } from '../access/identity-diff.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { writePolicy } from './converge/access.js';
import { directoryRead } from './converge/directory-read.js';
import { tolerantConnectPhase } from './connect.js';
import type { UnreachableHost } from '../results/report.js';

/** The context of `eectl identity sync`: the managers reached, and the next policy once planned. */
export interface SyncContext extends ClusterContext {
  unreachable: UnreachableHost[];
  /** The next policy and what it changes, once planned. */
  next?: { json: string; diff: IdentityDiff };
}

/**
 * Connects the managers only (workers hold no policy). One that cannot be reached is written to next
 * time: the run goes on for the others and ends with exit 4, naming it; the lock's manager must answer.
 */
export const connectManagersPhase: Phase<SyncContext> = tolerantConnectPhase(
  ', so its policy is not updated',
  (spec) => spec.role === 'manager',
);

/** The policy the managers enforce now, with the file's access and what the directory said. */
export const planPolicyPhase: Phase<SyncContext> = {
  title: 'Compare with the managers’ policy',
  async run(ctx, out) {
    const current: AccessPolicy[] = [];
    for (const host of ctx.hosts) {
      const files = host.known.files;
      const text = files[POLICY_FILE];
      if (files[AUTHZ_MANIFEST] === undefined || text === undefined) {
        throw new EectlError(
          `${host.name}: no authorization plugin: identity sync updates an installed policy`,
          {
            code: 'EIDENTITY_NO_POLICY',
            kind: 'user',
            exitCode: ExitCode.preflight,
            host: host.name,
            suggestions: ['Run eectl install: it installs the plugin and reads the directory too.'],
          },
        );
      }
      try {
        current.push(parsePolicy(text));
      } catch (error) {
        throw new EectlError(`${host.name}: ${POLICY_FILE} cannot be read (${(error as Error).message})`, {
          code: 'EIDENTITY_NO_POLICY',
          kind: 'external',
          exitCode: ExitCode.preflight,
          host: host.name,
          suggestions: ['Run eectl install: it writes the policy again.'],
        });
      }
    }
    const read = await directoryRead(ctx);
    if (!read) throw new Error('bug: identity sync without a directory read');
    const base = current[0];
    // Only people change here: the image policy and the registry's rules stay as install wrote them.
    const compiled = compilePolicy(
      ctx.config.metadata.name,
      ctx.config.spec.access,
      current,
      new Date(read.snapshot.readAt),
      base?.images,
      read.input,
    );
    const policy: AccessPolicy = {
      ...compiled,
      ...(compiled.registry === undefined && base?.registry !== undefined && { registry: base.registry }),
    };
    const diff = identityDiff(base, policy);
    ctx.next = { json: `${JSON.stringify(policy, null, 2)}\n`, diff };
    out.report(
      read.snapshot.url,
      diffIsEmpty(diff)
        ? 'no change in users or teams'
        : `+${diff.usersAdded.length} -${diff.usersRemoved.length} users, +${diff.membershipsAdded.length} -${diff.membershipsRemoved.length} memberships`,
    );
  },
};

/** Every reachable manager gets the policy (with the new time of the sync); the plugin reloads it itself. */
export const writePolicyPhase: Phase<SyncContext, 'next'> = {
  title: 'Write the policy on the managers',
  needs: ['next'],
  async run(ctx) {
    await mapAll(ctx.hosts, ctx.concurrency, (host) => writePolicy(ctx, host, ctx.next.json));
  },
};
