import type { Change } from '../results/report.js';

/** What a dry run would change, per host in the order hosts first appear: one line a change. */
export function renderDryRun(changes: readonly Change[]): string[] {
  if (changes.length === 0) return ['Dry run: nothing would change.'];
  const lines = [`Dry run: ${changes.length} change${changes.length === 1 ? '' : 's'} would be made:`];
  for (const host of new Set(changes.map((c) => c.host))) {
    lines.push(`  ${host}:`);
    for (const c of changes.filter((x) => x.host === host)) lines.push(`    - ${c.description}`);
  }
  return lines;
}
