import chalk from 'chalk';
import type { UpgradePlan, UpgradeResult } from './results.js';
import { upstreamVersion } from '../host/version.js';
import { renderDryRun } from './changes.js';
import { rebalanceHint } from './rebalance-render.js';
import { formatPhaseTable } from './progress.js';
import { renderTable } from './table.js';

/** The plan shown before an upgrade changes anything: hosts in their order, from → to, batch size, backup. */
export function renderUpgradePlan(plan: UpgradePlan): string {
  const lines = [
    `Upgrade plan: engine ${plan.target ?? '?'}${plan.requested ? ` (asked: ${plan.requested})` : ''}`,
  ];
  const rows = plan.hosts.map((h, i) => [
    String(i + 1),
    h.host,
    h.role,
    h.from.daemon ? upstreamVersion(h.from.daemon) : 'stopped',
    h.from.package,
    h.changes ? h.to : 'already there: left alone',
  ]);
  lines.push(renderTable(['#', 'HOST', 'ROLE', 'DAEMON', 'PACKAGE', 'TO'], rows));
  lines.push(
    `Order: managers one at a time (the leader last), then workers ${plan.batchSize} at a time, then registry nodes one at a time; each drained first when it runs tasks.`,
  );
  lines.push(`Backup: ${plan.backup}`);
  if (plan.skipped.length > 0)
    lines.push(`Without an engine (eectl install sets them up): ${plan.skipped.join(', ')}`);
  return lines.join('\n');
}

/** The human summary after an upgrade. */
export function renderUpgradeSummary(r: UpgradeResult): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(renderUpgradePlan(r.plan), '', ...renderDryRun(r.changes));
  } else if (!r.plan.hosts.some((h) => h.changes)) {
    lines.push(chalk.green(`Every engine already runs ${r.plan.target}: nothing to upgrade.`));
  } else {
    lines.push(chalk.green(`Upgraded ${r.rolling.hosts.length} host(s) to ${r.plan.target}.`));
    for (const h of r.rolling.hosts)
      lines.push(`  ${h.host} (${h.role}): ${h.seconds.toFixed(1)}s${h.drained ? ', drained' : ''}`);
  }
  if (r.file.changed)
    lines.push(`${r.file.path}: engine.version ${r.dryRun ? 'would be' : 'is now'} "${r.plan.requested}"`);
  lines.push('', formatPhaseTable(r.phases), `Total: ${r.seconds.toFixed(1)}s`);
  const hint = rebalanceHint(r.uneven, r.file.path);
  if (hint) lines.push(hint);
  return lines.join('\n');
}
