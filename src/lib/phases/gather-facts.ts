import type { ClusterContext } from './runner/cluster-context.js';
import { gatherFacts } from '../host/facts.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';

/** Reads every host's facts in one round trip each, in parallel. */
export const gatherFactsPhase: Phase<ClusterContext> = {
  title: 'Gather host facts',
  async run(ctx, out) {
    ctx.factsReadAt = Math.round(Date.now() / 1000);
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      host.facts = await gatherFacts(host.conn, ctx.signal);
      const f = host.facts;
      const engine = f.engine?.serverVersion ? `engine ${f.engine.serverVersion}` : 'no engine';
      out.report(host.name, `${f.os.prettyName}, ${engine}, swarm ${f.swarm?.state ?? 'inactive'}`);
      host.log.debug(`facts: ${JSON.stringify(f)}`);
    });
  },
};
