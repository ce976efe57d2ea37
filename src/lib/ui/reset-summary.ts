import chalk from 'chalk';
import type { ResetResult } from '../results/install.js';
import { renderHooks } from './hooks-render.js';
import { formatPhaseTable } from './progress.js';
import { describeWorkloads } from '../swarm/workloads.js';

/** The human summary after reset: per host what was removed (or would be), or that it was already clean. */
export function renderResetSummary(r: ResetResult): string {
  const lines: string[] = [];
  const count = r.changes.length;
  if (r.alreadyClean) {
    lines.push(
      chalk.green(
        `${r.dryRun ? 'Dry run: ' : ''}Every host of ${r.cluster} is already clean: nothing ${r.dryRun ? 'would change' : 'changed'}.`,
      ),
    );
  } else if (r.dryRun) {
    lines.push(`Dry run: resetting ${r.cluster} would make ${count} change${count === 1 ? '' : 's'}:`);
  } else {
    lines.push(chalk.green(`Cluster ${r.cluster} reset: ${count} change${count === 1 ? '' : 's'}.`));
  }
  if (!r.alreadyClean) {
    if (r.destroys)
      lines.push(`  the swarm, with ${describeWorkloads(r.destroys)}${r.dryRun ? '' : ': destroyed'}`);
    lines.push(...packageLines(r));
    for (const h of r.hosts) {
      if (h.removed.length === 0) {
        lines.push(`  ${h.host} (${h.role}): already clean`);
        continue;
      }
      lines.push(
        `  ${h.host} (${h.role}):${h.legacy ? ' no install record (installed by an older eectl): removed as before' : ''}`,
      );
      const own = new Set(r.packages.filter((p) => p.hosts.includes(h.host)).map((p) => p.name));
      for (const d of h.removed) lines.push(`    - ${isPurgeOf(d, own) ? purgeLine(d, own.size) : d}`);
      if (h.kept.length > 0) lines.push(`    kept (there before eectl): ${h.kept.join(', ')}`);
    }
  }
  const hooks = renderHooks(r.hooks);
  if (hooks.length > 0) lines.push('', ...hooks);
  lines.push('', formatPhaseTable(r.phases), `Total: ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}

/**
 * The packages once, grouped by the hosts they go from: `docker-ce, containerd.io: every host (4)`, or
 * the hosts named when only some have them.
 */
function packageLines(r: ResetResult): string[] {
  if (r.packages.length === 0) return [];
  const groups = new Map<string, { names: string[]; hosts: string[] }>();
  for (const p of r.packages) {
    const key = p.hosts.join(' ');
    const group = groups.get(key) ?? { names: [], hosts: p.hosts };
    group.names.push(p.name);
    groups.set(key, group);
  }
  const all = r.hosts.length;
  const where = (hosts: string[]) =>
    hosts.length === all && all > 1 ? `every host (${all})` : hosts.join(', ');
  return [
    `  packages ${r.dryRun ? 'to remove' : 'removed'}:`,
    ...[...groups.values()].map((g) => `    ${g.names.join(', ')}: ${where(g.hosts)}`),
  ];
}

/** A host's purge step ("purge a, b" with apt, "remove a, b" with dnf and zypper) of exactly its packages. */
function isPurgeOf(step: string, own: ReadonlySet<string>): boolean {
  const m = /^(purge|remove) (.+)$/.exec(step);
  if (!m || own.size === 0) return false;
  const names = m[2]!.split(', ');
  return names.length === own.size && names.every((n) => own.has(n));
}

const purgeLine = (step: string, count: number): string =>
  `${step.split(' ')[0]} its ${count} package${count === 1 ? '' : 's'} (listed above)`;
