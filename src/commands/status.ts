import {
  clusterStatus,
  ClusterUnhealthyError,
  STATUS_TIMEOUTS,
  type StatusResult,
} from '../lib/actions/status.js';
import { BaseCommand, EXIT_CODES_HELP, hostFlags } from '../lib/base-command.js';
import { renderStatus } from '../lib/ui/status-summary.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    'Show the cluster: nodes, quorum, engine API certificates, registry, drift from the file';
  static override description = `Reads every host's facts and the node list from a manager; changes nothing. Per node: role, state, availability, leader or reachability, engine version, whether the engine API listens and when its certificate expires. Then the quorum in words, the registry replicas, and what differs from the cluster file (hosts not in the swarm, nodes not in the file, engine versions).

Exit 0 when healthy: every host of the file is a Ready node, managers are reachable and serve the engine API. Warnings do not change that: drift from the file, certificates due within 30 days, drained nodes.

Exit 1 when degraded (in quorum, but a host of the file is down, unreachable or not in the swarm) and when the quorum is lost (a majority of the managers is gone: the swarm cannot be managed). With --json the report is printed either way: {status: 0, result}, or {status: 1, error, result} with result.health "degraded" or "quorum-lost".

${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --json',
  ];
  static override flags = { ...hostFlags };

  async run(): Promise<StatusResult> {
    const { config } = await this.loadCluster();
    // A report should not wait a minute per dead host: two short attempts, then it is reported down.
    const session = this.openSession(config.metadata.name, this.flags, STATUS_TIMEOUTS);
    try {
      const result = await clusterStatus({ config, session, concurrency: this.flags.concurrency });
      if (!this.jsonEnabled()) this.log(renderStatus(result));
      if (result.health !== 'healthy') throw new ClusterUnhealthyError(result);
      return result;
    } finally {
      await session.close();
    }
  }

  protected override toErrorJson(err: unknown): unknown {
    const json = super.toErrorJson(err) as Record<string, unknown>;
    return err instanceof ClusterUnhealthyError ? { ...json, result: err.result } : json;
  }
}
