import { Flags } from '@oclif/core';
import { rebalance } from '../lib/actions/rebalance.js';
import type { RebalancePlan, RebalanceResult } from '../lib/results/rebalance.js';
import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { renderRebalancePlan, renderRebalanceSummary } from '../lib/ui/rebalance-render.js';

export default class Rebalance extends BaseCommand<typeof Rebalance> {
  static override summary = 'Spread the tasks of replicated services again over the nodes that can run them';
  static override description =
    'The swarm does not move tasks back onto a node that returns (after a drain, an upgrade, a restore). ' +
    'This finds the replicated services whose running tasks are unevenly spread: over the nodes that could ' +
    'run one (ready, active, meeting its placement constraints, its platform, its host-mode ports free; ' +
    'at most --replicas-max-per-node each), the most loaded node has 2 or more tasks more than the least ' +
    'loaded. A service whose placement eectl cannot evaluate (a constraint form it does not judge, such as ' +
    'node.ip; placement preferences; reserved resources; volume plugins) is listed as not judged, with the ' +
    'reason, and rebalanced only when named with --service. A service whose update is under way is left alone.\n\n' +
    'Each chosen service, one at a time, gets `docker service update --force`: the swarm replaces its tasks ' +
    "with the service's own update settings (parallelism, delay, order, failure action), and its scheduler " +
    'puts each new task on the node that runs the fewest. The next service starts once the update completed; ' +
    'one that fails or does not finish in time (--timeout) stops the run (exit 4), naming it and what to do. ' +
    'Shows the plan and asks first (--yes without a terminal); --dry-run only shows it.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --yes',
    '<%= config.bin %> <%= command.id %> --service web --service api --yes --json',
    '<%= config.bin %> <%= command.id %> --service ingest --timeout 1800',
  ];
  static override flags = {
    service: Flags.string({
      description:
        'Only this service (name or ID; repeatable); rebalanced even when eectl cannot judge its placement',
      multiple: true,
    }),
    timeout: Flags.integer({
      description:
        "Seconds to wait for the swarm to replace one service's tasks (default: 600, or 120 per batch of its update parallelism plus its update delay, when longer)",
      min: 1,
    }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<RebalanceResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await rebalance({
        ...this.actionOptions(config, session, this.flags),
        services: this.flags.service ?? [],
        ...(this.flags.timeout !== undefined && { timeoutMs: this.flags.timeout * 1000 }),
        confirm: (plan) => this.confirmPlan(plan),
      });
      if (!this.jsonEnabled()) this.log(renderRebalanceSummary(result));
      return result;
    });
  }

  private async confirmPlan(plan: RebalancePlan): Promise<void> {
    if (!this.jsonEnabled()) process.stderr.write(`${renderRebalancePlan(plan)}\n`);
    await this.confirmOrStop('Replace the tasks of these services?', this.flags.yes, {
      message: 'Replace the tasks of these services? Without a terminal, confirm with --yes',
      suggestions: [`${this.config.bin} rebalance ${this.argv.join(' ')} --yes`],
    });
  }
}
