import { sourceSpec, sourceInPlace } from './converge/package-source.js';
import type { ClusterContext } from './runner/cluster-context.js';
import { configurerFor } from '../host/os/index.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { applySteps } from './runner/steps.js';
import { hostProxy } from './converge/engine-proxy.js';

/** Points each host's package manager at the engine's source: Docker's repository, the distro's, or a mirror. */
export const packageSourcePhase: Phase<ClusterContext> = {
  title: 'Configure package sources',
  shouldRun: (ctx) => ctx.hosts.some((h) => !sourceInPlace(ctx, h)),
  async run(ctx, out) {
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      if (sourceInPlace(ctx, host)) return;
      const spec = { ...sourceSpec(ctx), proxy: hostProxy(ctx, host) };
      await applySteps(ctx, host, configurerFor(host.known).setupSource(spec), out);
    });
  },
};
