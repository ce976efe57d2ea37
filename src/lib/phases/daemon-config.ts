import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { validateDaemonConfig } from './rolling/daemon-config.js';
import { mapAll } from '../util/concurrency.js';
import { mergedDaemonJson, mirrorDaemonKeys } from './converge/engine.js';

/** What the file asks of daemon.json: engine.daemon and the mirrors' registry-mirrors. */
const fileDaemonKeys = (ctx: ClusterContext): Record<string, unknown> => ({
  ...ctx.config.spec.engine.daemon,
  ...mirrorDaemonKeys(ctx.config),
});

/**
 * Checks every daemon.json the run would write before any host changes (exit 3 when one is refused):
 * an option the engine rejects would otherwise stop each engine that restarts with it.
 */
export const daemonConfigPhase: Phase<ClusterContext> = {
  title: 'Check the engine configuration',
  shouldRun: (ctx) => ctx.hosts.some((h) => mergedDaemonJson(h, fileDaemonKeys(ctx)) !== undefined),
  async run(ctx) {
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      const text = mergedDaemonJson(host, fileDaemonKeys(ctx));
      if (text !== undefined) await validateDaemonConfig(host, text);
    });
  },
};
