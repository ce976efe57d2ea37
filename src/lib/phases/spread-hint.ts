import { toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase, PhaseContext } from './runner/phase.js';
import { readSpreads } from './runner/service-spread.js';

/** A context whose run ends with the services that stayed crowded (the hint to run eectl rebalance). */
export interface SpreadHintContext extends PhaseContext {
  /** Services whose tasks are unevenly spread at the end of the run; undefined: not looked at. */
  uneven?: string[];
}

/**
 * After a node came back (node activate, the end of an upgrade, a restore), looks which services stayed
 * crowded on fewer nodes than could run them (the swarm does not move tasks back by itself): the result
 * names them and the command prints the hint to run `eectl rebalance`. Changes nothing and never fails
 * the run: a swarm that does not answer costs the hint, not the command's result.
 */
export function spreadHintPhase<C extends SpreadHintContext>(
  manager: (ctx: C) => Host | undefined,
  when: (ctx: C) => boolean = () => true,
): Phase<C> {
  return {
    title: 'Look at how services are spread',
    shouldRun: (ctx) => !ctx.changes.dryRun && manager(ctx) !== undefined && when(ctx),
    async run(ctx) {
      const host = manager(ctx)!;
      try {
        const { spreads } = await readSpreads(new HostDocker(host));
        ctx.uneven = spreads.filter((s) => s.verdict === 'uneven').map((s) => s.name);
      } catch (error) {
        host.log.warn(
          `could not tell how the services are spread: ${toEectlError(error).message.split('\n')[0]}`,
        );
      }
    },
  };
}
