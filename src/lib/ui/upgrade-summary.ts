import chalk from 'chalk';
import type { UpgradeListResult, UpgradePlan, UpgradeResult } from '../results/upgrade.js';
import { upstreamVersion } from '../host/version.js';
import { renderDryRun } from './changes.js';
import { renderHooks } from './hooks-render.js';
import { rebalanceHint } from './rebalance-render.js';
import { formatPhaseTable } from './progress.js';
import { renderTable } from '../util/table.js';

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
    h.changes ? h.to : h.selected === false ? 'not in --hosts: stays' : 'already there: left alone',
  ]);
  lines.push(renderTable(['#', 'HOST', 'ROLE', 'DAEMON', 'PACKAGE', 'TO'], rows));
  lines.push(
    `Order: managers one at a time (the leader last), then workers ${plan.batchSize} at a time, then registry nodes one at a time; each drained first when it runs tasks (its tasks given ${plan.drainTimeoutSeconds} s to run elsewhere).`,
  );
  if (plan.hosts.some((h) => h.changes)) lines.push(`Estimate: ${plan.estimate.description}`);
  lines.push(`Backup: ${plan.backup}`);
  if (plan.skipped.length > 0)
    lines.push(`Without an engine (eectl install sets them up): ${plan.skipped.join(', ')}`);
  lines.push(...renderSelection(plan));
  return lines.join('\n');
}

/** The hosts --hosts and --exclude leave on their version, one line each kind. */
function renderSelection(plan: UpgradePlan): string[] {
  const lines: string[] = [];
  const { notSelected = [], excluded = [] } = plan.selection ?? {};
  if (notSelected.length > 0) lines.push(`Left on their version (not in --hosts): ${notSelected.join(', ')}`);
  if (excluded.length > 0)
    lines.push(`Left out (--exclude), not contacted, left on their version: ${excluded.join(', ')}`);
  return lines;
}

/** The human summary after an upgrade. */
export function renderUpgradeSummary(r: UpgradeResult): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(renderUpgradePlan(r.plan), '', ...renderDryRun(r.changes));
  } else if (!r.plan.hosts.some((h) => h.changes)) {
    const which = r.plan.selection ? 'Every engine chosen' : 'Every engine';
    lines.push(chalk.green(`${which} already runs ${r.plan.target}: nothing to upgrade.`));
    lines.push(...renderSelection(r.plan));
  } else {
    lines.push(chalk.green(`Upgraded ${r.rolling.hosts.length} host(s) to ${r.plan.target}.`));
    for (const h of r.rolling.hosts)
      lines.push(`  ${h.host} (${h.role}): ${h.seconds.toFixed(1)}s${h.drained ? ', drained' : ''}`);
    lines.push(...renderSelection(r.plan));
  }
  if (r.file.changed)
    lines.push(`${r.file.path}: engine.version ${r.dryRun ? 'would be' : 'is now'} "${r.plan.requested}"`);
  const hooks = renderHooks(r.hooks);
  if (hooks.length > 0) lines.push('', ...hooks);
  lines.push('', formatPhaseTable(r.phases), `Total: ${r.seconds.toFixed(1)}s`);
  const hint = rebalanceHint(r.uneven, r.file.path);
  if (hint) lines.push(hint);
  return lines.join('\n');
}

/** `upgrade --list`: the versions the hosts' package sources offer, newest first, what runs and what is pinned. */
export function renderUpgradeList(r: UpgradeListResult): string {
  const all = r.hosts.map((h) => h.host);
  const hostsOf = (hosts: readonly string[]): string =>
    hosts.length === 0
      ? '-'
      : hosts.length === all.length && all.length > 1
        ? 'every host'
        : hosts.join(', ');
  const rows = r.versions.map((v) => {
    const marks: string[] = [];
    if (v.installed.length > 0) marks.push(`installed: ${hostsOf(v.installed)}`);
    if (v.pinned.length > 0) marks.push(`pinned: ${hostsOf(v.pinned)}`);
    if (v.hosts.length === 0) marks.push('no longer offered');
    return [v.upstream, `${v.package} ${v.version}`, hostsOf(v.hosts), marks.join('; ')];
  });
  const pin = r.engineVersion === undefined ? 'not set (the newest stable version)' : `"${r.engineVersion}"`;
  const lines = [
    `Engine versions the package sources offer (cluster ${r.cluster}; engine.version in the file: ${pin}):`,
    rows.length > 0
      ? renderTable(['ENGINE', 'PACKAGE', 'OFFERED ON', ''], rows)
      : '  none: no host lists the engine package',
  ];
  const silent = r.hosts.filter((h) => h.offered.length === 0).map((h) => h.host);
  if (silent.length > 0)
    lines.push(`No version offered on ${silent.join(', ')}: check engine.source and its repository.`);
  if (r.engineVersion !== undefined) {
    const unmatched = r.hosts
      .filter((h) => h.pinned === undefined && h.offered.length > 0)
      .map((h) => h.host);
    if (unmatched.length > 0)
      lines.push(
        `engine.version "${r.engineVersion}" matches no offered version on ${unmatched.join(', ')}.`,
      );
  }
  lines.push('', 'Move to one: eectl upgrade --to VERSION --dry-run, then without --dry-run.');
  return lines.join('\n');
}
