import { satisfiedVersion, sourceSpec } from './converge/package-source.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Host } from '../host/host.js';
import { configurerFor, engineVersions } from '../host/os/index.js';
import { assertSameUpstreamVersion, resolveAcrossHosts, upstreamVersion } from '../host/version.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { applySteps } from './runner/steps.js';

/**
 * Running engines that differ from the file stay as they are (restarting them all at once is an outage):
 * said once, naming the hosts and the command that moves them one at a time.
 */
function warnHeldBack(ctx: ClusterContext, heldBack: Map<string, string>): void {
  const runs = [...new Set([...heldBack.values()].map(upstreamVersion))].join(', ');
  const message =
    `engine not upgraded on ${[...heldBack.keys()].join(', ')}: running ${runs}, engine.version asks for ` +
    `${ctx.config.spec.engine.version ?? 'the newest'}. install never upgrades a running engine; ` +
    '`eectl upgrade` moves them one host at a time, drained first.';
  ctx.log.warn(message);
  (ctx.warnings ??= []).push(message);
}

/**
 * Resolves engine.version to an exact package version on every host, all of one upstream version. Hosts
 * that already satisfy the file keep theirs, and the others are resolved to the same upstream version.
 */
export const engineVersionPhase: Phase<ClusterContext> = {
  title: 'Resolve the engine version',
  async run(ctx, out) {
    const spec = sourceSpec(ctx);
    const pending: Host[] = [];
    for (const host of ctx.hosts) {
      const satisfied = satisfiedVersion(ctx, host);
      const engine = host.facts?.engine;
      if (satisfied) ctx.engineVersions.set(host.name, satisfied);
      else if (engine?.running && engine.packageVersion)
        (ctx.heldBack ??= new Map()).set(host.name, engine.packageVersion);
      else pending.push(host);
    }
    if (ctx.heldBack) warnHeldBack(ctx, ctx.heldBack);
    if (pending.length > 0 && !ctx.changes.dryRun) {
      const offers = await mapAll(pending, ctx.concurrency, async (host) => {
        const configurer = configurerFor(host.known);
        await applySteps(ctx, host, configurer.refreshMetadata(spec), out);
        const listing = await host.exec(configurer.listVersions(spec).command, {
          check: false,
          timeoutMs: 120_000,
        });
        const offered = configurer.parseAvailable(listing.stdout);
        // The install pins the engine's companions (its CLI) to the same version from these offers.
        ctx.engineOffers.set(host.name, offered);
        const available = engineVersions(offered, configurer.enginePackages(spec));
        return { host: host.name, available, family: configurer.packageFamily };
      });
      // Hosts that already run the engine fix the upstream version for the rest.
      const kept = [...ctx.engineVersions.values()];
      const requested = kept.length > 0 ? upstreamVersion(kept[0]!) : ctx.config.spec.engine.version;
      for (const [host, version] of resolveAcrossHosts(requested, offers))
        ctx.engineVersions.set(host, version);
    } else if (pending.length > 0) {
      for (const host of pending)
        ctx.engineVersions.set(
          host.name,
          `${ctx.config.spec.engine.version ?? 'newest'} (resolved when run)`,
        );
    }
    if (ctx.engineVersions.size > 0 && !ctx.changes.dryRun) {
      const upstream = assertSameUpstreamVersion(ctx.engineVersions);
      out.report(ctx.hosts[0]!.name, `engine ${upstream}`);
    }
  },
};
