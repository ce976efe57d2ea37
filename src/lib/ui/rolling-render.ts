import type { RollingPreview } from '../results/rolling.js';

/** A dry run's account of the rolling change: the hosts in order, batches, drains, daemon.json, the time. */
export function renderRollingPreview(p: RollingPreview): string[] {
  const lines = ['Rolling change (one engine restart per host, in this order):'];
  const turns = [...new Set(p.order.map((o) => o.turn))];
  for (const turn of turns) {
    const hosts = p.order.filter((o) => o.turn === turn);
    const names = hosts.map((h) => `${h.host} (${h.role}${h.leader ? ', leader' : ''})`).join(', ');
    const reasons = [...new Set(hosts.flatMap((h) => h.reasons))].join(', ');
    lines.push(`  ${turn}. ${names}: ${reasons}`);
  }
  lines.push(
    `Managers one at a time, the leader last; workers ${p.batchSize} at a time (--max-unavailable); ` +
      `each node that runs tasks is drained first, its tasks given ${p.drainTimeoutSeconds} s to run elsewhere, and made active again after.`,
  );
  for (const d of p.daemonJson) {
    lines.push(`daemon.json on ${d.hosts.join(', ')}:`);
    lines.push(...(d.diff.length > 0 ? d.diff : ['(same keys, written again)']).map((l) => `    ${l}`));
  }
  lines.push(`Estimate: ${p.estimate.description}`);
  return lines;
}
