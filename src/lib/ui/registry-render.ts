import chalk from 'chalk';
import { renderDryRun } from './changes.js';
import type {
  PrunedRepository,
  RegistryGcResult,
  RegistryListResult,
  RegistryPruneResult,
} from '../results/registry.js';
import { formatBytes, renderTable } from '../util/table.js';

/** `registry ls`: one row per tag. */
export function renderRegistryList(result: RegistryListResult): string {
  const rows = result.repositories.flatMap((repo) =>
    repo.tags.map((t) => [
      repo.name,
      t.tag,
      t.digest.slice(0, 19),
      t.size === undefined ? '?' : formatBytes(t.size),
      t.created?.slice(0, 19).replace('T', ' ') ?? '-',
      t.signedBy !== undefined ? chalk.green(`signed (${t.signedBy})`) : '-',
    ]),
  );
  if (rows.length === 0) return `No image in the registry ${result.registry}.`;
  return renderTable(['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'CREATED', 'SIGNED'], rows);
}

/** The prune plan: per repository, each tag kept or pruned with the reason. */
export function renderPrunePlan(plan: readonly PrunedRepository[]): string {
  if (plan.length === 0) return 'No repository is named by registry.retention: nothing to prune.';
  return plan
    .map((repo) =>
      [
        `${repo.repository} (rule ${repo.rules.join(', ')}): ${repo.digests.length} digest(s) to delete`,
        ...repo.tags.map(
          (t) => `  ${t.keep ? 'keep ' : chalk.red('prune')} ${t.tag}  ${t.digest.slice(0, 19)}  ${t.reason}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}

/** `registry prune`'s summary. */
export function renderPruneSummary(result: RegistryPruneResult): string {
  const lines = [renderPrunePlan(result.repositories)];
  if (result.dryRun) lines.push(...renderDryRun(result.changes));
  else
    lines.push(
      `Pruned ${result.prunedTags} tag(s) (${result.changes.length} digest(s) deleted). Run eectl registry gc to free their space.`,
    );
  return lines.join('\n');
}

/** `registry gc`'s summary: what was (or would be) freed and how long pushes were refused. */
export function renderGcSummary(result: RegistryGcResult): string {
  const c = result.collector;
  const lines: string[] = [];
  if (c) {
    const verb = result.dryRun ? 'would delete' : 'deleted';
    lines.push(
      `Collector on ${result.collectedOn}: ${c.blobsMarked} blob(s) in use, ${verb} ${c.blobsEligible} blob(s) and ${c.manifestsEligible} manifest(s).`,
    );
  }
  if (result.bytesFreed !== undefined) {
    lines.push(
      `Storage: ${formatBytes(result.bytesBefore ?? 0)} → ${formatBytes(result.bytesAfter ?? 0)} (${formatBytes(result.bytesFreed)} freed).`,
    );
  }
  if (result.readOnlyMs !== undefined) {
    lines.push(
      `Pushes were refused for ${(result.readOnlyMs / 1000).toFixed(1)} s; pulls were served throughout.`,
    );
  }
  if (result.dryRun) lines.push(...renderDryRun(result.changes));
  return lines.join('\n');
}
