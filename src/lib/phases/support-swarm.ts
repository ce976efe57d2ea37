import { toEectlError } from '../errors.js';
import { inSwarm } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { collectSwarm } from '../support/collect.js';
import { withDeadline } from '../support/deadline.js';
import { SWARM_ERROR } from '../support/layout.js';
import { learnJoinTokens } from '../support/secrets.js';
import { parseNodeInspect } from '../swarm/nodes.js';
import type { SupportDumpContext } from './support-hosts.js';

/**
 * The swarm's nodes, services and tasks (with their errors), from the first manager of the file that is
 * in the swarm and answers, each within --host-timeout. The join tokens are read into the redactor first:
 * they are in no part of the dump, and if one were, it would be removed. None answers: `swarm/ERROR.txt`.
 */
export const supportSwarmPhase: Phase<SupportDumpContext> = {
  title: 'Read the swarm',
  async run(ctx, out) {
    const candidates = ctx.hosts.filter((h) => h.isManager && h.facts?.swarm?.isManager && inSwarm(h));
    const errors: string[] = [];
    for (const manager of candidates) {
      const entries: typeof ctx.entries = [];
      try {
        const nodes = await withDeadline(ctx.request.hostTimeoutMs, ctx.signal, async (signal) => {
          await learnJoinTokens(manager);
          return collectSwarm(manager, entries, signal);
        });
        ctx.entries.push(...entries);
        ctx.swarm = { from: manager.name, nodes: parseNodeInspect(nodes) };
        out.report(manager.name, `${ctx.swarm.nodes.length} nodes`);
        return;
      } catch (error) {
        errors.push(`${manager.name}: ${toEectlError(error).message}`);
      }
    }
    const error =
      errors.length > 0 ? errors.join('\n') : 'no manager of the file is in the swarm and reachable';
    ctx.log.warn(`the swarm could not be read: ${error}`);
    ctx.swarm = { error };
    ctx.entries.push({ name: SWARM_ERROR, text: `${error}\n` });
  },
};
