import type { HookRun } from '../hooks/report.js';

/**
 * The hooks of a run, one line per hook with the hosts it ran on: under --dry-run what would run, else
 * how each ended. Empty when the run had none.
 */
export function renderHooks(runs: readonly HookRun[]): string[] {
  if (runs.length === 0) return [];
  const listedOnly = runs.every((r) => !r.ran);
  const byHook = new Map<string, HookRun[]>();
  for (const r of runs) byHook.set(r.hook, [...(byHook.get(r.hook) ?? []), r]);
  const lines = [listedOnly ? 'Hooks that would run (not run under --dry-run):' : 'Hooks run:'];
  for (const [hook, on] of byHook) {
    const name = on[0]!.name === undefined ? '' : ` (${on[0]!.name})`;
    const hosts = on.map((r) => (r.ran ? `${r.host} ${outcome(r)}` : r.host));
    lines.push(`  ${hook}${name}: ${hosts.join(', ')}`);
  }
  return lines;
}

function outcome(r: HookRun): string {
  const status = r.exitCode === 0 ? 'ok' : r.exitCode === null ? 'killed' : `exit ${r.exitCode}`;
  return `[${status}, ${(r.seconds ?? 0).toFixed(1)}s]`;
}
