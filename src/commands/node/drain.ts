import { type BaseFlags } from '../../lib/base-command.js';
import type { NodeActionOptions } from '../../lib/actions/node-action.js';
import { drainNode } from '../../lib/actions/node-availability.js';
import { drainTimeoutFlag, NodeChangeCommand } from '../../lib/cli/node-command.js';

export default class NodeDrain extends NodeChangeCommand {
  static override summary = 'Stop scheduling on a node and wait until its tasks run elsewhere';
  static override description =
    'Sets the availability to drain, then waits until no task is wanted on the node and every replicated ' +
    'service that ran there has its full replica count on other nodes (exit 4 after --drain-timeout). ' +
    'Undo with `eectl node activate`.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.21',
    '<%= config.bin %> <%= command.id %> w1 --drain-timeout 600',
  ];
  static override flags = { ...NodeChangeCommand.flags, ...drainTimeoutFlag };
  declare protected flags: BaseFlags<typeof NodeDrain>;

  protected action = drainNode;

  protected override extraOptions(): Partial<NodeActionOptions> {
    return { drainTimeoutMs: this.flags['drain-timeout'] * 1000 };
  }
}
