import { Args, Flags } from '@oclif/core';
import { BaseCommand, changeFlags, hostFlags } from '../base-command.js';
import { ClusterFile } from '../config/cluster-file.js';
import { progressMode } from '../ui/progress.js';
import type { NodeActionOptions } from '../actions/node-action.js';
import type { NodeActionResult } from '../results/node.js';
import { renderNodeResult } from '../ui/node-render.js';

/**
 * What `eectl node remove/promote/demote/drain/activate` share: one argument naming the node, the flags
 * of commands that change hosts, and the run: load the file, open a session, call the action, render.
 */
export abstract class NodeChangeCommand extends BaseCommand<typeof NodeChangeCommand> {
  static override args = {
    node: Args.string({
      description: 'The node: its address in the cluster file, its hostname, or its node ID',
      required: true,
    }),
  };
  static override flags = { ...hostFlags, ...changeFlags };

  /** The action this command runs. */
  protected abstract action(options: NodeActionOptions): Promise<NodeActionResult>;

  /** A question to confirm before changing anything (on a terminal; --yes otherwise), or none. */
  protected confirmation(): string | undefined {
    return undefined;
  }

  /** Options the command adds to the action's (its own flags). */
  protected extraOptions(): Partial<NodeActionOptions> {
    return {};
  }

  async run(): Promise<NodeActionResult> {
    const { config, path } = await this.loadCluster();
    const file = await ClusterFile.read(path);
    await this.confirm();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await this.action({
        file,
        session,
        log: this.log_,
        target: this.args.node,
        // === true: oclif leaves an absent boolean undefined, which --json would drop.
        dryRun: this.flags['dry-run'] === true,
        concurrency: this.flags.concurrency,
        progress: progressMode(this.jsonEnabled()),
        signal: this.interrupt.signal,
        ...this.extraOptions(),
      });
      if (!this.jsonEnabled()) this.log(renderNodeResult(result));
      return result;
    });
  }

  private async confirm(): Promise<void> {
    const question = this.confirmation();
    if (!question || this.flags['dry-run']) return;
    await this.confirmOrStop(question, this.flags.yes, {
      message: `${question} Without a terminal, confirm with --yes`,
      suggestions: [
        `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} ${this.argv.join(' ')} --yes`,
      ],
    });
  }
}

/** The --drain-timeout flag of commands that drain a node. */
export const drainTimeoutFlag = {
  'drain-timeout': Flags.integer({
    description: 'Seconds to wait until the tasks of the drained node run elsewhere',
    default: 300,
    min: 1,
  }),
};
