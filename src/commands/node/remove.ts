import { Flags } from '@oclif/core';
import { type BaseFlags } from '../../lib/base-command.js';
import type { NodeActionOptions } from '../../lib/actions/node-action.js';
import { drainTimeoutFlag, NodeChangeCommand } from '../../lib/cli/node-command.js';
import { FORCE_RISKS, removeNode } from '../../lib/actions/node-remove.js';

export default class NodeRemove extends NodeChangeCommand {
  static override summary = 'Take a node out of the swarm and out of the cluster file, without losing quorum';
  static override description =
    'Demotes it first when it is a manager, drains it and waits until its tasks run elsewhere, makes the ' +
    'host leave the swarm, removes the node once it shows Down, resets the host with --reset, and removes ' +
    'it from the cluster file (comments and layout kept). Refused (exit 3, nothing changed) when it would lose the quorum, ' +
    'the last manager or the last registry host. Asks first on a terminal; --yes otherwise.\n\n' +
    `--force removes a dead host: no drain and no leave, the node is removed by force from a manager. It risks this: ${FORCE_RISKS}. The quorum and registry checks still apply.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.22',
    '<%= config.bin %> <%= command.id %> 10.0.0.22 --dry-run',
    '<%= config.bin %> <%= command.id %> 10.0.0.23 --force --yes --json',
  ];
  static override flags = {
    ...NodeChangeCommand.flags,
    force: Flags.boolean({ description: 'Remove a host that cannot be reached (no drain, no leave)' }),
    reset: Flags.boolean({
      description: 'Then reset the host, as `eectl reset` does: engine, its data and eectl files removed',
    }),
    ...drainTimeoutFlag,
  };
  declare protected flags: BaseFlags<typeof NodeRemove>;

  protected action = removeNode;

  protected override confirmation(): string {
    const force = this.flags.force ? ' by force' : '';
    const reset = this.flags.reset ? ', reset it (engine and its data removed),' : '';
    return `Remove ${this.args.node}${force} from the swarm${reset} and from ${this.flags.config}?`;
  }

  protected override extraOptions(): Partial<NodeActionOptions> {
    return {
      force: this.flags.force === true,
      reset: this.flags.reset === true,
      drainTimeoutMs: this.flags['drain-timeout'] * 1000,
    };
  }
}
