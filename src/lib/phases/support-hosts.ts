import type { HostDescription } from '../cluster/describe.js';
import { toEectlError } from '../errors.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { collectHost } from '../support/collect.js';
import { withDeadline } from '../support/deadline.js';
import { HOST_FILES, hostDir, type DumpEntry } from '../support/layout.js';
import { learnManagerSecrets } from '../support/secrets.js';
import type { SwarmNode } from '../swarm/nodes.js';
import type { StatusResult } from '../results/status.js';
import type { SupportDumpHost } from '../results/support.js';

/** What `eectl status --json` prints. */
export interface StatusEnvelope {
  status: number;
  result: StatusResult;
  error?: { code: string; message: string; suggestions: string[] };
}
import { mapSettled } from '../util/concurrency.js';
import type { UnreachableHost } from '../results/report.js';

/** What the dump asks for: where, how much of each journal, how long per host, how many run logs. */
export interface SupportDumpRequest {
  out: string;
  journalLines: number;
  hostTimeoutMs: number;
  runLogs: number;
  /** The eectl that wrote the dump, for summary.json. */
  eectlVersion?: string | undefined;
  /** This run's own log, left out (it is being written). */
  ownRunLog?: string | undefined;
}

/** The context of `support dump`: what is collected, entry by entry, before it is redacted and written. */
export interface SupportDumpContext extends ClusterContext {
  request: SupportDumpRequest;
  startedAt: Date;
  unreachable: UnreachableHost[];
  entries: DumpEntry[];
  hostOutcomes: SupportDumpHost[];
  described: HostDescription[];
  swarm?: { from: string; nodes: SwarmNode[] } | { error: string };
  /**
   * `eectl status --json`'s envelope from what the dump read: `{status: 0, result}`, or `{status: 1, error,
   * result}` for a cluster that is not healthy. Given by the action (phases never call actions).
   */
  readStatus: (
    described: HostDescription[],
    swarm: { nodes?: SwarmNode[]; error?: string },
  ) => Promise<StatusEnvelope>;
  runLogs?: number;
  written?: { path: string; bytes: number; files: number };
}

/**
 * Collects every host in parallel, each within --host-timeout: facts, `docker info`, daemon.json, the
 * journals (a manager's secrets are first read into the redactor, never into the dump). A host that
 * cannot be reached, or runs out of time, gets `hosts/<host>/ERROR.txt` with why; the dump goes on.
 */
export const supportHostsPhase: Phase<SupportDumpContext> = {
  title: 'Collect from every host',
  async run(ctx, out) {
    for (const u of ctx.unreachable) {
      ctx.entries.push({
        name: `${hostDir(u.host)}/${HOST_FILES.error}`,
        text: `cannot be reached: ${u.message}\n`,
      });
      const role = ctx.config.spec.hosts.find((h) => h.address === u.host)?.role ?? 'worker';
      ctx.hostOutcomes.push({
        host: u.host,
        role,
        collected: false,
        problems: [`cannot be reached: ${u.message}`],
      });
      ctx.described.push({
        address: u.host,
        role,
        ok: false,
        error: { code: 'ECONNECT', message: u.message },
      });
    }
    const settled = await mapSettled(ctx.hosts, ctx.concurrency, async (host) => {
      const entries: DumpEntry[] = [];
      const problems: string[] = [];
      try {
        await withDeadline(ctx.request.hostTimeoutMs, ctx.signal, async (signal) => {
          if (host.isManager)
            await learnManagerSecrets(host).catch((e: unknown) =>
              problems.push(`secrets to redact: ${toEectlError(e).message}`),
            );
          await collectHost(host, { journalLines: ctx.request.journalLines, signal }, entries, problems);
        });
      } catch (error) {
        problems.push(toEectlError(error).message);
        throw error;
      } finally {
        ctx.entries.push(...entries);
        if (problems.length > 0)
          ctx.entries.push({
            name: `${hostDir(host.name)}/${HOST_FILES.error}`,
            text: `${problems.join('\n')}\n`,
          });
        out.report(
          host.name,
          `${entries.length} files${problems.length > 0 ? `, ${problems.length} problems` : ''}`,
        );
      }
      return problems;
    });
    for (const s of settled) {
      const host = s.item;
      if (s.ok) {
        ctx.hostOutcomes.push({ host: host.name, role: host.role, collected: true, problems: s.value });
        if (host.facts)
          ctx.described.push({ address: host.name, role: host.role, ok: true, facts: host.facts });
        for (const p of s.value) host.log.debug(`support dump: ${p}`);
        continue;
      }
      const { code, message } = toEectlError(s.error);
      ctx.log.warn(`${host.name}: not collected whole (what it gave is in the dump): ${message}`);
      ctx.hostOutcomes.push({ host: host.name, role: host.role, collected: false, problems: [message] });
      ctx.described.push(
        host.facts
          ? { address: host.name, role: host.role, ok: true, facts: host.facts }
          : { address: host.name, role: host.role, ok: false, error: { code, message } },
      );
    }
    // The file's order, whatever order the hosts answered in.
    const order = new Map(ctx.config.spec.hosts.map((h, i) => [h.address, i]));
    const byFile = <T extends { host?: string; address?: string }>(a: T, b: T) =>
      (order.get(a.host ?? a.address ?? '') ?? 0) - (order.get(b.host ?? b.address ?? '') ?? 0);
    ctx.hostOutcomes.sort(byFile);
    ctx.described.sort(byFile);
  },
};
