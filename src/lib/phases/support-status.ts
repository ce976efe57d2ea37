import { toEectlError } from '../errors.js';
import type { Phase } from './runner/phase.js';
import { withDeadline } from '../support/deadline.js';
import { STATUS } from '../support/layout.js';
import type { SupportDumpContext } from './support-hosts.js';

/** `eectl status --json`'s result, judged from what the dump read (no second round of facts). */
export const supportStatusPhase: Phase<SupportDumpContext> = {
  title: 'Report the status',
  async run(ctx) {
    const swarm =
      ctx.swarm && 'nodes' in ctx.swarm ? { nodes: ctx.swarm.nodes } : { error: ctx.swarm?.error };
    try {
      const envelope = await withDeadline(ctx.request.hostTimeoutMs, ctx.signal, () =>
        ctx.readStatus(ctx.described, swarm),
      );
      ctx.entries.push({ name: STATUS, text: `${JSON.stringify(envelope, null, 2)}\n` });
    } catch (error) {
      const e = toEectlError(error);
      ctx.entries.push({
        name: STATUS,
        text: `${JSON.stringify({ status: e.exitCode, error: { code: e.code, message: e.message } }, null, 2)}\n`,
      });
    }
  },
};
