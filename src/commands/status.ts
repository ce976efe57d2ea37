import { clusterStatus, ClusterUnhealthyError, STATUS_TIMEOUTS } from '../lib/actions/status.js';
import type { StatusResult, Workloads } from '../lib/results/status.js';
import { Flags } from '@oclif/core';
import { tryReadWorkloads } from '../lib/actions/workloads.js';
import { BaseCommand, hostFlags } from '../lib/base-command.js';
import { UsageError, type EectlError } from '../lib/errors.js';
import { renderStatus, renderWorkloads } from '../lib/ui/status-summary.js';

/** `eectl status --json`: the report, with services and tasks under --services. */
export type StatusReport = StatusResult & {
  workloads?: Workloads | undefined;
  workloadsError?: string | undefined;
};

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    'Show the cluster: nodes, quorum, engine API certificates, registry, drift from the file';
  static override description = `Reads every host's facts and the node list from a manager; changes nothing. Per node: role, state, availability, leader or reachability, engine version, whether the engine API listens and when its certificate expires. Then the quorum in words, the registry replicas, the webhook endpoints (spec.registry.notifications: deliveries taken, failed attempts, events pending, the last error), and what differs from the cluster file (hosts not in the swarm, nodes not in the file, engine versions).

Exit 0 when healthy: every host of the file is a Ready node, managers are reachable and serve the engine API. Warnings do not change that: drift from the file, certificates due within 30 days, drained nodes.

Exit 1 when degraded (in quorum, but a host of the file is down, unreachable or not in the swarm) and when the quorum is lost (a majority of the managers is gone: the swarm cannot be managed). With --json the report is printed either way: {status: 0, result}, or {status: 1, error, result} with result.health "degraded" or "quorum-lost".

--services adds the services (mode, running/desired replicas, image, update state, ports, collection) and their tasks (those wanted running, and the latest failures), read through the managers' engine API with the client bundle (--bundle, default ~/.eectl/<cluster>/bundles/admin), so they are what that user may see. When they cannot be read the report says why; the exit code does not change.

--watch redraws the report in place every --interval seconds until Ctrl-C (exit 130); it needs a terminal and does not take --json.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --json',
    "<%= config.bin %> <%= command.id %> --json | jq '.result.webhooks.endpoints[] | select(.failing)'",
    '<%= config.bin %> <%= command.id %> --services',
    '<%= config.bin %> <%= command.id %> --services --watch --interval 5',
  ];
  static override flags = {
    services: Flags.boolean({ description: 'Also show services and tasks (through the engine API)' }),
    bundle: Flags.string({
      description: 'Client bundle for --services (default ~/.eectl/<cluster>/bundles/admin)',
    }),
    watch: Flags.boolean({ description: 'Redraw the report in place until Ctrl-C (a terminal only)' }),
    interval: Flags.integer({ description: 'Seconds between two reports under --watch', default: 2, min: 1 }),
    ...hostFlags,
  };

  async run(): Promise<StatusReport> {
    if (this.flags.watch && (this.jsonEnabled() || !process.stdout.isTTY)) {
      throw new UsageError('--watch redraws a terminal: it needs one, and does not take --json', {
        suggestions: ['Without a terminal, run `eectl status --json` in a loop instead.'],
      });
    }
    const { config } = await this.loadCluster();
    const render = (r: StatusReport) =>
      renderStatus(r) + (this.flags.services ? `\n\n${renderWorkloads(r.workloads, r.workloadsError)}` : '');
    return this.withSession(
      config.metadata.name,
      this.flags,
      async (session) => {
        // Why hosts could not be read, for what the error advises (not part of the report).
        let hostErrors: EectlError[] = [];
        const report = async (): Promise<StatusReport> => {
          const [status, workloads] = await Promise.all([
            clusterStatus({ config, session, concurrency: this.flags.concurrency, log: this.log_ }),
            this.flags.services ? tryReadWorkloads(config, this.flags.bundle) : undefined,
          ]);
          hostErrors = status.hostErrors;
          const result = status.result;
          return workloads
            ? { ...result, workloads: workloads.workloads, workloadsError: workloads.error }
            : result;
        };
        if (this.flags.watch) return await this.watch(report, render);
        const result = await report();
        if (!this.jsonEnabled()) this.log(render(result));
        if (result.health !== 'healthy') throw new ClusterUnhealthyError(result, hostErrors);
        return result;
      },
      // A report should not wait a minute per dead host: two short attempts, then it is reported down.
      STATUS_TIMEOUTS,
    );
  }

  /** Redraws in place: cursor home, each line cleared to its end, the rest of the screen cleared. */
  private async watch(
    report: () => Promise<StatusReport>,
    render: (r: StatusReport) => string,
  ): Promise<never> {
    process.stdout.write('\u001b[2J');
    for (;;) {
      const started = Date.now();
      const r = await report();
      const footer = `Every ${this.flags.interval} s, last at ${new Date().toLocaleTimeString()} (took ${((Date.now() - started) / 1000).toFixed(1)} s). Ctrl-C stops.`;
      const text = `${render(r)}\n\n${footer}`;
      process.stdout.write(`\u001b[H${text.split('\n').join('\u001b[K\n')}\u001b[K\u001b[J`);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, this.flags.interval * 1000 - (Date.now() - started))),
      );
    }
  }
}
