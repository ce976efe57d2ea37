import { configurerFor, engineVersions, type ConfigurerFacts } from '../host/os/index.js';
import type { CommandStep } from '../host/os/steps.js';
import { matchingVersions, newestFirst } from '../host/version.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import type { HostOffer } from '../results/upgrade.js';
import { mapAll } from '../util/concurrency.js';
import { sourceSpec } from './converge/package-source.js';

/** `upgrade --list`'s context: what each host's engine source offers, once listed. */
export type ListContext = ClusterContext & { offers: HostOffer[] };

/** The steps `upgrade --list` runs on a host: refresh the engine source's package lists, list the engine package. */
export function listSteps(host: { known: ConfigurerFacts }, ctx: ClusterContext): CommandStep[] {
  const configurer = configurerFor(host.known);
  const spec = sourceSpec(ctx);
  const refresh = configurer.refreshMetadata(spec).filter((s): s is CommandStep => s.kind === 'command');
  return [...refresh, configurer.listVersions(spec)];
}

/** Reads each host's offers through its package manager: only argv, never a value in a script's text. */
export const listVersionsPhase: Phase<ListContext> = {
  title: 'List the engine versions offered',
  async run(ctx, out) {
    const spec = sourceSpec(ctx);
    const pin = ctx.config.spec.engine.version;
    ctx.offers = await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      const configurer = configurerFor(host.known);
      const steps = listSteps(host, ctx);
      const listing = steps.at(-1)!;
      for (const step of steps.slice(0, -1)) {
        out.report(host.name, step.description);
        await host.exec(step.command, { sudo: step.sudo, timeoutMs: 600_000 });
      }
      const result = await host.exec(listing.command, {
        sudo: listing.sudo,
        check: false,
        timeoutMs: 120_000,
      });
      const offered = newestFirst(
        engineVersions(configurer.parseAvailable(result.stdout), configurer.enginePackages(spec)),
        configurer.packageFamily,
      );
      const engine = host.facts?.engine;
      const pinned =
        pin === undefined
          ? undefined
          : newestFirst(matchingVersions(pin, offered), configurer.packageFamily)[0];
      out.report(host.name, `${offered.length} versions of ${configurer.enginePackages(spec).engine}`);
      return {
        host: host.name,
        family: configurer.packageFamily,
        package: configurer.enginePackages(spec).engine,
        offered,
        ...(engine?.packageVersion !== undefined && { installed: engine.packageVersion }),
        ...(pinned !== undefined && { pinned }),
      };
    });
  },
};
