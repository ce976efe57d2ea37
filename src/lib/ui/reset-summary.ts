import chalk from 'chalk';
import type { ResetResult } from './results.js';
import { formatPhaseTable } from './progress.js';
import { describeWorkloads } from '../swarm/workloads.js';

/** The human summary after reset: per host what was removed (or would be), or that it was already clean. */
export function renderResetSummary(r: ResetResult): string {
  const lines: string[] = [];
  const count = r.changes.length;
  if (r.alreadyClean) {
    lines.push(
      chalk.green(
        `${r.dryRun ? 'Dry run: ' : ''}Every host of ${r.cluster} is already clean: nothing ${r.dryRun ? 'would change' : 'changed'}.`,
      ),
    );
  } else if (r.dryRun) {
    lines.push(`Dry run: resetting ${r.cluster} would make ${count} change${count === 1 ? '' : 's'}:`);
  } else {
    lines.push(chalk.green(`Cluster ${r.cluster} reset: ${count} change${count === 1 ? '' : 's'}.`));
  }
  if (!r.alreadyClean) {
    if (r.destroys)
      lines.push(`  the swarm, with ${describeWorkloads(r.destroys)}${r.dryRun ? '' : ': destroyed'}`);
    for (const h of r.hosts) {
      if (h.removed.length === 0) {
        lines.push(`  ${h.host} (${h.role}): already clean`);
        continue;
      }
      lines.push(
        `  ${h.host} (${h.role}):${h.legacy ? ' no install record (installed by an older eectl): removed as before' : ''}`,
      );
      for (const d of h.removed) lines.push(`    - ${d}`);
      if (h.kept.length > 0) lines.push(`    kept (there before eectl): ${h.kept.join(', ')}`);
    }
  }
  lines.push('', formatPhaseTable(r.phases), `Total: ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}
