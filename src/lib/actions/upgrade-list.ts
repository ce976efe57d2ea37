import {
  comparePackageVersions,
  compareUpstream,
  type PackageFamily,
  upstreamVersion,
} from '../host/version.js';
import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { connectPhase } from '../phases/connect.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { listVersionsPhase, type ListContext } from '../phases/upgrade-list.js';
import type { HostOffer, OfferedVersion, UpgradeListResult } from '../results/upgrade.js';

/**
 * `eectl upgrade --list`: connect → facts → each host's offers. No cluster lock: it changes nothing but
 * the hosts' package lists, which any package manager run refreshes too.
 */
export const UPGRADE_LIST_PHASES: AnyPhase<ListContext>[] = [
  connectPhase,
  gatherFactsPhase,
  listVersionsPhase,
];

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
  const report = await runAction(UPGRADE_LIST_PHASES, ctx, options.progress, async () => undefined);
  const pin = options.config.spec.engine.version;
  return {
    cluster: options.config.metadata.name,
    ...(pin !== undefined && { engineVersion: pin }),
    versions: mergeOffers(ctx.offers),
    hosts: ctx.offers,
    ...report,
  };
}
