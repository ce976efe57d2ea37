import { demoteNode } from '../../lib/actions/node-role.js';
import { NodeChangeCommand } from '../../lib/cli/node-command.js';

export default class NodeDemote extends NodeChangeCommand {
  static override summary =
    'Make a manager a worker, and a worker in the cluster file, without losing quorum';
  static override description =
    'Refused (exit 3) when the remaining managers would not hold a quorum, or when it is the only ' +
    'manager; warns when the manager count becomes even. Waits until the swarm reports it as a worker, ' +
    'then sets its role in the cluster file (comments kept): install never demotes, so without that the ' +
    'file and the swarm would disagree.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.21',
    '<%= config.bin %> <%= command.id %> m4 --json',
  ];
  protected action = demoteNode;
}
