import type { Phase } from './runner/phase.js';
import { newestRunLogs } from '../support/run-logs.js';
import { RUN_LOGS_DIR } from '../support/layout.js';
import type { SupportDumpContext } from './support-hosts.js';

/** eectl's own recent run logs on this machine (already redacted when written; redacted again with the rest). */
export const supportLogsPhase: Phase<SupportDumpContext> = {
  title: "Add eectl's recent run logs",
  shouldRun: (ctx) => ctx.request.runLogs > 0,
  async run(ctx, out) {
    const logs = await newestRunLogs(ctx.config.metadata.name, ctx.request.runLogs, ctx.request.ownRunLog);
    for (const log of logs) ctx.entries.push({ name: `${RUN_LOGS_DIR}/${log.name}`, text: log.text });
    ctx.runLogs = logs.length;
    out.report('local', `${logs.length} run logs`);
  },
};
