import chalk from 'chalk';
import type { InstallResult } from '../results/install.js';
import { nodeTable } from './node-render.js';
import { renderDryRun } from './changes.js';
import { renderHooks } from './hooks-render.js';
import { formatPhaseTable } from './progress.js';
import { renderRollingPreview } from './rolling-render.js';

/** ", but for HOST (excluded)" when --exclude left hosts out: they were not converged. */
const butFor = (r: InstallResult): string =>
  r.excluded && r.excluded.length > 0 ? `, but for ${r.excluded.join(', ')} (--exclude)` : '';

/** The human summary after install: what changed (or would), the nodes, the quorum, time per phase. */
export function renderInstallSummary(r: InstallResult): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(...renderDryRun(r.changes));
    if (r.rolling) lines.push('', ...renderRollingPreview(r.rolling));
  } else if (r.converged) {
    lines.push(chalk.green(`Cluster ${r.cluster} is already converged${butFor(r)}: nothing changed.`));
  } else {
    lines.push(chalk.green(`Cluster ${r.cluster} converged${butFor(r)}: ${r.changes.length} changes.`));
  }
  if (r.nodes.length > 0) {
    lines.push('');
    lines.push(nodeTable(r.nodes));
  }
  if (r.quorum) lines.push('', `Quorum: ${r.quorum.description}`);
  const hooks = renderHooks(r.hooks);
  if (hooks.length > 0) lines.push('', ...hooks);
  for (const w of r.warnings) lines.push('', chalk.yellow(`Warning: ${w}`));
  if (r.registry?.adminPassword) {
    lines.push(
      '',
      `Registry admin password (shown once; kept root-only in /etc/eectl/registry/admin-password on the managers): ${r.registry.adminPassword}`,
    );
  }
  lines.push('', formatPhaseTable(r.phases));
  lines.push(`Total: ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}
