import chalk from 'chalk';
import { describeSettings, describeSpread, type ServiceSpread } from '../swarm/spread.js';
import { renderDryRun } from './changes.js';
import type { RebalancePlan, RebalanceResult } from '../results/rebalance.js';
import { renderTable } from '../util/table.js';

const VERDICT: Record<ServiceSpread['verdict'], string> = {
  even: 'even',
  uneven: 'uneven',
  'not-judged': 'not judged',
  updating: 'updating',
};

/** Every service judged: its running tasks per node that could run one, and the verdict with its reason. */
export function renderSpreads(services: readonly ServiceSpread[]): string {
  if (services.length === 0) return 'No replicated service in the swarm.';
  return renderTable(
    ['SERVICE', 'RUNNING', 'TASKS PER NODE', 'SPREAD'],
    services.map((s) => [
      s.name,
      `${s.running}/${s.desired}`,
      `${describeSpread(s.nodes)}${s.maxPerNode > 0 ? ` (max ${s.maxPerNode} per node)` : ''}`,
      s.verdict === 'uneven'
        ? chalk.yellow(VERDICT[s.verdict])
        : `${VERDICT[s.verdict]}${s.reason ? `: ${s.reason}` : ''}`,
    ]),
  );
}

/** The plan shown before the rebalance changes anything: each service, how its tasks sit, how they are replaced. */
export function renderRebalancePlan(plan: RebalancePlan): string {
  return [
    `Rebalance plan: the swarm replaces the tasks of ${plan.services.length} service(s), one service at a time, each with its own update settings:`,
    ...plan.services.map(
      (s, i) => `  ${i + 1}. ${s.name}: now ${describeSpread(s.nodes)}; ${describeSettings(s.update)}`,
    ),
  ].join('\n');
}

/** The human summary of `eectl rebalance`. */
export function renderRebalanceSummary(r: RebalanceResult): string {
  const lines = [renderSpreads(r.services), ''];
  if (r.dryRun) {
    lines.push(...renderDryRun(r.changes));
  } else if (r.planned.length === 0) {
    lines.push(chalk.green('Nothing to rebalance: every service judged is evenly spread.'));
  } else {
    lines.push(chalk.green(`Rebalanced ${r.rebalanced.length} service(s):`));
    for (const s of r.rebalanced) {
      lines.push(
        `  ${s.name}: ${describeSpread(s.before)} → ${describeSpread(s.after)} (${s.seconds.toFixed(1)}s)`,
      );
    }
  }
  const skipped = r.services.filter((s) => s.verdict === 'not-judged' && !r.planned.includes(s.name));
  if (skipped.length > 0) {
    lines.push(
      `Not judged, left alone (name one with --service to rebalance it anyway): ${skipped.map((s) => s.name).join(', ')}`,
    );
  }
  lines.push('', `Total: ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}

/**
 * `2 services are unevenly spread: eectl rebalance -c cluster.yaml`, printed at the end of the commands
 * after which a node takes tasks again (node activate, upgrade, restore); undefined when none is.
 */
export function rebalanceHint(uneven: readonly string[] | undefined, configPath: string): string | undefined {
  if (!uneven || uneven.length === 0) return undefined;
  const n = uneven.length;
  const are = n === 1 ? 'service is' : 'services are';
  return `${n} ${are} unevenly spread: eectl rebalance -c ${shellWord(configPath)}`;
}

/** A path as one word a user can paste into a shell. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
