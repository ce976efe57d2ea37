import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { tolerantConnectPhase } from '../phases/connect.js';
import {
  supportHostsPhase,
  type SupportDumpContext,
  type SupportDumpRequest,
} from '../phases/support-hosts.js';
import { supportLogsPhase } from '../phases/support-logs.js';
import { supportSecretsPhase } from '../phases/support-secrets.js';
import { supportStatusPhase } from '../phases/support-status.js';
import { supportSwarmPhase } from '../phases/support-swarm.js';
import { supportWritePhase } from '../phases/support-write.js';
import type { SupportDumpResult } from '../results/support.js';
import { ClusterUnhealthyError, judgeCluster } from './status.js';

/**
 * `eectl support dump`: reachable hosts → the secrets to redact → every host (in parallel, each bounded in
 * time) → the swarm → the status → eectl's run logs → redacted, scanned, written. It changes nothing and
 * takes no cluster lock: a dump is wanted most when a run is stuck holding it.
 */
export const SUPPORT_DUMP_PHASES: AnyPhase<SupportDumpContext>[] = [
  tolerantConnectPhase(', so the dump has only why (hosts/<host>/ERROR.txt)'),
  supportSecretsPhase,
  supportHostsPhase,
  supportSwarmPhase,
  supportStatusPhase,
  supportLogsPhase,
  supportWritePhase,
];

export type SupportDumpOptions = Omit<ActionOptions, 'dryRun'> & { request: SupportDumpRequest };

export async function supportDump(options: SupportDumpOptions): Promise<SupportDumpResult> {
  const { config, session } = options;
  const ctx: SupportDumpContext = {
    ...newClusterContext({ ...options, dryRun: false }),
    request: options.request,
    startedAt: new Date(),
    unreachable: [],
    entries: [],
    hostOutcomes: [],
    described: [],
    readStatus: async (described, swarm) => {
      const result = await judgeCluster(
        config,
        described,
        { nodes: swarm.nodes, error: swarm.error },
        session,
      );
      if (result.health === 'healthy') return { status: 0, result };
      const e = new ClusterUnhealthyError(result);
      return {
        status: e.exitCode,
        error: { code: e.code, message: e.message, suggestions: e.suggestions },
        result,
      };
    },
  };
  const report = await runAction(SUPPORT_DUMP_PHASES, ctx, options.progress, async () => {});
  const written = setByPhases(ctx.written, 'an archive');
  const swarm = setByPhases(ctx.swarm, 'the swarm read');
  const warnings = [
    ...ctx.hostOutcomes
      .filter((h) => !h.collected)
      .map((h) => `${h.host}: not collected whole: ${h.problems.at(-1) ?? ''}`),
    ...('error' in swarm ? [`the swarm could not be read: ${swarm.error.split('\n')[0]}`] : []),
  ];
  return {
    cluster: config.metadata.name,
    archive: written.path,
    bytes: written.bytes,
    files: written.files,
    hosts: ctx.hostOutcomes,
    swarm: 'nodes' in swarm ? { from: swarm.from, nodes: swarm.nodes.length } : swarm,
    runLogs: ctx.runLogs ?? 0,
    warnings,
    ...report,
  };
}
