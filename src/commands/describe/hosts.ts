import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import {
  describeFailedError,
  describeHosts,
  describeResult,
  renderHostTable,
  type DescribeResult,
} from '../../lib/cluster/describe.js';

export default class DescribeHosts extends BaseCommand<typeof DescribeHosts> {
  static override summary =
    'Show the facts of every host: OS, arch, init, resources, addresses, engine, swarm';
  static override description =
    'Connects to all hosts of the cluster file in parallel and reads their facts in one round trip each. ' +
    'Exits 1 when a host cannot be reached or read (the others are still shown). ' +
    "With --json, result.hosts has each host's facts (the files eectl manages on it by path and size, not content), or its error.";
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --json',
    '<%= config.bin %> <%= command.id %> --accept-new-host-keys',
  ];
  static override flags = { ...hostFlags };

  async run(): Promise<DescribeResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const rows = await describeHosts(config.spec.hosts, session, this.flags.concurrency);
      if (!this.jsonEnabled()) this.log(renderHostTable(rows));
      const result = describeResult(rows);
      const failed = describeFailedError(rows, result);
      if (failed) throw failed;
      return result;
    });
  }
}
