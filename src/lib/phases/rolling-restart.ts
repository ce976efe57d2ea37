import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { rollHosts, type RollingOptions } from './rolling/roll.js';

/**
 * The engine restarts that converging asked for on hosts in the swarm (a new daemon.json, new API files,
 * a file of `files:` that restarts the engine, written in the host's turn; a restart an earlier run left pending), through the rolling change: one manager at a time, workers in
 * batches, each drained and checked.
 */
export function rollingRestartPhase(options: RollingOptions = {}): Phase<ClusterContext, 'restarts'> {
  return {
    title: 'Restart engines in the swarm, one at a time',
    needs: ['restarts'],
    shouldRun: (ctx) => (ctx.restarts?.size ?? 0) > 0,
    async run(ctx, out) {
      const turns = [...ctx.restarts.values()].map((r) => ({
        host: r.host,
        reasons: r.reasons,
        ...(r.daemonJson !== undefined && { daemonJson: r.daemonJson }),
        ...(r.expectVersion !== undefined && { expectVersion: r.expectVersion }),
        ...(r.apply && {
          apply: async (turnOut: typeof out) => {
            for (const work of r.apply!) await work(turnOut);
          },
        }),
      }));
      await rollHosts(ctx, turns, out, options);
    },
  };
}
