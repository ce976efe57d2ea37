import { promoteNode } from '../../lib/actions/node-role.js';
import { NodeChangeCommand } from '../../lib/cli/node-command.js';

export default class NodePromote extends NodeChangeCommand {
  static override summary = 'Make a worker a manager, and a manager in the cluster file';
  static override description =
    'One manager at a time: refused (exit 3) when the swarm has no quorum, the node is not Ready, or the ' +
    'file makes it a registry host; warns when the manager count becomes even (no more failures ' +
    'tolerated than one manager fewer). Waits until the node is a reachable manager, sets its role in the ' +
    'cluster file (comments kept), then runs install, which gives it the control-plane API every manager ' +
    'has (certificates, mutual TLS) and changes nothing else on a converged cluster.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.21',
    '<%= config.bin %> <%= command.id %> w1 --dry-run',
  ];
  protected action = promoteNode;
}
