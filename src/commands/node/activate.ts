import { activateNode } from '../../lib/actions/node-availability.js';
import { NodeChangeCommand } from '../../lib/cli/node-command.js';

export default class NodeActivate extends NodeChangeCommand {
  static override summary = 'Let the swarm schedule tasks on a node again (after a drain)';
  static override description = `Undoes \`eectl node drain\`. The swarm does not move tasks back onto the node by itself: when services stay unevenly spread, it ends with a hint to run \`eectl rebalance\` (their names are in --json's \`uneven\`).`;
  static override examples = ['<%= config.bin %> <%= command.id %> 10.0.0.21'];
  protected action = activateNode;
}
