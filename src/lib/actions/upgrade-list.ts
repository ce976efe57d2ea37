import type { Host } from '../host/host.js';
import { configurerFor, engineVersions } from '../host/os/index.js';
import type { CommandStep } from '../host/os/steps.js';
import {
  comparePackageVersions,
  compareUpstream,
  matchingVersions,
  newestFirst,
  type PackageFamily,
  upstreamVersion,
} from '../host/version.js';
import { newClusterContext, type ActionOptions, type ClusterContext } from '../phase/cluster-context.js';
import type { AnyPhase, Phase } from '../phase/phase.js';
import { runAction } from '../phase/runner.js';
import { connectPhase } from '../phases/connect.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { sourceSpec } from '../phases/package-source.js';
import { mapAll } from '../util/concurrency.js';
import type { HostOffer, OfferedVersion, UpgradeListResult } from '../ui/results.js';

type ListContext = ClusterContext & { offers: HostOffer[] };

/** The steps `upgrade --list` runs on a host: refresh the engine source's package lists, list the engine package. */
export function listSteps(host: Pick<Host, 'known'>, ctx: ClusterContext): CommandStep[] {
  const configurer = configurerFor(host.known);
  const spec = sourceSpec(ctx);
  const refresh = configurer.refreshMetadata(spec).filter((s): s is CommandStep => s.kind === 'command');
  return [...refresh, configurer.listVersions(spec)];
}

/** Reads each host's offers through its package manager: only argv, never a value in a script's text. */
const listPhase: Phase<ListContext> = {
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

/** The hosts' offers as one list, newest first: a version offered by several hosts is one row naming them. */
export function mergeOffers(hosts: readonly HostOffer[]): OfferedVersion[] {
  const rows = new Map<string, OfferedVersion & { family: PackageFamily }>();
  for (const h of hosts) {
    const versions = [...h.offered];
    // An installed version the source no longer offers is still shown: it is what the host runs.
    if (h.installed !== undefined && !versions.includes(h.installed)) versions.push(h.installed);
    for (const version of versions) {
      const key = `${h.package}\u0000${version}`;
      const row = rows.get(key) ?? {
        version,
        upstream: upstreamVersion(version),
        package: h.package,
        hosts: [],
        installed: [],
        pinned: [],
        family: h.family,
      };
      if (h.offered.includes(version)) row.hosts.push(h.host);
      if (h.installed === version) row.installed.push(h.host);
      if (h.pinned === version) row.pinned.push(h.host);
      rows.set(key, row);
    }
  }
  return [...rows.values()]
    .sort(
      (a, b) =>
        compareUpstream(b.upstream, a.upstream) ||
        (a.family === b.family ? comparePackageVersions(b.version, a.version, a.family) : 0) ||
        a.package.localeCompare(b.package),
    )
    .map(({ family: _family, ...row }) => row);
}

/**
 * `eectl upgrade --list`: connects, reads the facts, refreshes each host's engine source and lists the
 * engine package's versions there (apt-cache madison, dnf list --showduplicates, zypper search), marking
 * what each host runs and what engine.version of the file resolves to. Changes nothing but package lists.
 */
export async function listUpgradeVersions(options: ActionOptions): Promise<UpgradeListResult> {
  const ctx: ListContext = { ...newClusterContext(options), offers: [] };
  const phases: AnyPhase<ListContext>[] = [connectPhase, gatherFactsPhase, listPhase];
  const report = await runAction(phases, ctx, options.progress, async () => undefined);
  const pin = options.config.spec.engine.version;
  return {
    cluster: options.config.metadata.name,
    ...(pin !== undefined && { engineVersion: pin }),
    versions: mergeOffers(ctx.offers),
    hosts: ctx.offers,
    ...report,
  };
}

export type { HostOffer, OfferedVersion, UpgradeListResult } from '../ui/results.js';
