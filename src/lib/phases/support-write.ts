import type { Phase } from './runner/phase.js';
import { redactEntries, writeDumpArchive } from '../support/archive.js';
import { SUMMARY, topFolder, type DumpEntry } from '../support/layout.js';
import type { SupportDumpContext } from './support-hosts.js';

/**
 * Every entry through the redactor, then scanned for any secret left (a leak stops the dump before a byte
 * is written), then one .tar.gz, mode 0600, written whole or not at all.
 */
export const supportWritePhase: Phase<SupportDumpContext> = {
  title: 'Redact and write the archive',
  async run(ctx, out) {
    const entries: DumpEntry[] = [{ name: SUMMARY, text: summary(ctx) }, ...ctx.entries];
    const clean = redactEntries(entries);
    const top = topFolder(ctx.config.metadata.name, ctx.startedAt);
    const bytes = await writeDumpArchive(ctx.request.out, top, clean);
    ctx.written = { path: ctx.request.out, bytes, files: clean.length };
    out.report('local', `${ctx.request.out}: ${clean.length} files, ${bytes} bytes`);
  },
};

function summary(ctx: SupportDumpContext): string {
  const swarm = ctx.swarm ?? { error: 'not read' };
  return `${JSON.stringify(
    {
      cluster: ctx.config.metadata.name,
      eectl: ctx.request.eectlVersion,
      createdAt: ctx.startedAt.toISOString(),
      journalLines: ctx.request.journalLines,
      hostTimeoutSeconds: ctx.request.hostTimeoutMs / 1000,
      hosts: ctx.hostOutcomes,
      swarm: 'nodes' in swarm ? { from: swarm.from, nodes: swarm.nodes.length } : swarm,
      runLogs: ctx.runLogs ?? 0,
      redaction:
        'every file passed the redactor (the secrets of the file and of the managers, raw and encoded; join tokens and private keys by their shape) and a scan for any left',
    },
    null,
    2,
  )}\n`;
}
