import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { ClusterFile } from '../../lib/config/cluster-file.js';
import { listNodes } from '../../lib/actions/node-list.js';
import type { NodeListResult } from '../../lib/results/node.js';
import { renderNodeList } from '../../lib/ui/node-render.js';

export default class NodeLs extends BaseCommand<typeof NodeLs> {
  static override summary =
    'List the nodes: role, state, availability, engine, and whether the file has them';
  static override description =
    "Asks the first reachable manager of the cluster file for the swarm's nodes, and lists the file's " +
    'hosts the swarm does not have. Read-only: it takes no lock.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...hostFlags };

  async run(): Promise<NodeListResult> {
    const { config, path } = await this.loadCluster();
    const file = await ClusterFile.read(path);
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await listNodes({ file, session, log: this.log_, concurrency: this.flags.concurrency });
      if (!this.jsonEnabled()) this.log(renderNodeList(result));
      return result;
    });
  }
}
